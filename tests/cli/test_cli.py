"""The command line as an analyst uses it: run folders, --json, overrides, exit codes."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from support import REJECTIONS, snippet

import ftsim
from ftsim.cli import main
from ftsim.core.memory import available_memory

ROOT = Path(__file__).resolve().parents[2]
SUPPORT_BOT = ROOT / "scenarios" / "support_bot.toml"
SECTION5_OPTION_KEYS = {
    "name", "p_payback_within", "p_payback_within_ci95", "p_payback_by_month", "payback_month",
    "p_abandoned", "npv", "upfront_cost", "tco", "cumulative_net_savings", "sensitivity", "verdict",
}


def test_json_prints_only_the_summary_with_every_section5_key(tmp_path, capsys):
    code = main([str(SUPPORT_BOT), "--paths", "3000", "--json", "--out", str(tmp_path),
                 "--no-report", "--jobs", "1"])
    assert code == 0
    out = capsys.readouterr().out
    summary = json.loads(out)  # stdout holds the JSON and nothing else
    assert set(summary["options"]) == {"lora_8b_selfhosted", "lora_8b_provider"}
    for option in summary["options"].values():
        assert SECTION5_OPTION_KEYS <= set(option)
        assert set(option["payback_month"]) == {"p10", "p50", "p90"}
        assert set(option["npv"]) == {"mean", "p5", "p50", "p95"}
        assert set(option["tco"]) == {"baseline", "option"}
        assert set(option["cumulative_net_savings"]) == {"p5", "p25", "p50", "p75", "p95"}
        assert len(option["p_payback_by_month"]) == 36
    assert summary["simulation"]["paths"] == 3000
    assert summary["scenario"]["file"] == "support_bot.toml"


def test_set_override_changes_the_result(tmp_path, capsys):
    args = [str(SUPPORT_BOT), "--paths", "2000", "--json", "--out", str(tmp_path), "--no-report",
            "--jobs", "1"]
    assert main(args) == 0
    base = json.loads(capsys.readouterr().out)
    # an option that cannot start within the horizon never pays back
    assert main(args + ["--set", "options.lora_8b_provider.lead_time_months=36"]) == 0
    changed = json.loads(capsys.readouterr().out)
    assert changed["options"]["lora_8b_provider"]["p_payback_within"] == 0.0
    assert base["options"]["lora_8b_provider"]["p_payback_within"] > 0.0


@pytest.mark.parametrize(
    ("edits", "key_path", "message"),
    [pytest.param(e, k, m, id=i) for i, e, k, m in REJECTIONS],
)
def test_every_rejection_exits_2_naming_the_key(tmp_path, capsys, edits, key_path, message):
    scenario = tmp_path / "bad.toml"
    scenario.write_text(snippet(*edits))
    code = main([str(scenario), "--paths", "10", "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert key_path in err and message.lower() in err.lower()
    assert not (tmp_path / "out").exists()  # nothing written for bad input


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--paths", "0"], "--paths: must be from 1 to 1,000,000,000"),
        (["--sampler", "halton"], "invalid choice: 'halton'"),
        (["--set", "traffic.requests_per_month"], "--set"),
        (["--set", "traffic.requests_pm=5"], "did you mean 'requests_per_month'"),
        (["--within", "48"], "scenario.payback_within_months"),
        (["--backend", "dask"], "--scheduler"),
    ],
)
def test_bad_command_line_values_exit_2(tmp_path, capsys, args, fragment):
    code = main([str(SUPPORT_BOT), "--out", str(tmp_path), "--quiet", *args])
    err = capsys.readouterr().err
    assert code == 2 and fragment in err and "Traceback" not in err


def test_missing_file_exits_2(tmp_path, capsys):
    assert main([str(tmp_path / "nope.toml"), "--quiet"]) == 2
    assert "nope.toml" in capsys.readouterr().err


def test_real_process_bad_input_has_no_traceback(tmp_path):
    scenario = tmp_path / "bad.toml"
    scenario.write_text(snippet(("monthly_growth = 0.02", "monthly_growth = -2")))
    proc = subprocess.run([sys.executable, "-m", "ftsim", str(scenario), "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and "traffic.monthly_growth" in proc.stderr


def test_atomic_write_leaves_no_temp_and_uses_the_umask(tmp_path):
    import os

    from ftsim.output import atomic_path, atomic_write_text

    atomic_write_text(tmp_path / "a.txt", "x")
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~mask
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "b.txt") as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_progress_bar_only_on_a_terminal_and_after_its_delay(capsys):
    import argparse

    from ftsim.cli.common import ProgressBar, progress_bar

    assert progress_bar(argparse.Namespace(), quiet=False) is None  # captured stderr: no tty
    bar = ProgressBar(delay=3600.0)
    bar(10, 100)  # before the delay: nothing drawn
    assert bar.bar is None
    bar = ProgressBar(delay=0.0)
    bar(50, 200)
    bar(200, 200)
    bar.close()
    err = capsys.readouterr().err
    assert "200/200" in err and "path" in err


# -- issue 9: everything checkable is checked before the first path (exit 2) -----------


def _no_simulation(monkeypatch):
    """Make any simulation an error: these runs must be refused before the first path."""
    def refuse(*args, **kwargs):
        raise AssertionError("simulated although the command line was bad")

    for target in ("ftsim.cli.run.simulate", "ftsim.cli.run.breakeven_curve",
                   "ftsim.cli.studies.sweep", "ftsim.cli.studies.breakeven_curve"):
        monkeypatch.setattr(target, refuse)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        # before: exit 1 (numpy refused the seed / the value overflowed after loading)
        (["--seed", "-1"], "argument --seed: must be from 0 to 9,223,372,036,854,775,807"),
        (["--seed", str(2**63)], "argument --seed"),
        (["--precision", "inf"], "argument --precision: must be a half-width above 0"),
        (["--precision", "nan"], "argument --precision"),
        (["--precision", "0.6"], "argument --precision"),
        (["--horizon", "9223372036854775808"], "argument --horizon: must be from 1 to 600"),
        (["--horizon", "601"], "argument --horizon: must be from 1 to 600"),
        (["--within", "9" * 5000], "argument --within: expected a whole number"),
        (["--paths", "1000000001"], "argument --paths"),
        (["--chunk-size", "0"], "argument --chunk-size"),
        (["--jobs", "-2"], "argument --jobs"),
        (["--jobs", "100000"], "argument --jobs"),
        (["--backend", "dask", "--scheduler", "not a url"], "--scheduler: expected a scheduler"),
        (["--backend", "dask", "--scheduler", "tcp://host:99999"], "--scheduler"),
        (["--scheduler", "tcp://127.0.0.1:8786"], "--scheduler: only used with --backend dask"),
        (["--max-paths", "5000"], "--max-paths: only used with --precision"),
        (["--precision", "0.01", "--paths", "5000", "--max-paths", "10"], "--max-paths"),
    ],
)
def test_bad_options_are_refused_before_simulating(tmp_path, capsys, monkeypatch, args, fragment):
    _no_simulation(monkeypatch)
    code = main([str(SUPPORT_BOT), "--out", str(tmp_path / "out"), "--quiet", *args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert fragment in err and err.count("\n") == 1 and len(err) < 300
    assert not (tmp_path / "out").exists()


def test_bad_scheduler_in_the_environment_is_named(tmp_path, capsys, monkeypatch):
    _no_simulation(monkeypatch)
    monkeypatch.setenv("FTSIM_DASK_SCHEDULER", "http://")
    assert main([str(SUPPORT_BOT), "--out", str(tmp_path), "--backend", "dask"]) == 2
    assert "FTSIM_DASK_SCHEDULER: expected a scheduler address" in capsys.readouterr().err


def test_out_that_is_a_file_or_cannot_be_created_exits_2_before_simulating(tmp_path, capsys,
                                                                            monkeypatch):
    # Before: both failed with exit 1 after the whole simulation.
    _no_simulation(monkeypatch)
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    assert main([str(SUPPORT_BOT), "--out", str(a_file), "--quiet"]) == 2
    assert "--out: " in capsys.readouterr().err  # "... is a file, not a folder"
    assert main([str(SUPPORT_BOT), "--out", str(a_file / "sub"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --out: cannot write a run folder in") and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc (Linux)")
def test_out_on_an_unwritable_file_system_exits_2(capsys, monkeypatch):
    _no_simulation(monkeypatch)  # /proc refuses new folders even to root
    assert main([str(SUPPORT_BOT), "--out", "/proc/ftsim-results", "--quiet"]) == 2
    assert "--out: cannot write a run folder in '/proc/ftsim-results'" in capsys.readouterr().err


# -- memory (the estimate and the plan are tested in tests/core/test_memory.py) ----------


@pytest.mark.skipif(available_memory() is None
                    or available_memory() > 2**40,
                    reason="machine with unknown or > 1 TiB available memory")
def test_a_billion_paths_are_refused_on_this_machine(tmp_path, capsys, monkeypatch):
    # Before: the run started allocating (a billion paths need ~1 TiB).
    _no_simulation(monkeypatch)
    assert main([str(SUPPORT_BOT), "--paths", "1000000000", "--out", str(tmp_path)]) == 2
    assert "--paths: a run of 1,000,000,000 paths needs about" in capsys.readouterr().err


# -- run folders: complete or absent ---------------------------------------------------


def test_a_failure_while_writing_leaves_no_run_folder(tmp_path, capsys, monkeypatch):
    # Before: an exit-1 run left results/<stem>/<stamp>/ (empty, or with summary.json only).
    import errno

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("ftsim.cli.run.write_monthly_csv", full_disk)
    code = main([str(SUPPORT_BOT), "--paths", "500", "--jobs", "1", "--no-report",
                 "--out", str(tmp_path / "out")])
    assert code == 1 and "No space left on device" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nor the folders this run created
    (tmp_path / "kept").mkdir()  # a folder that existed before the run is kept
    assert main([str(SUPPORT_BOT), "--paths", "500", "--jobs", "1", "--no-report",
                 "--out", str(tmp_path / "kept")]) == 1
    assert list((tmp_path / "kept").iterdir()) == []


def test_run_folders_are_renamed_into_place_and_never_overwrite(tmp_path):
    from ftsim.output import RunFolder

    now = datetime(2026, 11, 28, 14, 0, 0)
    first, second = RunFolder(tmp_path, "x", now), RunFolder(tmp_path, "x", now)
    assert first.path.name.startswith(".20261128-140000.partial-")
    (first.path / "summary.json").write_text("{}")
    (second.path / "summary.json").write_text("{}")
    assert second.commit().name == "20261128-140000"
    assert first.commit().name == "20261128-140000-2"
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == [
        "20261128-140000", "20261128-140000-2"]
    third = RunFolder(tmp_path, "x", now)
    third.discard()
    assert len(list((tmp_path / "x").iterdir())) == 2


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(proc.stdout)


def test_stale_shared_and_partial_folders_of_dead_owners_are_removed(tmp_path):
    import os

    from ftsim.core.shared import remove_stale_shared
    from ftsim.output import remove_stale_partials

    dead = _dead_pid()
    shm = tmp_path / "shm"
    for name in (f"ftsim-{dead}-abc", f"ftsim-{os.getpid()}-def", "ftsim-olds", "other"):
        (shm / name).mkdir(parents=True)
    assert remove_stale_shared([str(shm)]) == [shm / f"ftsim-{dead}-abc"]
    assert sorted(p.name for p in shm.iterdir()) == [
        f"ftsim-{os.getpid()}-def", "ftsim-olds", "other"]
    out = tmp_path / "results"
    stale = out / "s" / f".20260101-000000.partial-{dead}-x"
    live = out / "s" / f".20260101-000000.partial-{os.getpid()}-y"
    done = out / "s" / "20260101-000000"
    for folder in (stale, live, done):
        folder.mkdir(parents=True)
    assert remove_stale_partials(out) == [stale]
    assert sorted(p.name for p in (out / "s").iterdir()) == sorted([live.name, done.name])


# -- what the run says about itself ------------------------------------------------------


def _wilson_half_width(hits: int, n: int, z: float = 1.959963984540054) -> float:
    p = hits / n
    return z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)


def test_precision_not_reached_is_said_on_stderr_and_in_the_summary(tmp_path, capsys):
    code = main([str(SUPPORT_BOT), "--paths", "1000", "--precision", "0.001", "--max-paths",
                 "2000", "--chunk-size", "1000", "--jobs", "1", "--json", "--no-report",
                 "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 0
    sim = json.loads(captured.out)["simulation"]
    assert sim["paths"] == 2000
    assert sim["precision_target"] == 0.001 and sim["precision_reached"] is False
    widths = [_wilson_half_width(round(o["p_payback_within"] * 2000), 2000)
              for o in json.loads(captured.out)["options"].values()]
    assert sim["precision_half_width"] == pytest.approx(max(widths), abs=1e-6)
    line, wrote = captured.err.splitlines()
    assert line.startswith("warning: --precision 0.001 not reached: stopped at --max-paths 2,000")
    assert wrote.startswith("Wrote ")  # --json: which folder, on stderr


def test_precision_reached_is_recorded_without_a_warning(tmp_path, capsys):
    # Wilson half-width at n = 1,000 is at most 1.96 x 0.5 / sqrt(1,000) ~ 0.031 <= 0.05
    assert main([str(SUPPORT_BOT), "--paths", "1000", "--precision", "0.05", "--chunk-size",
                 "1000", "--jobs", "1", "--json", "--no-report", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    sim = json.loads(captured.out)["simulation"]
    assert sim["paths"] == 1000 and sim["precision_reached"] is True
    assert sim["precision_half_width"] <= 0.05
    assert captured.err.startswith("Wrote ") and captured.err.count("\n") == 1  # no warning


def test_scenario_warnings_are_one_line_each_on_stderr_even_with_json(tmp_path, capsys):
    scenario = tmp_path / "growth.toml"
    scenario.write_text(snippet(("monthly_growth = 0.02", "monthly_growth = 0.5")))
    assert main([str(scenario), "--paths", "300", "--jobs", "1", "--json", "--no-report",
                 "--out", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    json.loads(captured.out)  # stdout holds the JSON only
    line, wrote = captured.err.splitlines()
    assert wrote.startswith("Wrote ")
    assert line.startswith("warning: traffic.monthly_growth: 0.5 is outside the plausible")


def test_allow_files_outside_reaches_the_loader(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (tmp_path / "obs.csv").write_text("tokens\n300\n500\n")
    scenario = data / "s.toml"
    scenario.write_text(snippet((
        "input_tokens = 300",
        'input_tokens = { dist = "empirical", file = "../obs.csv", column = "tokens" }')))
    args = [str(scenario), "--paths", "300", "--jobs", "1", "--no-report", "--quiet",
            "--out", str(tmp_path / "out")]
    assert main(args) == 2
    assert "traffic.input_tokens.file" in capsys.readouterr().err
    assert main([*args, "--allow-files-outside"]) == 0


# -- the int16 payback guard (item 5) ----------------------------------------------------


def test_result_refuses_a_horizon_beyond_int16_payback_months():
    from dataclasses import replace

    scenario = ftsim.load_scenario(SUPPORT_BOT)
    with pytest.raises(ValueError, match="horizon_months must be at most 32767"):
        ftsim.Result.allocate(replace(scenario, horizon_months=40_000), 10)
