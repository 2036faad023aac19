"""``python -m ftsim optimize`` as an analyst uses it: the run folder, its files, the table,
the report, and refusals before anything runs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from policy_case import HAND, closed_form_calendar
from support import modules_after

from ftsim.cli import main

ROOT = Path(__file__).resolve().parents[2]
DRIFT_HEAVY = ROOT / "scenarios" / "drift_heavy.toml"


@pytest.fixture()
def hand_file(tmp_path):
    path = tmp_path / "hand.toml"
    path.write_text(HAND, encoding="utf-8")
    return path


def _folder(out: Path) -> Path:
    (stem,) = out.iterdir()
    (run_dir,) = stem.iterdir()
    return run_dir


def test_files_table_and_hand_best(tmp_path, hand_file, capsys):
    out = tmp_path / "out"
    code = main(["optimize", str(hand_file), "--cadences", "2-4", "--on-drift", "off",
                 "--paths", "1000", "--jobs", "1", "--out", str(out)])
    assert code == 0
    run_dir = _folder(out)
    assert run_dir.parent.name == "hand-optimize-ft"
    assert sorted(p.name for p in run_dir.iterdir()) == ["optimize.csv", "optimize.json",
                                                         "optimize.png"]
    data = json.loads((run_dir / "optimize.json").read_text())
    cadences = [p["policy"]["retrain_every_months"] for p in data["policies"]]
    assert cadences == [2, 3, 4, 6]  # the grid, then the option's own (every 6 months)
    assert data["policies"][data["own"]]["policy"]["retrain_every_months"] == 6
    for policy in data["policies"]:  # E[NPV] of each cadence: the closed form
        k = policy["policy"]["retrain_every_months"]
        assert abs(policy["npv_mean"] - closed_form_calendar(k)) < 4 * policy["npv_se"]
    assert data["policies"][data["best_npv"]]["policy"]["label"] == "every 3 months"
    assert data["command"].startswith("python -m ftsim optimize")
    with open(run_dir / "optimize.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [float(r["npv_mean"]) for r in rows] == pytest.approx(
        [p["npv_mean"] for p in data["policies"]], rel=1e-9)
    assert [r["is_own"] for r in rows] == ["False", "False", "False", "True"]
    assert (run_dir / "optimize.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    best_line = next(line for line in printed.splitlines() if line.startswith("every 3 months"))
    assert best_line.rstrip().endswith("best, best P")
    assert "Best by E[NPV]: every 3 months" in printed
    assert f"Wrote {run_dir}" in printed


def test_report(tmp_path):
    out = tmp_path / "out"
    code = main(["optimize", str(DRIFT_HEAVY), "--option", "lora_8b_monthly", "--cadences",
                 "1,3", "--lags", "0", "--paths", "300", "--jobs", "1", "--report", "--quiet",
                 "--out", str(out)])
    assert code == 0
    run_dir = _folder(out)
    data = json.loads((run_dir / "optimize.json").read_text())
    best = data["policies"][data["best_npv"]]["policy"]["label"]
    markdown = (run_dir / "report.md").read_text()
    assert f"Best policy: {best}" in markdown and "](optimize.png)" in markdown
    assert "<svg" in (run_dir / "report.html").read_text()
    assert (run_dir / "report.pdf").read_bytes()[:5] == b"%PDF-"


@pytest.mark.parametrize(("args", "fragment"), [
    (["--option", "nope"], "--option: unknown option 'nope' (the scenario has: "
                           "lora_8b_quarterly, lora_8b_monthly)"),
    ([], "--option: the scenario has 2 options, name one"),
    (["--option", "lora_8b_monthly", "--cadences", "x"], "--cadences"),
    (["--option", "lora_8b_monthly", "--cadences", "601"], "from 0 to 600"),
    (["--option", "lora_8b_monthly", "--lags", "-1"], "--lags"),
    (["--option", "lora_8b_monthly", "--on-drift", "sometimes"], "--on-drift"),
    (["--option", "lora_8b_monthly", "--set", "drift.events_per_yer=3"],
     "drift.events_per_yer"),
], ids=["unknown-option", "no-option", "cadence-text", "cadence-range", "lag", "on-drift",
        "scenario-key"])
def test_refusals_exit_2_before_anything_runs(tmp_path, capsys, args, fragment):
    out = tmp_path / "out"
    code = main(["optimize", str(DRIFT_HEAVY), *args, "--paths", "50", "--quiet",
                 "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert fragment in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())


def test_a_refused_optimize_never_loads_matplotlib(tmp_path):
    code, loaded, err = modules_after("optimize", str(DRIFT_HEAVY), "--option", "nope", "--quiet",
                                      "--out", str(tmp_path))
    assert (code, loaded["matplotlib"]) == (2, False)
    assert "--option: unknown option 'nope'" in err


def test_figure_lines_and_marks():
    from matplotlib.figure import Figure

    from ftsim.core.studies.optimize import optimize_policies
    from ftsim.figures.optimize import cadence_positions, policy_chart
    from ftsim.scenario import parse_scenario

    search = optimize_policies(parse_scenario(HAND), "ft", cadences=(0, 1, 3), lags=(0, 2),
                               paths=300, jobs=1)
    ax = policy_chart(Figure().add_subplot(), search)
    gids = {c.lines[0].get_gid() for c in ax.containers}
    assert gids == {"off", "on_0", "on_2"}
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "3", "6", "never"]
    assert cadence_positions([0, 12, 1]) == {1: 0, 12: 1, 0: 2}
    labels = ax.get_legend_handles_labels()[1]
    best = search.outcomes[search.best_npv].policy.label
    assert f"best E[NPV]: {best}" in labels and "scenario's own: every 6 months" in labels
