"""What each scenario key may hold (MODEL.md section 3): tables of defaults, kinds and ranges; key checks."""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .distributions import Distribution
from .errors import ScenarioIssue

__all__ = [
    "COUNT_KEYS",
    "INF",
    "ALLOWED_RANGES",
    "CLIPPED_KEYS",
    "ENUMS",
    "REQUIRED",
    "WORLD_NUMERIC",
    "PRICE_NUMERIC",
    "OPTION_NUMERIC",
    "SERVING_NUMERIC",
    "CAPACITY_KEYS",
    "BUILD_NUMERIC",
    "TRAINING_NUMERIC",
    "MAINTENANCE_NUMERIC",
    "SERVING_MODE_KEYS",
    "TRAINING_MODE_KEYS",
    "Plain",
    "SCENARIO_PLAIN",
    "SIMULATION_PLAIN",
    "BASELINE_PLAIN",
    "OPTION_PLAIN",
    "SERVING_PLAIN",
    "BUILD_PLAIN",
    "MAINTENANCE_PLAIN",
    "CORRELATION_PLAIN",
    "TOP_LEVEL",
    "OPTION_SUBTABLES",
    "BUILTIN_INDICES",
]

# Keys whose sampled value is rounded with floor(x + 0.5) (MODEL.md section 2).
COUNT_KEYS = frozenset(
    {"lead_time_months", "retrain_every_months", "detection_lag_months", "trials",
     "min_gpus", "examples", "epochs"}
)

INF = math.inf

# Allowed values per key name: (lo, hi, lo_open, hi_open). A fixed value must lie in the
# interval; a random input's support (after `truncate`) must too. Keys absent from this
# table are unrestricted. `payback_within_months` is further bounded by `horizon_months`.
ALLOWED_RANGES: dict[str, tuple[float, float, bool, bool]] = {
    # [scenario], [simulation]
    "horizon_months": (1, INF, False, True),
    "payback_within_months": (1, INF, False, True),  # and <= horizon_months
    "discount_rate_annual": (-1, INF, True, True),
    "required_probability": (0, 1, True, True),
    "paths": (1, INF, False, True),
    "seed": (0, INF, False, True),  # numpy.random.SeedSequence takes non-negative integers
    # [traffic], [rag], [quality], [drift]
    "requests_per_month": (0, INF, False, True),
    "monthly_growth": (-1, INF, True, True),
    "monthly_volatility": (0, INF, False, True),
    "input_tokens": (0, INF, False, True),
    "output_tokens": (0, INF, False, True),
    "context_tokens": (0, INF, False, True),
    "monthly_cost": (0, INF, False, True),  # [rag] and [options.*.maintenance]
    "baseline_error_rate": (0, 1, False, False),
    "cost_per_error": (0, INF, False, True),
    "events_per_year": (0, INF, False, True),  # [drift] and [prices.*]
    "error_increase": (0, 1, False, False),  # an error-rate increment
    "max_error_increase": (0, 1, False, False),
    # [prices.*]
    "annual_decline": (0, 1, False, True),
    "event_multiplier": (0, INF, True, True),
    # [baseline], api serving
    "price_input_per_mtok": (0, INF, False, True),
    "price_output_per_mtok": (0, INF, False, True),
    "prompt_overhead_tokens": (0, INF, False, True),
    "cached_share": (0, 1, False, False),
    "cached_price_factor": (0, 1, False, False),
    # [options.*]
    "output_token_ratio": (0, INF, False, True),
    "lead_time_months": (0, INF, False, True),
    "error_rate_gap": (-1, 1, False, False),  # see CLIPPED_KEYS
    "max_acceptable_gap": (-1, INF, False, False),  # inf (the default) = never abandoned
    "escalation_rate": (0, 1, False, False),
    # gpu serving
    "gpu_hourly_cost": (0, INF, False, True),
    "throughput_tokens_per_second": (0, INF, True, True),
    "requests_per_second": (0, INF, True, True),
    "utilization": (0, 1, True, False),
    "min_gpus": (0, INF, False, True),
    "hours_per_month": (0, 744, True, False),  # a month has at most 31 * 24 hours
    # [options.*.build]
    "examples": (0, INF, False, True),
    "tokens_per_example": (0, INF, False, True),
    "epochs": (0, INF, False, True),
    "trials": (0, INF, False, True),
    "gpu_hours": (0, INF, False, True),
    "training_gpu_hourly_cost": (0, INF, False, True),
    "training_price_per_mtok": (0, INF, False, True),
    "data_cost_per_example": (0, INF, False, True),
    "eval_setup_cost": (0, INF, False, True),
    "eval_cost_per_run": (0, INF, False, True),
    "engineering_cost": (0, INF, False, True),
    # [options.*.maintenance]
    "retrain_every_months": (0, INF, False, True),
    "detection_lag_months": (0, INF, False, True),
    "retrain_cost": (0, INF, False, True),
    "base_model_updates_per_year": (0, INF, False, True),
    # [[correlations]]
    "rho": (-1, 1, False, False),
}

