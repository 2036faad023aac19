"""The shipped scenarios: every written figure names its original source and date."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftsim.scenario import load_scenario

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.toml"))


def test_the_five_scenarios_are_found() -> None:
    assert {p.stem for p in SCENARIOS} >= {"support_bot", "document_extraction", "internal_tool",
                                           "drift_heavy", "seed_article"}


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_written_figure_has_a_source_and_a_date(path: Path) -> None:
    s = load_scenario(path)
    written = {k: i for k, i in s.all_inputs().items() if i.written is not None}
    assert len(written) > 20
    for key, item in written.items():
        assert item.source and item.as_of, key
    for c in s.correlations:
        assert c.source and c.as_of, (c.a, c.b)
    # defaults are not figures of a source
    for key, item in s.all_inputs().items():
        if item.written is None:
            assert item.source is None and item.as_of is None, key


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_sources_cite_publishers_not_files_outside_the_repository(path: Path) -> None:
    s = load_scenario(path)
    texts = [i.source or "" for i in s.all_inputs().values()]
    texts += [c.source or "" for c in s.correlations]
    for text in texts:
        for pointer in ("shared", "domain_figures", "§", "/work", "../", ".md"):
            assert pointer not in text, (pointer, text)
