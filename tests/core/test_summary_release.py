"""summarize(result, release=True): the same summary, a result that refuses to be read
again, and the memory it frees (counted by tracemalloc, one summary thread: deterministic)."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import ftsim
from ftsim.core import summary as summary_module
from ftsim.core.result import RELEASABLE_OPTION_FIELDS, ReleasedError, Result

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _run(name: str, paths: int, **kwargs) -> Result:
    scenario = ftsim.load_scenario(SCENARIOS / name)
    return ftsim.simulate(scenario, paths=paths, seed=11, jobs=1, **kwargs)


@pytest.mark.parametrize("name", ["support_bot.toml", "drift_heavy.toml"])
@pytest.mark.parametrize("keep", [True, False])
def test_a_released_summary_is_the_summary(name, keep):
    # two runs of the same seed: one summarised as before, one releasing as it reads
    kept = ftsim.summarize(_run(name, 3000, keep_cumulative=keep)).to_dict()
    released = ftsim.summarize(_run(name, 3000, keep_cumulative=keep), release=True).to_dict()
    assert json.dumps(released) == json.dumps(kept)


def test_a_released_result_refuses_to_be_read_again():
    result = _run("support_bot.toml", 500)
    held = {oid: o.npv for oid, o in result.options.items()}
    copies = {oid: npv.copy() for oid, npv in held.items()}
    monthly = {oid: dict(o.monthly_cost_sums) for oid, o in result.options.items()}
    ftsim.summarize(result, release=True)
    assert result.released
    # the scalars, the scenario and the per-month sums stay
    assert (result.n_paths, result.seed) == (500, 11) and result.seconds > 0
    for oid, option in result.options.items():
        assert option.monthly_cost_sums.keys() == monthly[oid].keys()
        # an array the caller kept is the caller's, untouched by the summary
        np.testing.assert_array_equal(held[oid], copies[oid])
        for name in RELEASABLE_OPTION_FIELDS:
            with pytest.raises(ReleasedError, match=rf"OptionResult\.{name}: .*release=True"):
                getattr(option, name)
    for read in (lambda: result.inputs, lambda: result.tokens_per_month,
                 lambda: result.requests_per_month, result.hits_within, result.paths_frame):
        with pytest.raises(ReleasedError, match="released by summarize"):
            read()
    with pytest.raises(ReleasedError, match="^summarize: this result's per-path arrays were"):
        ftsim.summarize(result)
    with pytest.raises(AttributeError, match="no attribute 'n_path'"):
        result.n_path  # noqa: B018 - a typo is still an AttributeError, not a release


def _input_entry_memory(monkeypatch, result: Result, release: bool) -> list[int]:
    """Traced bytes at the start of each input's statistics, summarising on one thread."""
    at_entry: list[int] = []
    statistics = summary_module._input_statistics

    def recording(*args, **kwargs):
        at_entry.append(tracemalloc.get_traced_memory()[0])
        return statistics(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(summary_module, "_input_statistics", recording)
        ftsim.summarize(result, threads=1, release=release)
    return at_entry


def test_release_frees_the_outcomes_before_the_heavy_part_and_each_input_after_it(monkeypatch):
    # By the first input's statistics, a releasing summary holds less than one that does not
    # by exactly the arrays it has read (outcomes but NPV, CS rows, tokens and requests);
    # by the last, by every input before it as well. Same run, one thread: same allocations
    # otherwise, so the difference is these arrays' bytes to within some kB of Python
    # objects (-35 kB measured; 1 % of the arrays is allowed).
    ftsim.summarize(_run("support_bot.toml", 200))  # kernels and tables loaded first
    tracemalloc.start()
    try:
        entries = {}
        for release in (False, True):
            result = _run("support_bot.toml", 100_000)
            read = sum(getattr(o, name).nbytes for o in result.options.values()
                       for name in RELEASABLE_OPTION_FIELDS
                       if name != "npv" and getattr(o, name) is not None)
            read += result.tokens_per_month.nbytes + result.requests_per_month.nbytes
            inputs = [a.nbytes for a in result.inputs.values()]
            entries[release] = _input_entry_memory(monkeypatch, result, release)
            del result
    finally:
        tracemalloc.stop()
    first = entries[False][0] - entries[True][0]
    last = entries[False][-1] - entries[True][-1]
    margin = read // 100
    assert read > 100_000 * 2 * 32  # at least each option's 32 bytes of outcomes a path
    assert read - margin <= first <= read + margin
    assert read + sum(inputs[:-1]) - margin <= last <= read + sum(inputs[:-1]) + margin
