"""``python -m ftsim wait`` as an analyst uses it: the run folder, its files, the table, the
report, the figure, and refusals before anything runs (hand cases in tests/wait_case.py)."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import pytest
from support import modules_after
from wait_case import EVENTS_PER_YEAR, constant_value, event_tree_value, scenario_text

from ftsim.cli import main

ROOT = Path(__file__).resolve().parents[2]
SUPPORT_BOT = ROOT / "scenarios" / "support_bot.toml"


def _folder(out: Path) -> Path:
    (stem,) = out.iterdir()
    (run_dir,) = stem.iterdir()
    return run_dir


def test_files_and_table_give_the_hand_cost_of_delay(tmp_path, capsys):
    scenario = tmp_path / "hand.toml"
    scenario.write_text(scenario_text(3_000.0), encoding="utf-8")
    out = tmp_path / "out"
    code = main(["wait", str(scenario), "--months", "3,12,6", "--paths", "300", "--jobs", "1",
                 "--out", str(out)])
    assert code == 0
    run_dir = _folder(out)
    assert run_dir.parent.name == "hand-wait"
    assert sorted(p.name for p in run_dir.iterdir()) == ["wait.csv", "wait.json", "wait.png"]
    data = json.loads((run_dir / "wait.json").read_text())
    assert [r["month"] for r in data["rows"]] == [0, 3, 6, 12]
    for row in data["rows"]:
        assert row["value_of_waiting"] == pytest.approx(constant_value(3_000.0, row["month"]),
                                                        rel=1e-9, abs=1e-6)
    assert data["best_month"] == 0 and data["command"].startswith("python -m ftsim wait")
    with open(run_dir / "wait.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [float(r["value_of_waiting"]) for r in rows] == pytest.approx(
        [r["value_of_waiting"] for r in data["rows"]], rel=1e-9, abs=1e-9)
    assert (run_dir / "wait.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    assert next(line for line in printed.splitlines()
                if line.startswith("now")).rstrip().endswith("best")
    assert "Best: decide now" in printed and f"Wrote {run_dir}" in printed


def test_report_of_the_price_event_case(tmp_path):
    scenario = tmp_path / "event.toml"
    scenario.write_text(scenario_text(45_000.0, events_per_year=EVENTS_PER_YEAR),
                        encoding="utf-8")
    out = tmp_path / "out"
    code = main(["wait", str(scenario), "--months", "3,6", "--paths", "20000", "--jobs", "1",
                 "--report", "--quiet", "--out", str(out)])
    assert code == 0
    run_dir = _folder(out)
    data = json.loads((run_dir / "wait.json").read_text())
    for row in data["rows"][1:]:
        hand = event_tree_value(45_000.0, row["month"])
        assert abs(row["value_of_waiting"] - hand) < 4 * row["value_se"]
    best = data["rows"][data["best"]]["month"]
    markdown = (run_dir / "report.md").read_text()
    assert f"Wait {best} months, then decide" in markdown and "](wait.png)" in markdown
    assert "<svg" in (run_dir / "report.html").read_text()
    assert (run_dir / "report.pdf").read_bytes()[:5] == b"%PDF-"


def test_options_and_pilot_on_support_bot(tmp_path):
    out = tmp_path / "out"
    code = main(["wait", str(SUPPORT_BOT), "--months", "2", "--option", "lora_8b_provider",
                 "--pilot", "Pilot, 1,000 labelled tickets", "--paths", "2000", "--jobs", "1",
                 "--quiet", "--out", str(out)])
    assert code == 0
    data = json.loads((_folder(out) / "wait.json").read_text())
    assert [o["id"] for o in data["options"]] == ["lora_8b_provider"]
    assert data["pilot"] == "Pilot, 1,000 labelled tickets" and data["pilot_cost"] == 9_000
    assert "pilot.Pilot, 1,000 labelled tickets" in [f["key"] for f in data["features"]]
    assert data["rows"][1]["value_of_waiting"] <= data["rows"][1]["perfect_information_bound"]


@pytest.mark.parametrize(("args", "fragment"), [
    (["--months", "x"], "--months"),
    (["--months", "36"], "--months: expected whole months from 1 to 35"),
    (["--option", "nope"], "--option: unknown option 'nope' (the scenario has: "
                           "lora_8b_selfhosted, lora_8b_provider)"),
    (["--pilot", "nope"], "--pilot: unknown pilot 'nope'"),
    (["--pilot", "Pilot, 1,000 labelled tickets", "--months", "1,3"],
     "--months: the pilot 'Pilot, 1,000 labelled tickets' takes 1.5 months"),
    (["--option", "lora_8b_selfhosted", "--pilot", "Pilot, 200 labelled tickets"],
     "an option not weighed"),
    (["--backend", "processes"], "--backend: the wait analysis runs on this process's threads"),
    (["--paths", "50"], "--paths: the wait analysis needs at least 100 paths"),
    (["--set", "traffic.requests_per_mont=3"], "traffic.requests_per_mont"),
], ids=["months-text", "months-horizon", "option", "pilot", "pilot-duration", "pilot-option",
        "backend", "paths", "scenario-key"])
def test_refusals_exit_2_before_anything_runs(tmp_path, capsys, args, fragment):
    out = tmp_path / "out"
    code = main(["wait", str(SUPPORT_BOT), *args, "--quiet", "--out", str(out)]
                + ([] if "--paths" in args else ["--paths", "200"]))
    err = capsys.readouterr().err
    assert code == 2
    assert fragment in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())


def test_a_refused_wait_never_loads_matplotlib(tmp_path):
    code, loaded, err = modules_after("wait", str(SUPPORT_BOT), "--option", "nope", "--quiet",
                                      "--out", str(tmp_path))
    assert (code, loaded["matplotlib"]) == (2, False)
    assert "--option: unknown option 'nope'" in err


def test_figure_series_and_off_scale_bound():
    from matplotlib.figure import Figure

    from ftsim.core.studies.wait import wait_analysis
    from ftsim.figures.wait import wait_chart
    from ftsim.format import format_money
    from ftsim.scenario import parse_scenario

    analysis = wait_analysis(parse_scenario(scenario_text(3_000.0)), (3, 6), paths=200)
    ax = wait_chart(Figure().add_subplot(), analysis)
    lines = {line.get_gid(): line for line in ax.get_lines() if line.get_gid()}
    assert list(lines["no_learning"].get_xdata()) == [0, 3, 6]
    assert list(lines["no_learning"].get_ydata()) == pytest.approx(
        [constant_value(3_000.0, k) for k in (0, 3, 6)])
    # no uncertainty: the bound is the value itself, drawn as a line at its values
    assert list(lines["bound"].get_ydata()) == pytest.approx(
        [r.perfect_bound for r in analysis.rows])
    # a bound far above the values (support_bot: the quality gap, which waiting does not
    # reveal): marks on the top edge, labelled with the bound's values
    support = wait_analysis(SUPPORT_BOT, (3, 6), paths=1_000, seed=1)
    rows = tuple(replace(r, value=-2_000.0 * i, value_se=500.0) for i, r in enumerate(support.rows))
    ax = wait_chart(Figure().add_subplot(), replace(support, rows=rows))
    bound = next(line for line in ax.get_lines() if line.get_gid() == "bound")
    top = ax.get_ylim()[1]
    assert list(bound.get_ydata()) == [top, top, top]
    assert all(r.perfect_bound > 10 * top for r in rows)
    labels = [t.get_text() for t in ax.texts]
    assert labels == [format_money(r.perfect_bound, "") for r in rows]