# Keys the model clips (MODEL.md section 4: e_O,t = clip(e_B + gap + X_t, 0, 1)), so a random
# law may spill past the range (MODEL.md's own example: an untruncated normal gap); its median
# must lie inside. Fixed values are checked against the range as usual.
CLIPPED_KEYS = frozenset({"error_rate_gap"})

ENUMS: dict[str, tuple[str, ...]] = {
    "sampler": ("random", "lhs", "sobol"),
    "mode": ("api", "gpu"),
    "training_mode": ("api", "gpu"),
}
_ENUM_LABEL = {"sampler": "sampler", "mode": "serving mode", "training_mode": "training mode"}


class _Required:
    """Default marker of a key that must be written."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED = _Required()

# Numeric input keys (each may be a distribution) -> default (REQUIRED = must be written).
WORLD_NUMERIC: dict[str, dict[str, float | _Required]] = {
    "traffic": {"requests_per_month": REQUIRED, "monthly_growth": 0.0,
                "monthly_volatility": 0.0, "input_tokens": REQUIRED, "output_tokens": REQUIRED},
    "rag": {"context_tokens": 0.0, "monthly_cost": 0.0},
    "quality": {"baseline_error_rate": 0.0, "cost_per_error": 0.0},
    "drift": {"events_per_year": 0.0, "error_increase": 0.0, "max_error_increase": 1.0},
    "baseline": {"price_input_per_mtok": REQUIRED, "price_output_per_mtok": REQUIRED,
                 "prompt_overhead_tokens": 0.0, "cached_share": 0.0, "cached_price_factor": 1.0},
}
PRICE_NUMERIC: dict[str, float | _Required] = {"annual_decline": 0.0, "events_per_year": 0.0}
OPTION_NUMERIC: dict[str, float | _Required] = {
    "prompt_overhead_tokens": 0.0, "output_token_ratio": 1.0, "lead_time_months": 0.0,
    "error_rate_gap": 0.0, "max_acceptable_gap": INF, "escalation_rate": 0.0,
}
SERVING_NUMERIC: dict[str, dict[str, float | _Required]] = {
    "gpu": {"gpu_hourly_cost": REQUIRED, "utilization": 1.0, "min_gpus": 1.0,
            "hours_per_month": 730.0},
    "api": {"price_input_per_mtok": REQUIRED, "price_output_per_mtok": REQUIRED,
            "cached_share": 0.0, "cached_price_factor": 1.0},
}
# gpu serving takes exactly one of these -> ServingSpec.capacity
CAPACITY_KEYS = {"throughput_tokens_per_second": "tokens", "requests_per_second": "requests"}
BUILD_NUMERIC: dict[str, float | _Required] = {
    "examples": 0.0, "tokens_per_example": 0.0, "epochs": 1.0, "trials": 1.0,
    "data_cost_per_example": 0.0, "eval_setup_cost": 0.0, "eval_cost_per_run": 0.0,
    "engineering_cost": 0.0,
}
# training_gpu_hourly_cost (gpu) is handled apart: its default is the serving draw.
TRAINING_NUMERIC: dict[str, dict[str, float | _Required]] = {
    "gpu": {"gpu_hours": 0.0},
    "api": {"training_price_per_mtok": 0.0},
}
MAINTENANCE_NUMERIC: dict[str, float | _Required] = {
    "monthly_cost": 0.0, "retrain_every_months": 0.0, "detection_lag_months": 0.0,
    "retrain_cost": 0.0, "base_model_updates_per_year": 0.0,
}
SERVING_MODE_KEYS = {
    "gpu": (*SERVING_NUMERIC["gpu"], *CAPACITY_KEYS),
    "api": tuple(SERVING_NUMERIC["api"]),
}
TRAINING_MODE_KEYS = {
    "gpu": (*TRAINING_NUMERIC["gpu"], "training_gpu_hourly_cost"),
    "api": tuple(TRAINING_NUMERIC["api"]),
}

# Plain-valued keys (never distributions): key -> (kind, default). A default of None is
# filled in by the parser (scenario name, option name, price indices, training mode).
Plain = dict[str, tuple[str, object]]
SCENARIO_PLAIN: Plain = {
    "name": ("string", None), "currency": ("string", "USD"),
    "horizon_months": ("integer", 36), "payback_within_months": ("integer", 12),
    "discount_rate_annual": ("number", 0.0), "required_probability": ("number", 0.8),
}
SIMULATION_PLAIN: Plain = {
    "paths": ("integer", 100_000), "seed": ("integer", 0), "sampler": ("string", "random"),
}
BASELINE_PLAIN: Plain = {"name": ("string", "Baseline"), "price_index": ("string", "api")}
OPTION_PLAIN: Plain = {"name": ("string", None), "uses_rag": ("boolean", True)}
SERVING_PLAIN: Plain = {"mode": ("string", REQUIRED), "price_index": ("string", None)}
BUILD_PLAIN: Plain = {"training_mode": ("string", None), "price_index": ("string", None)}
MAINTENANCE_PLAIN: Plain = {"retrain_on_drift": ("boolean", False)}
CORRELATION_PLAIN: Plain = {"a": ("string", REQUIRED), "b": ("string", REQUIRED),
                            "rho": ("number", REQUIRED)}

TOP_LEVEL = ("scenario", "simulation", "traffic", "rag", "quality", "drift", "prices",
             "baseline", "options", "correlations")
OPTION_SUBTABLES = ("serving", "build", "maintenance")
# Price indices the model knows without a [prices.<name>] table (constant 1 when undefined).
BUILTIN_INDICES = ("api", "gpu")

_KIND_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
}
_KIND_TEXT = {"string": "a string", "integer": "an integer", "number": "a number",
              "boolean": "true or false"}
# Probe of a random law's extreme values: a continuous law never reaches an open bound at
# its support's end, a discrete one (choice, empirical) does.
_EDGE_U = 1e-9


def _world_homes() -> dict[str, str]:
    """Key -> the world table it belongs in, for "it belongs in [...]" hints."""
    homes: dict[str, str] = {}
    for table, keys in WORLD_NUMERIC.items():
        for key in keys:
            homes.setdefault(key, f"[{table}]")
    for table, plain in (("scenario", SCENARIO_PLAIN), ("simulation", SIMULATION_PLAIN)):
        for key in plain:
            homes.setdefault(key, f"[{table}]")
    return homes


_WORLD_HOMES = _world_homes()


# --------------------------------------------------------------------------------------
# Formatting helpers
# --------------------------------------------------------------------------------------


def _toml_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _num(value) if not math.isfinite(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_text(v)}" for k, v in value.items()) + "}"
    return str(value)


def _show(value: object) -> str:
    """The value found, as TOML text, shortened for messages."""
    text = _toml_text(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _num(x: float) -> str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:g}"


def _within(x: float, bounds: tuple[float, float, bool, bool]) -> bool:
    lo, hi, lo_open, hi_open = bounds
    above_lo = x > lo if lo_open else x >= lo
    below_hi = x < hi if hi_open else x <= hi
    return above_lo and below_hi  # False for nan


def _range_text(bounds: tuple[float, float, bool, bool]) -> str:
    lo, hi, lo_open, hi_open = bounds
    if hi == INF:
        return f"{'>' if lo_open else '>='} {_num(lo)}"
    return f"in {'(' if lo_open else '['}{_num(lo)}, {_num(hi)}{')' if hi_open else ']'}"


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


# --------------------------------------------------------------------------------------
# Key-level checks against the tables above
# --------------------------------------------------------------------------------------


class _SchemaReader:
    """Generic readers: a key's table, type, enum, range and support checked against the schema,
    every issue recorded with its key path (the scenario parser builds on these)."""

    def __init__(self) -> None:
        self.issues: list[ScenarioIssue] = []

    def issue(self, key_path: str, message: str) -> None:
        self.issues.append(ScenarioIssue(key_path, message))

    # -- generic readers ---------------------------------------------------------------

    def table(self, parent: Mapping[str, object], key: str, path: str,
              required: bool = False) -> dict[str, object] | None:
        """``parent[key]`` if it is a table; None (with an issue if it is required) otherwise."""
        if key not in parent:
            if required:
                self.issue(path, f"missing required table [{path}]")
            return None
        value = parent[key]
        if not isinstance(value, dict):
            self.issue(path, f"expected a table [{path}], got {_show(value)}")
            return None
        return value

    def check_keys(self, table: Mapping[str, object], prefix: str, allowed: Iterable[str],
                   foreign: Mapping[str, str] | None = None,
                   homes: Mapping[str, str] | None = None) -> None:
        """Report every key not in ``allowed``.

        ``foreign`` maps keys of the other serving/training mode to the reason; ``homes``
        maps keys that live in another table to that table, for the hint.
        """
        allowed = tuple(allowed)
        for key, value in table.items():
            if key in allowed:
                continue
            path = _join(prefix, key)
            if foreign and key in foreign:
                self.issue(path, f"{foreign[key]} (found {_show(value)})")
                continue
            what = "table" if isinstance(value, dict) else "key"
            if homes and key in homes:
                hint = f"; it belongs in {homes[key]}"
            else:
                hint = _suggest(key, allowed) or f"; allowed: {', '.join(sorted(allowed))}"
            self.issue(path, f"unknown {what} {key!r} (found {_show(value)}){hint}")

    def plain(self, table: Mapping[str, object], prefix: str, key: str, kind: str,
              default: object, quiet: bool = False) -> Any:
        """A plain-valued key, type-, enum- and range-checked; None when invalid or missing.

        Typed ``Any``: the value has the Python type of ``kind`` (checked here) or is None.
        """
        path = _join(prefix, key)
        if key not in table:
            if isinstance(default, _Required):
                if not quiet:
                    self.issue(path, "missing required key")
                return None
            return default
        value = table[key]
        ok = isinstance(value, _KIND_TYPES[kind])
        if kind != "boolean" and isinstance(value, bool):
            ok = False
        if not ok:
            note = ""
            if isinstance(value, dict):
                note = " (this key takes a plain value, not a table or distribution)"
            self.issue(path, f"expected {_KIND_TEXT[kind]}, got {_show(value)}{note}")
            return None
        if kind == "number":
            value = float(value)
        if key in ENUMS and value not in ENUMS[key]:
            choices = ", ".join(repr(c) for c in ENUMS[key])
            self.issue(path, f"unknown {_ENUM_LABEL[key]} {_show(value)}; expected one of "
                             f"{choices}{_suggest(str(value), ENUMS[key])}")
            return None
        if key in ALLOWED_RANGES and not self.check_value(path, ALLOWED_RANGES[key], value,
                                                          table[key]):
            return None
        return value

    def check_value(self, path: str, bounds: tuple[float, float, bool, bool],
                    x: float, written: object = None) -> bool:
        if _within(float(x), bounds):
            return True
        shown = _show(x if written is None else written)
        text = _range_text(bounds)
        if math.isinf(x) and x in (bounds[0], bounds[1]):
            text = f"finite and {text}"
        self.issue(path, f"must be {text}, got {shown}")
        return False

    def check_support(self, path: str, key: str, dist: Distribution, written: object) -> None:
        """Reject a law whose values (support after truncation) the key does not allow."""
        bounds = ALLOWED_RANGES.get(key)
        if bounds is None:
            return
        if dist.is_fixed:
            self.check_value(path, bounds, dist.support[0], written)
            return
        lo, hi, lo_open, hi_open = bounds
        desc = dist.describe()
        if key in CLIPPED_KEYS:
            median = float(dist.ppf(np.array([0.5]))[0])
            if not _within(median, bounds):
                self.issue(path, f"{desc} has median {_num(median)}; the key must be "
                                 f"{_range_text(bounds)}")
            return
        s_lo, s_hi = dist.support
        sides = []
        if s_lo < lo:
            sides.append(f"below {_num(lo)}")
        if s_hi > hi:
            sides.append(f"above {_num(hi)}")
        if sides:
            self.issue(path, f"{desc} can take values {' and '.join(sides)} (support "
                             f"{_num(s_lo)}..{_num(s_hi)}); add truncate = [{_num(lo)}, "
                             f"{_num(hi)}]")
            return
        # The support touches an excluded bound: only a law with an atom there reaches it.
        for bound, is_open, u in ((lo, lo_open, _EDGE_U), (hi, hi_open, 1 - _EDGE_U)):
            if is_open and bound in (s_lo, s_hi) and math.isfinite(bound):
                if float(dist.ppf(np.array([u]))[0]) == bound:
                    self.issue(path, f"{desc} can take the value {_num(bound)}; the key must "
                                     f"be {_range_text(bounds)}")
                    return

    def price_ref(self, path: str, name: object, defined: Iterable[str]) -> None:
        """An index that is neither defined nor built in ("api", "gpu") is an error."""
        known = {*BUILTIN_INDICES, *defined}
        if isinstance(name, str) and name not in known:
            self.issue(path, f"price index {_show(name)} is not defined: add [prices.{name}] or "
                             f"use one of {', '.join(sorted(known))}{_suggest(name, known)}")
