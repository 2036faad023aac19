"""[voi], [[voi.groups]] and [[pilots]]: what they accept, their defaults, and one clear
line naming the key path for each mistake (before anything is simulated)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import END, RANDOM, issues_of, snippet

from ftsim.errors import ScenarioError
from ftsim.scenario import Pilot, VoiGroup, load_scenario, parse_scenario
from ftsim.scenario.reference import begin_marker, end_marker

ROOT = Path(__file__).resolve().parents[2]
GAP = "options.lora.error_rate_gap"
RANDOM_GAP = ("error_rate_gap = 0.01", 'error_rate_gap = { dist = "normal", mean = 0.01, '
                                       'sd = 0.015 }')
GROUP = '[[voi.groups]]\nname = "Prices"\ninputs = ["prices.api.annual_decline", ' \
        '"options.lora.serving.gpu_hourly_cost"]'
PILOT = f'[[pilots]]\nname = "Small"\ninput = "{GAP}"\nexamples = 200\n' \
        'noise_sd_per_example = 0.42\ncost = 5_000\nduration_months = 1.5'


def _text(*tail: str, edits: tuple[tuple[str, str], ...] = ()) -> str:
    return snippet(*RANDOM, RANDOM_GAP, *edits, *((END, t) for t in tail))


def test_defaults_without_the_tables() -> None:
    s = parse_scenario(_text())
    assert (s.voi_enabled, s.voi_groups, s.pilots) == (True, (), ())


def test_groups_and_pilots_are_read() -> None:
    s = parse_scenario(_text('[voi]\nenabled = false\nsource = "Analyst"\nas_of = "2026-11"',
                             GROUP, PILOT,
                             PILOT.replace('"Small"', '"Large"').replace("200", "1_000")))
    assert s.voi_enabled is False
    assert s.voi_groups == (VoiGroup("Prices", ("prices.api.annual_decline",
                                                "options.lora.serving.gpu_hourly_cost")),)
    assert s.pilots == (Pilot("Small", GAP, 200, 0.42, 5000.0, 1.5),
                        Pilot("Large", GAP, 1000, 0.42, 5000.0, 1.5))
    assert isinstance(s.pilots[0].examples, int)


def test_duration_defaults_to_zero_and_metadata_is_kept() -> None:
    pilot = PILOT.replace("duration_months = 1.5", 'source = "eval.qa, 2026"\nas_of = "2026-05"')
    (found,) = parse_scenario(_text(pilot)).pilots
    assert (found.duration_months, found.source, found.as_of) == (0.0, "eval.qa, 2026",
                                                                  "2026-05")


# (id, text appended to the scenario, key path, message fragment)
MISTAKES = [
    ("voi-unknown-key", "[voi]\nenabld = true", "voi.enabld", "did you mean 'enabled'?"),
    ("voi-enabled-not-boolean", "[voi]\nenabled = 1", "voi.enabled", "expected true or false"),
    ("groups-not-array", "[voi]\ngroups = 3", "voi.groups", "expected an array of tables"),
    ("group-no-inputs", '[[voi.groups]]\nname = "x"', "voi.groups[0].inputs",
     "missing required key"),
    ("group-no-name", '[[voi.groups]]\ninputs = ["prices.api.annual_decline"]',
     "voi.groups[0].name", "missing required key"),
    ("group-empty-inputs", '[[voi.groups]]\nname = "x"\ninputs = []', "voi.groups[0].inputs",
     "expected a list of 1 to 20 key paths"),
    ("group-unknown-input", '[[voi.groups]]\nname = "x"\ninputs = ["prices.api.annual_declin"]',
     "voi.groups[0].inputs[0]", "did you mean 'prices.api.annual_decline'?"),
    ("group-twice", '[[voi.groups]]\nname = "x"\ninputs = ["prices.api.annual_decline", '
                    '"prices.api.annual_decline"]', "voi.groups[0].inputs[1]", "listed twice"),
    ("group-duplicate-name", GROUP + "\n" + GROUP, "voi.groups[1].name",
     'duplicate name "Prices", already given in voi.groups[0]'),
    ("group-unknown-key", GROUP + "\nweight = 2", "voi.groups[0].weight", "unknown key"),
    ("pilots-not-array", "[pilots]\nname = 3", "pilots", "expected an array of tables"),
    ("pilot-zero-examples", PILOT.replace("examples = 200", "examples = 0"),
     "pilots[0].examples", "must be in [1, 1e9], got 0"),
    ("pilot-float-examples", PILOT.replace("examples = 200", "examples = 200.5"),
     "pilots[0].examples", "expected an integer"),
    ("pilot-negative-noise", PILOT.replace("0.42", "-0.1"), "pilots[0].noise_sd_per_example",
     "must be in [0, 1e12], got -0.1"),
    ("pilot-negative-cost", PILOT.replace("5_000", "-5"), "pilots[0].cost", "must be in [0"),
    ("pilot-no-cost", PILOT.replace("cost = 5_000\n", ""), "pilots[0].cost",
     "missing required key"),
    ("pilot-long", PILOT.replace("1.5", "601"), "pilots[0].duration_months",
     "must be in [0, 600]"),
    ("pilot-unknown-input", PILOT.replace(GAP, "options.lora.error_rate_gp"), "pilots[0].input",
     "did you mean 'options.lora.error_rate_gap'?"),
    ("pilot-unknown-key", PILOT + "\nlabel = 1", "pilots[0].label", "unknown key"),
    ("pilot-duplicate-name", PILOT + "\n" + PILOT, "pilots[1].name",
     'duplicate name "Small", already given in pilots[0]'),
    ("pilot-bad-as-of", PILOT + '\nas_of = "2026-13"', "pilots[0].as_of", "not a real month"),
]


@pytest.mark.parametrize(("tail", "key_path", "message"),
                         [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_each_mistake_is_one_line_naming_its_key(tail: str, key_path: str, message: str) -> None:
    issues = issues_of(_text(tail))
    assert any(path == key_path and message in text for path, text in issues), issues
    assert all("\n" not in text for _, text in issues)


def test_fixed_inputs_are_accepted() -> None:
    """A --set or a sweep that fixes an input a pilot measures keeps the scenario valid."""
    s = parse_scenario(_text(PILOT, GROUP), overrides=[(GAP, 0.0),
                                                       ("prices.api.annual_decline", 0.2)])
    assert s.pilots[0].input == GAP and not s.inputs["prices.api.annual_decline"].is_random
    assert s.voi_groups[0].inputs[0] == "prices.api.annual_decline"


def test_too_many_entries() -> None:
    many = "\n".join(PILOT.replace('"Small"', f'"P{i}"') for i in range(21))
    assert ("pilots", "at most 20 entries, got 21") in issues_of(_text(many))


def test_a_broken_input_is_reported_once() -> None:
    """A pilot naming an input whose own law is broken adds no second error."""
    issues = issues_of(_text(PILOT, edits=((RANDOM_GAP[1], 'error_rate_gap = { dist = '
                                                           '"normal", mean = 0.01 }'),)))
    assert [path for path, _ in issues] == [GAP]


def test_implausible_pilot_warns_but_loads() -> None:
    s = parse_scenario(_text(PILOT.replace("examples = 200", "examples = 5")
                             .replace("1.5", "18")))
    warned = {w.key_path for w in s.warnings}
    assert warned == {"pilots[0].examples", "pilots[0].duration_months"}


def test_override_switches_voi_off() -> None:
    s = parse_scenario(_text(), overrides=[("voi.enabled", False)])
    assert s.voi_enabled is False
    with pytest.raises(ScenarioError, match="voi.enabled"):
        parse_scenario(_text(), overrides=[("voi.enabled", "no")])


def _documented(section: str) -> set[str]:
    text = (ROOT / "docs" / "scenario.md").read_text(encoding="utf-8")
    block = text.split(begin_marker(section), 1)[1].split(end_marker(section), 1)[0]
    return set(re.findall(r"^\| `([^`]+)` \|", block, re.M))


def test_the_documented_keys_are_the_accepted_ones() -> None:
    assert _documented("voi") == {"enabled"}
    assert _documented("voi-groups") == {"name", "inputs"}
    assert _documented("pilots") == {"name", "input", "examples", "noise_sd_per_example",
                                     "cost", "duration_months"}
    # every documented pilot key but duration_months is required: leaving one out fails
    for key in _documented("pilots") - {"duration_months"}:
        kept = "\n".join(line for line in PILOT.splitlines() if not line.startswith(key + " "))
        assert (f"pilots[0].{key}", "missing required key") in issues_of(_text(kept))


def test_support_bot_declares_pilots_on_the_gap() -> None:
    s = load_scenario(ROOT / "scenarios" / "support_bot.toml")
    assert [p.examples for p in s.pilots] == [200, 1000]
    assert {p.input for p in s.pilots} == {"options.lora_8b_provider.error_rate_gap"}
    assert all(p.source and p.cost > 0 and p.duration_months > 0 for p in s.pilots)
    assert [g.name for g in s.voi_groups] == ["Price trends", "Traffic volume"]
