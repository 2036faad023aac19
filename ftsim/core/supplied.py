"""Inputs supplied path by path (``--inputs FILE``): joint samples used instead of draws.

Why: an analyst may hold joint samples of several inputs that no independent laws (or one
rank correlation) describe -- historical months of traffic and growth, another team's model
output. Path i then takes row i of every supplied column.

A supplied input stays a random input of the scenario with its design column: its uniforms
are still drawn (and thrown away), so every other input's draws are exactly those of the
same run without the file (common random numbers). Its law becomes `PathValues`, which
`sampling.sample_static` reads by path number instead of through the inverse CDF.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import numpy as np

from ..distributions import Distribution
from ..errors import ScenarioError, ScenarioIssue
from ..format import number_text, suggest
from ..scenario import Input, Scenario
from ..scenario.ranges import Bounds, hard_range

__all__ = ["PathValues", "SuppliedInputs", "replace_inputs", "check_supplied",
           "with_supplied", "supplied_keys", "range_text", "within"]

SOURCE = "--inputs"


class PathValues(Distribution):
    """An input's values given path by path: path i takes ``values[i]``.

    ``sampling.sample_static`` asks for `rows` of a chunk; the inverse CDF (the empirical
    law of the values) serves only where a law is evaluated without paths (summaries of
    the law, preparing tables). Never fixed, even when every value is the same: the input
    keeps its design column, so the other inputs' draws do not move.
    """

    def __init__(self, values: np.ndarray, text: str) -> None:
        self.values = np.array(values, dtype=np.float64)  # a copy: nobody else writes it
        if self.values.ndim != 1 or self.values.size == 0:
            raise ValueError("need a non-empty column of values")
        self.text = text

    def rows(self, start: int, n: int) -> np.ndarray:
        """The values of paths ``start .. start + n - 1`` (a new array)."""
        if start < 0 or start + n > self.values.size:
            raise ValueError(f"paths {start:,}..{start + n - 1:,} asked of {self.values.size:,} "
                             "supplied rows")
        return self.values[start:start + n].copy()

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        ordered = np.sort(self.values)
        i = np.clip(np.ceil(u * ordered.size).astype(np.intp) - 1, 0, ordered.size - 1)
        return ordered[i]

    def cdf(self, x: np.ndarray) -> np.ndarray:
        ordered = np.sort(self.values)
        found = np.searchsorted(ordered, np.asarray(x, dtype=np.float64), side="right")
        return np.asarray(found / ordered.size)

    @property
    def support(self) -> tuple[float, float]:
        return (float(self.values.min()), float(self.values.max()))

    def describe(self) -> str:
        return self.text

    @property
    def mean(self) -> float:
        return float(self.values.mean())


@dataclass(frozen=True)
class SuppliedInputs:
    """Columns read from a file: key path -> float64 values, one per row (path)."""

    label: str  # the file's name, shown in the law's description and the input's source
    columns: Mapping[str, np.ndarray]
    rows: int


def replace_inputs(scenario: Scenario, new: Mapping[str, Input]) -> Scenario:
    """The scenario with the given inputs (by key path: world or option) replaced."""
    world = {k: new.get(k, v) for k, v in scenario.inputs.items()}
    options = {}
    for option_id, option in scenario.options.items():
        own = {k: new.get(k, v) for k, v in option.inputs.items()}
        options[option_id] = replace(option, inputs=own) if own != dict(option.inputs) \
            else option
    return replace(scenario, inputs=world, options=options)


def range_text(bounds: Bounds) -> str:
    """A hard range as the loader writes it: ``[0, 1]``, ``(-1, 1]``, ``>= 0``."""
    lo, hi, lo_open, hi_open = bounds
    if math.isinf(hi) and not math.isinf(lo) and hi_open:
        return f"{'>' if lo_open else '>='} {number_text(lo)}"
    return (f"in {'(' if lo_open else '['}{number_text(lo)}, {number_text(hi)}"
            f"{')' if hi_open else ']'}")


def within(values: np.ndarray, bounds: Bounds) -> np.ndarray:
    """Whether each value lies in the hard range (False for NaN)."""
    lo, hi, lo_open, hi_open = bounds
    above = values > lo if lo_open else values >= lo
    below = values < hi if hi_open else values <= hi
    return above & below


def _column_issues(name: str, values: np.ndarray, first_row: int) -> list[ScenarioIssue]:
    """A column's non-finite values and values outside its key's hard range (first one
    named by its row, ``first_row`` being the number of the file's first data row)."""
    finite = np.isfinite(values)
    if not finite.all():
        bad = np.flatnonzero(~finite)
        return [ScenarioIssue(SOURCE, f"column {name}, row {bad[0] + first_row:,}: "
                                      f"{number_text(float(values[bad[0]]))} is not a finite "
                                      f"number ({bad.size:,} such rows)")]
    bounds = hard_range(name)
    if bounds is None:
        return []
    bad = np.flatnonzero(~within(values, bounds))
    if not bad.size:
        return []
    more = (f"; {bad.size - 1:,} more row{'s' if bad.size > 2 else ''} outside"
            if bad.size > 1 else "")
    return [ScenarioIssue(SOURCE, f"column {name}, row {bad[0] + first_row:,}: "
                                  f"{number_text(float(values[bad[0]]))} is outside the key's "
                                  f"range: must be {range_text(bounds)}{more}")]


def check_supplied(scenario: Scenario, columns: Mapping[str, np.ndarray], *,
                   first_row: int = 1) -> list[ScenarioIssue]:
    """Every problem of supplied columns, one line each: a column that names no input
    (with the closest key), a fixed input, a non-finite value or one outside the key's hard
    range (the column, the row and the range), a correlation between a supplied and a
    drawn input. Rows are numbered from ``first_row``."""
    inputs = scenario.all_inputs()
    issues: list[ScenarioIssue] = []
    for name, values in columns.items():
        if name not in inputs:
            issues.append(ScenarioIssue(SOURCE, f"column {name!r} is not an input of the "
                                                f"scenario{suggest(name, inputs)}"))
        elif not inputs[name].is_random:
            issues.append(ScenarioIssue(SOURCE, f"column {name} is a fixed input "
                                                f"({inputs[name].dist.describe()}): give it a "
                                                "law in the scenario to supply its values"))
        else:
            issues += _column_issues(name, np.asarray(values, dtype=np.float64), first_row)
    for c in scenario.correlations:
        if (c.a in columns) != (c.b in columns):
            given, drawn = (c.a, c.b) if c.a in columns else (c.b, c.a)
            issues.append(ScenarioIssue(SOURCE, f"column {given} is correlated with the drawn "
                                                f"input {drawn} ([[correlations]]); supply "
                                                "both or remove the correlation"))
    if not columns:
        issues.append(ScenarioIssue(SOURCE, "the file has no columns"))
    return issues


def with_supplied(scenario: Scenario, supplied: SuppliedInputs, paths: int) -> Scenario:
    """The scenario whose supplied inputs take the first ``paths`` rows of their columns.

    Raises `ScenarioError` (every problem, one line each) when a column is refused or
    the file has fewer rows than ``paths``.
    """
    issues = check_supplied(scenario, supplied.columns)
    if supplied.rows < paths:
        issues.append(ScenarioIssue(SOURCE, f"{supplied.label} has {supplied.rows:,} rows, "
                                            f"fewer than the {paths:,} paths asked for (one "
                                            "row per path; rows are not reused)"))
    if issues:
        raise ScenarioError(issues)
    text = (f"supplied: {supplied.label} ({paths:,} rows)" if paths == supplied.rows
            else f"supplied: {supplied.label} (first {paths:,} of {supplied.rows:,} rows)")
    inputs = scenario.all_inputs()
    new = {key: replace(inputs[key], dist=PathValues(values[:paths], text), written=text,
                        source=f"{SOURCE} {supplied.label}", as_of=None)
           for key, values in supplied.columns.items()}
    return replace_inputs(scenario, new)


def supplied_keys(scenario: Scenario) -> Iterable[str]:
    """Key paths of the inputs whose values are supplied path by path."""
    return [k for k, item in scenario.all_inputs().items() if isinstance(item.dist, PathValues)]
