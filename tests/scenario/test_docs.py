"""docs/scenario.md: its key tables are the schema's, every key the loader accepts is in them
(checked against the loader itself), and its TOML examples form a scenario that loads."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from support import BASE, END, RANDOM, correlation, snippet

from ftsim.distributions import DIST_NAMES
from ftsim.distributions.builders import _FORMS
from ftsim.errors import ScenarioError
from ftsim.scenario import parse_scenario, schema
from ftsim.scenario.reference import begin_marker, end_marker, key_sections, stale_sections

DOC = Path(__file__).resolve().parents[2] / "docs" / "scenario.md"
TEXT = DOC.read_text(encoding="utf-8")


def _block(section: str) -> str:
    return TEXT.split(begin_marker(section), 1)[1].split(end_marker(section), 1)[0]


def _documented(*sections: str) -> set[str]:
    return {key for s in sections for key in re.findall(r"^\| `([^`]+)` \|", _block(s), re.M)}


def test_generated_key_tables_are_current() -> None:
    assert stale_sections(TEXT) == [], (
        "regenerate with: python -c \"from ftsim.scenario.reference import update_reference; "
        "update_reference('docs/scenario.md')\"")


def test_rows_hold_the_contract_ranges() -> None:
    # written by hand from the contract, independent of the renderer
    for row in ("| `horizon_months` | Horizon | 36 | months | [1, 600] |",
                "| `requests_per_month` | Requests per month | required | LLM calls per month "
                "(month 1) | [0, 1e12] |",
                "| `monthly_growth` | Monthly traffic growth | 0 | fraction per month: 0.02 = 2 % "
                "| (-1, 1] |",
                "| `events_per_year` | Drift events per year | 0 | events per year | [0, 365] |",
                "| `events_per_year` | Price events per year | 0 | events per year | [0, 52] |",
                "| `event_multiplier` | Price event multiplier | 1 | new price / old price | "
                "(0, 100] |",
                "| `utilization` | GPU utilization | 1 | fraction | [0.001, 1] |",
                "| `hours_per_month` | GPU hours per month | 730 | hours per month | [1, 744] |",
                "| `npv_targets` | NPV targets | [0] | list of amounts in currency units | 1-12 "
                "entries, each [-1e12, 1e12] |"):
        assert row in TEXT, row
    assert "../shared" not in TEXT and "domain_figures" not in TEXT


# Each concrete table of the test scenario (BASE plus the tables it lacks) and the key tables
# of the document that list what it takes. BASE: lora serves on gpu (tokens/s) and trains on
# gpu; hosted serves and trains through the api.
TABLES = {
    "scenario": ("scenario",), "simulation": ("simulation",), "traffic": ("traffic",),
    "rag": ("rag",), "quality": ("quality",), "drift": ("drift",), "prices.api": ("prices",),
    "baseline": ("baseline",), "options.lora": ("option",),
    "options.lora.serving": ("serving", "serving-gpu"),
    "options.hosted.serving": ("serving", "serving-api"),
    "options.lora.build": ("build", "build-gpu"), "options.hosted.build": ("build", "build-api"),
    "options.lora.maintenance": ("maintenance",), "report": ("report",),
}
CANDIDATES = sorted({key for s in key_sections() for key in _documented(s)}
                    | {"dist", "p5", "truncate", "zzz", "Source", "as-of"})


def _accepted(table: str, key: str) -> bool:
    """Whether the loader takes ``key`` in ``table`` (whatever it thinks of the value)."""
    try:
        parse_scenario(BASE, overrides=[(f"{table}.{key}", 1)])
    except ScenarioError as error:
        path = f"{table}.{key}"
        return not any(i.key_path == path and ("unknown" in i.message or "belongs" in i.message)
                       for i in error.issues)
    return True


@pytest.mark.parametrize("table", list(TABLES))
def test_the_loader_accepts_exactly_the_documented_keys(table: str) -> None:
    documented = _documented(*TABLES[table], "metadata")
    assert documented, table
    subtables = set(schema.OPTION_SUBTABLES) if table == "options.lora" else set()
    accepted = {k for k in CANDIDATES if k not in subtables and _accepted(table, k)}
    assert accepted == documented - subtables, (table, accepted ^ documented)


def test_a_correlation_entry_takes_exactly_the_documented_keys() -> None:
    documented = _documented("correlations", "metadata")
    accepted = set()
    for key in CANDIDATES:
        entry = correlation("traffic.requests_per_month", "traffic.monthly_growth", 0.3)
        text = snippet(*RANDOM, entry, (END, "") if key in ("a", "b", "rho") else
                       (END, f"{key} = 1"))
        try:
            parse_scenario(text)
            accepted.add(key)
        except ScenarioError as error:
            path = f"correlations[0].{key}"
            if not any(i.key_path == path and "unknown" in i.message for i in error.issues):
                accepted.add(key)
    assert accepted == documented


def test_every_table_and_law_is_documented() -> None:
    for table in schema.TOP_LEVEL:
        assert f"[{table}" in TEXT, table
    for name in DIST_NAMES:
        assert f'`"{name}"`' in TEXT, name
    forms_table = TEXT.split("| Form | Parameters | Notes |", 1)[1].split("\n\n", 1)[0]
    for form in _FORMS.values():
        for key in {k for variant in form.variants for k in variant} | set(form.optional):
            assert f"`{key}`" in forms_table, key
    for key in ("truncate", *schema.METADATA_KEYS):
        assert f"`{key}" in TEXT, key


def _toml_blocks() -> list[tuple[str, str]]:
    return re.findall(r"^```(toml[^\n]*)\n(.*?)^```", TEXT, re.S | re.M)


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_the_examples_form_a_scenario_that_loads_and_show_every_key() -> None:
    blocks = _toml_blocks()
    complete = "\n".join(body for info, body in blocks if info.strip() == "toml")
    s = parse_scenario(complete)
    assert list(s.options) == ["lora_8b", "hosted"] and s.warnings == ()
    assert s.npv_targets == (-500_000.0, -100_000.0, 0.0)
    assert s.inputs["traffic.requests_per_month"].as_of == "2024-02"
    shown: set[str] = set()
    for _info, body in blocks:
        shown |= _keys(tomllib.loads(body))  # fragments too: each is valid TOML on its own
    every_key = {key for s_id in key_sections() for key in _documented(s_id)}
    assert every_key - shown == set()
