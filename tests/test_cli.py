"""The command line as an analyst uses it: run folders, --json, overrides, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from test_scenario import REJECTIONS, snippet

import ftsim
from ftsim.cli import main
from ftsim.output import new_run_dir

ROOT = Path(__file__).resolve().parents[1]
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


def test_run_folder_holds_summary_paths_and_monthly(tmp_path, capsys):
    code = main([str(SUPPORT_BOT), "--paths", "2000", "--seed", "5", "--out", str(tmp_path),
                 "--no-report", "--jobs", "1", "--within", "18"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "P(payback within 18 months)" in printed
    (run_dir,) = (tmp_path / "support_bot").iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["simulation"]["payback_within_months"] == 18
    assert summary["simulation"]["seed"] == 5
    import pandas as pd

    paths = pd.read_csv(run_dir / "paths.csv.gz")
    assert len(paths) == 2 * 2000
    for option_id, option in summary["options"].items():
        rows = paths[paths.option == option_id]
        # the per-path file agrees with the summary: P(payback <= 18) from the rows
        within = (rows.payback_month <= 18).mean()  # NaN (never) compares False
        assert within == pytest.approx(option["p_payback_within"])
    monthly = pd.read_csv(run_dir / "monthly.csv")
    assert len(monthly) == 2 * 36
    assert {"cumulative_net_savings_p50", "mean_baseline_cost", "mean_option_cost"} <= set(monthly)


def test_paths_file_keeps_row_order_when_batches_are_encoded_in_parallel(tmp_path):
    # Batches of 7 rows on 3 threads: 2 x 50 rows = 16 gzip members, written in order.
    import gzip

    import pandas as pd

    from ftsim.output import write_paths_csv

    result = ftsim.simulate(ftsim.load_scenario(SUPPORT_BOT), paths=50, seed=2, jobs=1)
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    serial.mkdir()
    parallel.mkdir()
    write_paths_csv(serial, result, rows_per_batch=7, threads=1)
    write_paths_csv(parallel, result, rows_per_batch=7, threads=3)
    text = gzip.open(parallel / "paths.csv.gz").read()
    assert text == gzip.open(serial / "paths.csv.gz").read()
    assert text.count(b'"option"') == 1  # one header
    rows = pd.read_csv(parallel / "paths.csv.gz")
    assert rows.option.tolist() == ["lora_8b_selfhosted"] * 50 + ["lora_8b_provider"] * 50
    npv = result.options["lora_8b_provider"].npv
    assert rows.npv[50:].to_numpy() == pytest.approx(npv, rel=1e-6)  # float32 text


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


def test_runs_never_overwrite_each_other(tmp_path):
    now = datetime(2026, 11, 28, 14, 0, 0)
    first = new_run_dir(tmp_path, "x", now)
    second = new_run_dir(tmp_path, "x", now)
    assert first != second and first.name == "20261128-140000" and second.name == "20261128-140000-2"


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

    from ftsim.cli import ProgressBar, progress_bar

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
