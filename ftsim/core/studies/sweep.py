"""A sweep of one scenario key, re-run under common random numbers.

Common random numbers: every point of a sweep or of a break-even grid is simulated with the
same seed, sampler and chunk size, so the uniforms behind each path are the same at every
point and the differences between points are the effect of the value, not Monte Carlo noise.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ...errors import ScenarioError, ScenarioIssue
from ...scenario import Scenario, scenario_from
from ..runner import simulate
from ..summary import summarize
from ..summary_types import OptionSummary

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["DEFAULT_PATHS", "parse_values", "value_grid", "sweep", "load_points"]

# Paths per point when neither --paths nor the caller gives one and the scenario asks for
# more: a sweep runs the scenario once per point. 20,000 paths put the Wilson 95% half-width
# of a probability at <= 0.007.
DEFAULT_PATHS = 20_000


def _number(text: str) -> int | float:
    """A TOML number literal (``3``, ``0.5``, ``200_000``, ``inf``, ``1e7``)."""
    try:
        value = tomllib.loads(f"v = {text.strip()}").get("v")
    except tomllib.TOMLDecodeError:
        value = None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {text.strip()!r}")
    return value


def _tidy(x: float) -> int | float:
    """Grid values that are whole numbers become ints (integer keys accept nothing else)."""
    rounded = round(x)
    return int(rounded) if math.isfinite(x) and abs(x - rounded) <= 1e-9 * max(1.0, abs(x)) \
        else float(f"{x:.12g}")


def parse_values(text: str) -> list[int | float]:
    """``--values a,b,c``: comma-separated TOML numbers, in the order given."""
    values = [_number(part) for part in text.split(",") if part.strip()]
    if not values:
        raise ValueError(f"expected numbers separated by commas, got {text!r}")
    return values


def value_grid(text: str, log: bool = False) -> list[int | float]:
    """``--range LO:HI:N``: N evenly spaced values from LO to HI (geometric with ``log``)."""
    parts = text.split(":")
    if len(parts) != 3:
        raise ValueError(f"expected LO:HI:N, got {text!r}")
    lo, hi = float(_number(parts[0])), float(_number(parts[1]))
    count = _number(parts[2])
    if not isinstance(count, int) or count < 1:
        raise ValueError(f"N must be a whole number >= 1, got {parts[2]!r}")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"LO and HI must be finite, got {text!r}")
    if log and not (lo > 0 and hi > 0):
        raise ValueError(f"--log needs LO and HI above 0, got {text!r}")
    grid = np.geomspace(lo, hi, count) if log else np.linspace(lo, hi, count)
    return [_tidy(float(x)) for x in grid]



def load_points(
    source: str | Path, param: str, values: Sequence[object], *,
    overrides: Sequence[tuple[str, object]] = (), allow_files_outside: bool = False,
    on_warning: Callable[[ScenarioIssue], None] | None = None,
) -> list[Scenario]:
    """The scenario at each value of ``param``, all validated before anything runs.

    Raises `ScenarioError` with the first issue found at each key path over all the values
    (a bad key is named once); ``on_warning`` gets each distinct plausibility warning once.
    """
    if not len(values):
        raise ValueError("a sweep needs at least one value")
    scenarios: list[Scenario] = []
    issues: dict[str, ScenarioIssue] = {}
    for value in values:
        try:
            scenarios.append(scenario_from(source, [*overrides, (param, value)],
                                           allow_files_outside=allow_files_outside))
        except ScenarioError as error:  # one issue per key path: an unknown key once
            for issue in error.issues:
                issues.setdefault(issue.key_path, issue)
    if issues:
        raise ScenarioError(issues.values())
    if on_warning is not None:
        for warning in dict.fromkeys(w for s in scenarios for w in s.warnings):
            on_warning(warning)
    return scenarios


def _option_row(value: object, option_id: str, option: OptionSummary,
                tokens_p50: float | None) -> dict[str, Any]:
    lo, hi = option.p_payback_within_ci95
    return {
        "value": value, "option": option_id, "name": option.name,
        "p_payback_within": option.p_payback_within,
        "p_payback_within_ci95_low": lo, "p_payback_within_ci95_high": hi,
        "npv_p50": option.npv.p50, "npv_mean": option.npv.mean,
        "npv_p5": option.npv.p5, "npv_p95": option.npv.p95,
        "payback_month_p50": option.payback_month.p50,
        "p_abandoned": option.p_abandoned, "verdict": option.verdict,
        "tokens_per_month_p50": tokens_p50,
    }


def sweep(
    source: str | Path, param: str, values: Sequence[object], *,
    overrides: Sequence[tuple[str, object]] = (),
    on_point: Callable[[int, int], None] | None = None, allow_files_outside: bool = False,
    on_warning: Callable[[ScenarioIssue], None] | None = None,
    preloaded: Sequence[Scenario] | None = None, **simulation_kwargs: Any,
) -> pd.DataFrame:
    """Re-run a scenario once per value of one key, at the same seed (common random numbers).

    Parameters
    ----------
    source : str or Path
        A scenario file (a Path, or a str without a newline) or TOML text.
    param : str
        Dotted key path (``drift.events_per_year``, ``options.lora_7b.build.engineering_cost``);
        any key ``--set`` accepts. Each value is applied as an override after ``overrides``
        and validated like a written key.
    values : sequence
        The values, in the order they are run (numbers, or any TOML value).
    overrides : sequence of (key path, value)
        Applied at every point (``--set``, ``--within``...).
    on_point : callable, optional
        ``on_point(done, total)`` after each point.
    allow_files_outside : bool
        Passed to `ftsim.load_scenario` (empirical files outside the scenario's folder).
    on_warning : callable, optional
        Called once per distinct plausibility warning over all the points, before any runs.
    preloaded : sequence of Scenario, optional
        The points as `load_points` returned them (the command line loads them first, to
        refuse bad values before it claims a run folder).
    **simulation_kwargs
        Passed to `ftsim.simulate` (``paths``, ``seed``, ``jobs``, ``sampler``, ...). A
        ``seed`` of None means the scenario's seed, the same at every point.

    Returns
    -------
    pandas.DataFrame
        One row per value x option, in run order: value, option, name, p_payback_within,
        p_payback_within_ci95_low/high, npv_p50, npv_mean, npv_p5, npv_p95,
        payback_month_p50 (nullable Int64; missing = not within the horizon), p_abandoned,
        verdict, tokens_per_month_p50.

    Raises
    ------
    ScenarioError
        Before anything runs, with the first issue found at each key path over all the
        values (a bad key is named once).
    ValueError
        When ``values`` is empty.
    """
    import pandas as pd  # lazy: pandas is imported only by the table-returning studies

    scenarios = (list(preloaded) if preloaded is not None else
                 load_points(source, param, values, overrides=overrides,
                             allow_files_outside=allow_files_outside, on_warning=on_warning))
    rows = []
    for done, (value, scenario) in enumerate(zip(values, scenarios, strict=True), start=1):
        summary = summarize(simulate(scenario, **simulation_kwargs), value_of_information=False)
        rows += [_option_row(value, oid, option, summary.tokens_per_month.p50)
                 for oid, option in summary.options.items()]
        if on_point is not None:
            on_point(done, len(scenarios))
    frame = pd.DataFrame(rows)
    frame["payback_month_p50"] = frame["payback_month_p50"].astype("Int64")
    return frame
