"""``python -m ftsim compare`` through the command line: support_bot against itself with
monthly growth halved (same seed: paired path by path), and against another seed (two
samples); numbers recomputed here from the run folders' own files."""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from ftsim.cli import main

ROOT = Path(__file__).resolve().parents[2]
SUPPORT_BOT = ROOT / "scenarios" / "support_bot.toml"
PATHS = 2000
Z = 1.959963984540054


def halved_growth() -> str:
    """``--set`` of traffic.monthly_growth halved: X/2 for X ~ PERT(min, mode, max) is
    PERT(min/2, mode/2, max/2), so the law is read from the scenario and its three
    parameters halved."""
    law = tomllib.loads(SUPPORT_BOT.read_text(encoding="utf-8"))["traffic"]["monthly_growth"]
    assert law["dist"] == "pert", "the test halves a PERT law"
    return ('traffic.monthly_growth={dist = "pert", ' + ", ".join(
        f"{k} = {law[k] / 2!r}" for k in ("min", "mode", "max")) + "}")


def _run(out: Path, *extra: str) -> Path:
    before = set(out.glob("support_bot/*"))
    assert main([str(SUPPORT_BOT), "--paths", str(PATHS), "--jobs", "1", "--no-report",
                 "--quiet", "--out", str(out), *extra]) == 0
    (folder,) = set(out.glob("support_bot/*")) - before
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    base = _run(out)
    halved = _run(out, "--set", halved_growth())
    other_seed = _run(out, "--seed", "7")
    return base, halved, other_seed


def _compare(capsys, a: Path, b: Path, out: Path) -> str:
    capsys.readouterr()
    assert main(["compare", str(a), str(b), "--out", str(out)]) == 0
    return capsys.readouterr().out


def _intervals(printed: str, kind: str) -> list[tuple[float, float]]:
    """The printed 95 % intervals of P(payback) changes, in points, option by option."""
    found = re.findall(r"([+-]?\d+\.\d+) pp to ([+-]?\d+\.\d+) pp \(" + kind + r"\)", printed)
    return [(float(low), float(high)) for low, high in found]


def _summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def _paid(folder: Path, option: str, within: int) -> np.ndarray:
    table = pq.read_table(folder / "paths.parquet").to_pandas()
    rows = table[table.option == option].sort_values("path")
    return (rows.payback_month <= within).to_numpy()  # never paid back: NaN, False


def test_every_run_folder_keeps_the_scenario_file_byte_for_byte(runs):
    for folder in runs:
        copy = (folder / "scenario.toml").read_bytes()
        assert copy == SUPPORT_BOT.read_bytes()
        assert hashlib.sha256(copy).hexdigest() == _summary(folder)["scenario"]["sha256"]


def test_halved_growth_same_seed_is_compared_path_by_path(runs, tmp_path, capsys):
    base, halved, _ = runs
    printed = _compare(capsys, base, halved, tmp_path / "cmp")
    assert "Paired, path by path." in printed
    # the --set shows as an input changed as simulated, the files being identical
    assert "Scenario files identical" in printed
    old = {r["input"]: r["written"] for r in _summary(base)["inputs"]}["traffic.monthly_growth"]
    new = {r["input"]: r["written"] for r in _summary(halved)["inputs"]}["traffic.monthly_growth"]
    line = next(x for x in printed.splitlines() if x.startswith("traffic.monthly_growth"))
    assert old in line and new in line and "changed" in line
    within = _summary(base)["simulation"]["payback_within_months"]
    intervals = _intervals(printed, "paired")
    assert len(intervals) == len(_summary(base)["options"])
    for option, shown in zip(_summary(base)["options"], intervals, strict=True):
        a, b = _paid(base, option, within), _paid(halved, option, within)
        n = a.size
        b_only, a_only = int(np.sum(b & ~a)), int(np.sum(a & ~b))
        d = (b_only - a_only) / n
        se = math.sqrt(((b_only + a_only) / n - d * d) / n)
        assert f"{100 * a.mean():.1f}%" in printed and f"{100 * b.mean():.1f}%" in printed
        assert shown == pytest.approx((100 * (d - Z * se), 100 * (d + Z * se)), abs=0.051)
        assert (f"paths paid back within {within} months in run B only {b_only:,}, in run A "
                f"only {a_only:,}.") in " ".join(printed.split())
    out = tmp_path / "cmp"
    assert (out / "compare.md").read_text(encoding="utf-8").count("(paired)") == 2
    assert "<html" in (out / "compare.html").read_text(encoding="utf-8")
    for option in _summary(base)["options"]:
        png = out / "figures" / f"compare_{option}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _wilson(p: float, n: int) -> tuple[float, float]:
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return centre - half, centre + half


def test_another_seed_is_compared_as_two_independent_samples(runs, tmp_path, capsys):
    base, _, other_seed = runs
    printed = _compare(capsys, base, other_seed, tmp_path / "cmp")
    assert "Two independent samples." in printed
    assert f"seed ({_summary(base)['simulation']['seed']} vs 7)" in printed
    assert "Scenario files identical" in printed
    intervals = _intervals(printed, "two-sample")
    assert len(intervals) == len(_summary(base)["options"])
    for option, shown in zip(_summary(base)["options"], intervals, strict=True):
        p_a = _summary(base)["options"][option]["p_payback_within"]
        p_b = _summary(other_seed)["options"][option]["p_payback_within"]
        (la, ua), (lb, ub) = _wilson(p_a, PATHS), _wilson(p_b, PATHS)
        low = p_b - p_a - math.sqrt((p_b - lb) ** 2 + (ua - p_a) ** 2)
        high = p_b - p_a + math.sqrt((ub - p_b) ** 2 + (p_a - la) ** 2)
        assert shown == pytest.approx((100 * low, 100 * high), abs=0.051)


def test_a_run_without_scenario_copy_falls_back_to_the_inputs_table(runs, tmp_path, capsys):
    base, halved, _ = runs
    old = tmp_path / "old_run"
    shutil.copytree(base, old)
    (old / "scenario.toml").unlink()
    printed = _compare(capsys, old, halved, tmp_path / "cmp")
    assert "run A has no scenario.toml" in printed
    assert "summary.json's inputs tables" in printed
    assert any(x.startswith("traffic.monthly_growth") and "changed" in x
               for x in printed.splitlines())


def test_a_missing_run_folder_is_one_line_and_exit_2(runs, tmp_path, capsys, monkeypatch):
    base, _, _ = runs
    monkeypatch.chdir(tmp_path)  # where the default --out, results/compare/..., would go
    assert main(["compare", str(base), str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nowhere" in err and "no such run folder" in err
    assert not (tmp_path / "results").exists()


def test_the_scenario_copy_is_refused_when_the_file_changed_after_loading(tmp_path):
    from ftsim.errors import ScenarioError
    from ftsim.output import write_scenario_copy
    from ftsim.scenario import load_scenario, parse_scenario

    path = tmp_path / "bot.toml"
    path.write_bytes(SUPPORT_BOT.read_bytes())
    scenario = load_scenario(path)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    assert (write_scenario_copy(run_dir, scenario) or Path()).read_bytes() == path.read_bytes()
    path.write_bytes(path.read_bytes() + b"\n# edited\n")
    with pytest.raises(ScenarioError, match="changed after it was loaded"):
        write_scenario_copy(tmp_path / "run", scenario)
    # a scenario built from text has no file to copy
    assert write_scenario_copy(run_dir, parse_scenario(SUPPORT_BOT.read_text("utf-8"))) is None
