"""``python -m ftsim voi SCENARIO``: the table it prints, its JSON, and what it leaves alone."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ftsim import load_scenario, parse_scenario, simulate, summarize
from ftsim.cli.common import Parser, add_common
from ftsim.cli.voi import add_voi_arguments, voi_command, voi_text
from ftsim.errors import ScenarioError
from ftsim.format import format_money

ROOT = Path(__file__).resolve().parents[2]
SUPPORT_BOT = ROOT / "scenarios" / "support_bot.toml"
FIXED = """
[scenario]
name = "Nothing uncertain"
horizon_months = 12
[traffic]
requests_per_month = 100000
input_tokens = 1000
output_tokens = 200
[baseline]
price_input_per_mtok = 2.0
price_output_per_mtok = 8.0
[options.ft]
[options.ft.serving]
mode = "api"
price_input_per_mtok = 0.5
price_output_per_mtok = 1.5
[options.ft.build]
engineering_cost = 10000
"""


def _args(*argv: str):
    parser = Parser(prog="ftsim voi")
    add_common(parser)
    add_voi_arguments(parser)
    return parser.parse_args(list(argv))


def test_prints_what_the_summary_holds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results"
    code = voi_command(_args(str(SUPPORT_BOT), "--paths", "3000", "--seed", "5", "--jobs", "1",
                             "--top", "4", "--out", str(out)))
    text = capsys.readouterr().out
    assert code == 0 and not out.exists()  # no run folder
    scenario = load_scenario(SUPPORT_BOT)
    voi = summarize(simulate(scenario, paths=3000, seed=5, jobs=1)).value_of_information
    assert voi is not None
    assert f"(EVPI): {format_money(voi.evpi.value, 'USD')} ± " in text
    section = text.split("What each input")[1].split("\n\n")[0].splitlines()[2:]
    listed = [re.split(r"\s{2,}", line.strip())[0] for line in section]
    assert len(listed) == 5 and listed[-1] == "... 41 more (--top N)"
    assert voi.evppi[0].label.startswith(listed[0].rstrip("…"))
    for pilot in voi.pilots:
        assert f"{pilot.name}: {pilot.examples:,} examples" in text
        assert f"net {format_money(pilot.net_value, 'USD')}" in text
    assert "Price trends:" in text and "Traffic volume:" in text


def test_json_is_the_summary_entry(capsys: pytest.CaptureFixture[str]) -> None:
    voi_command(_args(str(SUPPORT_BOT), "--paths", "2000", "--seed", "5", "--jobs", "1",
                      "--json"))
    printed = json.loads(capsys.readouterr().out)
    expected = summarize(simulate(load_scenario(SUPPORT_BOT), paths=2000, seed=5, jobs=1))
    assert expected.value_of_information is not None
    assert printed == json.loads(json.dumps(expected.value_of_information.to_dict()))


def test_computed_even_when_the_scenario_switches_it_off(
        capsys: pytest.CaptureFixture[str]) -> None:
    voi_command(_args(str(SUPPORT_BOT), "--paths", "1000", "--jobs", "1",
                      "--set", "voi.enabled=false"))
    assert "(EVPI):" in capsys.readouterr().out


def test_nothing_uncertain_is_worth_nothing() -> None:
    # every input fixed: NPV is one number, so knowing more changes nothing (EVPI = 0)
    # and the option loses money: NPV = -10,000 + 12 x 100,000 x (0.0036 - 0.0008) = -6,640
    summary = summarize(simulate(parse_scenario(FIXED), paths=200, jobs=1))
    assert summary.options["ft"].npv.mean == pytest.approx(-6_640)
    text = voi_text(summary)
    assert "Decision now: keep Baseline (expected NPV 0 USD)" in text
    assert "(EVPI): 0 USD ± 0" in text and "none: every input is fixed" in text


def test_a_bad_scenario_is_refused_before_simulating(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(SUPPORT_BOT.read_text(encoding="utf-8").replace(
        'input = "options.lora_8b_provider.error_rate_gap"\nexamples = 200',
        'input = "options.lora_8b_provider.error_rate_gp"\nexamples = 200'), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"pilots\[0\]\.input: unknown input"):
        voi_command(_args(str(bad), "--paths", "100", "--jobs", "1"))


def test_dispatched_from_the_entry_point(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                         ) -> None:
    from ftsim.cli.main import main

    assert main(["voi", str(SUPPORT_BOT), "--paths", "500", "--jobs", "1", "--top", "2",
                 "--out", str(tmp_path / "r")]) == 0
    assert "(EVPI):" in capsys.readouterr().out and not (tmp_path / "r").exists()
    assert main(["voi", str(SUPPORT_BOT), "--set", "voi.groups=3", "--paths", "100"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: voi.groups: expected an array of tables [[voi.groups]], got 3"]
