"""Property tests of issue 9: every valid scenario runs, every bad one is refused.

(a) A generator of *valid* scenarios built from the schema tables of ``ftsim/scenario/schema.py`` and
the agreed hard ranges (``schema.ALLOWED_RANGES`` intersected with ``CONTRACT`` below, so a
generated value is legal under both the code's table and the written contract): every
optional key present or absent, every distribution form, degenerate laws, values exactly at
the hard-range edges. Each scenario runs through the command line (with the report for a
few, through load + simulate + summarize for many more) and the outputs are checked against
what must hold whatever the numbers: valid JSON, probabilities in [0, 1], each interval
containing its estimate, every file of the run folder written.

(b) Mutations of valid scenarios (deleted keys, swapped types, strings, NaN/inf, huge, tiny,
negative, nested, unicode, control characters, broken TOML text): the loader returns a
Scenario or raises ScenarioError, never anything else, and each error is one line naming a
key; a mutated scenario the loader accepts must run.

Example counts: ``examples(n)`` is n under the default ``ci`` profile (tests/conftest.py) and
``LONG_FACTOR * n`` under ``HYPOTHESIS_PROFILE=long`` (benchmarks/README.md). benchmarks/fuzz.py
reuses the strategies and case runners defined here.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import io
import json
import math
import os
import re
import shutil
import tempfile
import tomllib
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

import ftsim
from ftsim.cli import main
from ftsim.errors import ScenarioError
from ftsim.scenario import Scenario, load_scenario, parse_override, schema

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
SCALE = {"ci": 1.0, "long": 40.0, "quick": 0.1}


def examples(n: int) -> int:
    """Examples of one property: n in the ci profile, 40 times more in the long one (a tenth in
    the quick one, for checking the tests themselves)."""
    return max(1, round(n * SCALE.get(PROFILE, 1.0)))


# --------------------------------------------------------------------------------------
# Hard ranges: the contract of notes/ranges.md, intersected with the code's table
# --------------------------------------------------------------------------------------

Bounds = tuple[float, float, bool, bool]  # (lo, hi, lo_open, hi_open), as schema.ALLOWED_RANGES
INF = math.inf
_F, _T = False, True
_TOKENS: Bounds = (0.0, 1e7, _F, _F)
_PER_MTOK: Bounds = (0.0, 1e6, _F, _F)
_GPU_HOUR: Bounds = (0.0, 1e5, _F, _F)
_MONEY: Bounds = (0.0, 1e12, _F, _F)
_PROB: Bounds = (0.0, 1.0, _F, _F)
_MONTHS: Bounds = (0.0, 600.0, _F, _F)

# The agreed maxima (and minima) per key name; the generator never leaves them, so a refusal
# or a crash on a generated scenario is a defect, not a generator artefact.
CONTRACT: dict[str, Bounds] = {
    "horizon_months": (1, 600, _F, _F),
    "payback_within_months": (1, 600, _F, _F),
    "discount_rate_annual": (-0.5, 10, _F, _F),
    "required_probability": (0, 1, _T, _T),
    "paths": (1, 1e9, _F, _F),
    "seed": (0, 2**63 - 1, _F, _F),
    "requests_per_month": (0, 1e12, _F, _F),
    "monthly_growth": (-1, 1, _T, _F),
    "monthly_volatility": (0, 2, _F, _F),
    "input_tokens": _TOKENS, "output_tokens": _TOKENS, "context_tokens": _TOKENS,
    "prompt_overhead_tokens": _TOKENS, "tokens_per_example": _TOKENS,
    "output_token_ratio": (0, 100, _F, _F),
    "price_input_per_mtok": _PER_MTOK, "price_output_per_mtok": _PER_MTOK,
    "training_price_per_mtok": _PER_MTOK,
    "gpu_hourly_cost": _GPU_HOUR, "training_gpu_hourly_cost": _GPU_HOUR,
    "monthly_cost": _MONEY, "cost_per_error": _MONEY, "engineering_cost": _MONEY,
    "retrain_cost": _MONEY, "eval_setup_cost": _MONEY, "eval_cost_per_run": _MONEY,
    "data_cost_per_example": _MONEY,
    "events_per_year": (0, 365, _F, _F),  # drift; a price index's is PRICE_EVENTS
    "base_model_updates_per_year": (0, 52, _F, _F),
    "annual_decline": (0, 1, _F, _T),
    "event_multiplier": (0, 100, _T, _F),
    "throughput_tokens_per_second": (1e-3, 1e9, _F, _F),
    "requests_per_second": (1e-6, 1e7, _F, _F),
    "utilization": (1e-3, 1, _F, _F),
    "min_gpus": (0, 1e6, _F, _F),
    "hours_per_month": (0, 744, _T, _F),
    "examples": (0, 1e10, _F, _F),
    "epochs": (0, 1e4, _F, _F), "trials": (0, 1e4, _F, _F),
    "gpu_hours": (0, 1e9, _F, _F),
    "lead_time_months": _MONTHS, "retrain_every_months": _MONTHS,
    "detection_lag_months": _MONTHS,
    "baseline_error_rate": _PROB, "error_increase": _PROB, "max_error_increase": _PROB,
    "cached_share": _PROB, "cached_price_factor": _PROB, "escalation_rate": _PROB,
    "error_rate_gap": (-1, 1, _F, _F),
    "max_acceptable_gap": (-1, INF, _F, _F),
    "rho": (-1, 1, _F, _F),
}
PRICE_EVENTS: Bounds = (0, 52, _F, _F)  # prices.<name>.events_per_year

# Where the bulk of a "plausible" law sits (most generated laws live here; the rest use the
# whole legal range or its exact edges).
TYPICAL: dict[str, tuple[float, float]] = {
    "requests_per_month": (1e3, 1e7), "monthly_growth": (-0.03, 0.08),
    "monthly_volatility": (0, 0.3), "input_tokens": (10, 4000), "output_tokens": (10, 2000),
    "context_tokens": (0, 8000), "prompt_overhead_tokens": (0, 2000),
    "tokens_per_example": (50, 4000), "output_token_ratio": (0.3, 3),
    "price_input_per_mtok": (0.05, 30), "price_output_per_mtok": (0.1, 60),
    "training_price_per_mtok": (0.5, 25), "gpu_hourly_cost": (0.5, 12),
    "training_gpu_hourly_cost": (0.5, 12), "monthly_cost": (0, 5e4), "cost_per_error": (0, 50),
    "engineering_cost": (0, 2e5), "retrain_cost": (0, 2e4), "eval_setup_cost": (0, 2e4),
    "eval_cost_per_run": (0, 2e3), "data_cost_per_example": (0, 2), "events_per_year": (0, 6),
    "base_model_updates_per_year": (0, 4), "annual_decline": (0, 0.5),
    "event_multiplier": (0.5, 2), "throughput_tokens_per_second": (100, 1e4),
    "requests_per_second": (0.5, 50), "utilization": (0.2, 1), "min_gpus": (0, 4),
    "hours_per_month": (200, 744), "examples": (0, 1e5), "epochs": (1, 5), "trials": (1, 4),
    "gpu_hours": (0, 200), "lead_time_months": (0, 6), "retrain_every_months": (0, 12),
    "detection_lag_months": (0, 3), "baseline_error_rate": (0, 0.2),
    "error_increase": (0, 0.1), "max_error_increase": (0, 0.3), "cached_share": (0, 0.8),
    "cached_price_factor": (0.1, 1), "escalation_rate": (0, 0.2),
    "error_rate_gap": (-0.05, 0.05), "max_acceptable_gap": (0, 0.3),
}

U_EPS = 2.0**-53  # the sampler's smallest uniform (ftsim/rng.py: U_MIN)
# Reachable extremes are probed further out than the sampler goes (u = U_EPS / 16), so a law
# the generator calls legal is legal with a margin, whatever rounding the loader's check has.
U_PROBE = U_EPS / 16


def _intersect(a: Bounds, b: Bounds) -> Bounds:
    if a[0] > b[0]:
        lo, lo_open = a[0], a[2]
    elif b[0] > a[0]:
        lo, lo_open = b[0], b[2]
    else:
        lo, lo_open = a[0], a[2] or b[2]
    if a[1] < b[1]:
        hi, hi_open = a[1], a[3]
    elif b[1] < a[1]:
        hi, hi_open = b[1], b[3]
    else:
        hi, hi_open = a[1], a[3] or b[3]
    return (float(lo), float(hi), lo_open, hi_open)


def hard_range(key: str, in_prices: bool = False) -> Bounds:
    """The range a generated value of ``key`` keeps to: contract and code table together."""
    mine = PRICE_EVENTS if in_prices and key == "events_per_year" else CONTRACT[key]
    theirs = schema.ALLOWED_RANGES.get(key, mine)
    return _intersect(mine, theirs)


def int_max(key: str) -> int:
    """Largest legal integer of an integer key (exact: 2**63 - 1 is not a float)."""
    mine = int(CONTRACT[key][1])
    theirs = schema.ALLOWED_RANGES.get(key, CONTRACT[key])[1]
    return mine if not math.isfinite(theirs) else min(mine, int(theirs))


def _within(x: float, b: Bounds) -> bool:
    lo, hi, lo_open, hi_open = b
    return (x > lo if lo_open else x >= lo) and (x < hi if hi_open else x <= hi)


def inner(b: Bounds) -> tuple[float, float]:
    """Closed interval strictly inside the open ends, for the parameters of random laws."""
    lo, hi, lo_open, hi_open = b
    a = lo + max(1e-9, abs(lo) * 1e-9) if lo_open else lo
    z = hi - max(1e-9, abs(hi) * 1e-9) if hi_open and math.isfinite(hi) else hi
    return a, z


def edges(b: Bounds) -> list[float]:
    """The extreme legal values themselves: a closed bound, or the float next to an open one."""
    lo, hi, lo_open, hi_open = b
    out = [math.nextafter(lo, INF) if lo_open else lo]
    if math.isfinite(hi):
        out.append(math.nextafter(hi, -INF) if hi_open else hi)
    elif not hi_open:
        out.append(INF)
    return out


# --------------------------------------------------------------------------------------
# TOML text from a raw dict (the generator works on dicts, the loader reads text)
# --------------------------------------------------------------------------------------

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def toml_string(s: str) -> str:
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def toml_key(k: str) -> str:
    return k if _BARE.fullmatch(k) else toml_string(k)


def toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return toml_string(v)
    if isinstance(v, datetime | date | time):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"no TOML form for {type(v).__name__}")


def _is_section(path: tuple[str, ...], key: str, value: object) -> bool:
    """Tables written as [headers]: top-level tables, options.<id>, prices.<name>, and the
    serving/build/maintenance tables of an option; everything deeper is an inline table."""
    if not isinstance(value, dict):
        return False
    return (not path or path in (("options",), ("prices",))
            or (len(path) == 2 and path[0] == "options" and key in schema.OPTION_SUBTABLES))


def _array_of_tables(path: tuple[str, ...], value: object) -> bool:
    return (not path and isinstance(value, list) and bool(value)
            and all(isinstance(x, dict) for x in value))


def toml_dumps(doc: dict[str, Any]) -> str:
    """TOML text whose tomllib parse equals ``doc`` (checked by test_toml_emitter_round_trips)."""
    lines: list[str] = []

    def emit(path: tuple[str, ...], table: dict[str, Any]) -> None:
        nested = [(k, v) for k, v in table.items()
                  if _is_section(path, k, v) or _array_of_tables(path, v)]
        for k, v in table.items():
            if not (_is_section(path, k, v) or _array_of_tables(path, v)):
                lines.append(f"{toml_key(k)} = {toml_value(v)}")
        for k, v in nested:
            header = ".".join(toml_key(p) for p in (*path, k))
            if isinstance(v, dict):
                lines.append("")
                lines.append(f"[{header}]")
                emit((*path, k), v)
            else:
                for item in v:
                    lines.append("")
                    lines.append(f"[[{header}]]")
                    for ik, iv in item.items():
                        lines.append(f"{toml_key(ik)} = {toml_value(iv)}")

    emit((), doc)
    return "\n".join(lines).lstrip("\n") + "\n"


# --------------------------------------------------------------------------------------
# (a) Valid scenarios
# --------------------------------------------------------------------------------------


@dataclass
class Case:
    """A generated scenario: its raw dict, the CSV files it names, its random inputs."""

    doc: dict[str, Any]
    files: dict[str, str] = field(default_factory=dict)
    randoms: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return toml_dumps(self.doc)

    @property
    def horizon(self) -> int:
        return int(self.doc.get("scenario", {}).get("horizon_months", 36))

    @property
    def within(self) -> int:
        return int(self.doc.get("scenario", {}).get("payback_within_months", 12))

    def write(self, folder: Path) -> Path:
        for name, content in self.files.items():
            (folder / name).write_text(content, encoding="utf-8")
        path = folder / "scenario.toml"
        path.write_text(self.text, encoding="utf-8")
        return path


_BARE_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
# Printable text: letters, marks, numbers, punctuation, symbols and the ASCII space (no
# control, format, private-use or separator characters), plus the characters that broke
# Markdown, HTML or mathtext before (issue 9, item 9).
_PRINTABLE = st.characters(categories=("L", "M", "N", "P", "S"), max_codepoint=0xFFFF)
_NASTY = st.sampled_from(list("$\\*_`#<>&{}[]|~^%'\"!") + ["$$", "<script>", " # ", "  "])


def _printable_text(max_size: int) -> st.SearchStrategy[str]:
    pieces = st.lists(st.one_of(_PRINTABLE.map(str), _NASTY, st.just(" ")), min_size=1,
                      max_size=max_size)
    text = pieces.map("".join).map(lambda s: s[:max_size].strip())
    return text.filter(bool)


NAMES = st.one_of(_printable_text(40), _printable_text(120),
                  st.text(alphabet=_PRINTABLE, min_size=120, max_size=120).filter(
                      lambda s: s == s.strip()),
                  st.just("W" * 120))
CURRENCIES = st.one_of(st.sampled_from(["USD", "EUR", "€", "$", "US$", "$$", "¥", "\\$", "%"]),
                       _printable_text(12))
BARE_IDS = st.text(alphabet=_BARE_CHARS, min_size=1, max_size=64)


# Prebuilt primitive strategies: laws are drawn as plain Python from these (building a new
# strategy per draw, e.g. st.floats(c, d) with fresh bounds, costs more than the draw).
UNIT = st.floats(0.0, 1.0)
BOOL = st.booleans()
LAW_FORMS = ("fixed", "edge", "auto", "normal", "normal_p", "lognormal_p", "lognormal_median",
             "lognormal_mean", "uniform", "triangular", "pert", "beta", "gamma", "choice",
             "empirical", "empirical_file")
FORM = st.sampled_from(LAW_FORMS)
WINDOW = st.sampled_from(("typical", "typical", "typical", "full"))
WEIGHTS = st.one_of(st.just(0), st.integers(0, 10), st.floats(0, 1e308), st.just(1e308))
COLUMNS = st.sampled_from(["x", "value", "Monthly requests"])
_Z95 = 1.6448536269514722


def point(draw: st.DrawFn, c: float, d: float) -> float:
    """A float in [c, d] (either order), its ends included; log-scaled across decades half
    the time, so [0, 1e12] yields 3.7 as often as 3.7e11."""
    lo, hi = min(c, d), max(c, d)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"generator bug: interval [{c}, {d}]")
    u = draw(UNIT)
    if lo == hi or u == 0.0:
        return lo
    if u == 1.0:
        return hi
    base = max(lo, hi * 1e-15)
    if base > 0 and (lo == 0 or hi / lo > 1e3) and draw(BOOL):
        x = math.exp(math.log(base) + u * (math.log(hi) - math.log(base)))
    else:
        x = lo + u * (hi - lo)
    return min(max(x, lo), hi)


def window(draw: st.DrawFn, key: str, b: Bounds) -> tuple[float, float]:
    """Where a law's parameters lie: the key's typical range (mostly) or the whole legal one."""
    a, z = inner(b)
    ta, tz = TYPICAL.get(key, (a, a))
    ta, tz = max(ta, a), min(tz, z)
    if ta > tz:
        ta = tz = a
    if draw(WINDOW) == "typical":
        return ta, tz
    return a, (z if math.isfinite(z) else max(tz, 10.0))


@dataclass(frozen=True)
class Law:
    """A continuous law's quantiles and tails, from scipy.special (independent of ftsim)."""

    ppf: Callable[[float], float]
    isf: Callable[[float], float]
    cdf: Callable[[float], float]
    sf: Callable[[float], float]

    @staticmethod
    def normal(m: float, s: float) -> Law:
        return Law(lambda u: m + s * special.ndtri(u), lambda q: m - s * special.ndtri(q),
                   lambda x: special.ndtr((x - m) / s), lambda x: special.ndtr((m - x) / s))

    @staticmethod
    def lognormal(mu: float, s: float) -> Law:
        def z(x: float) -> float:
            return (math.log(x) - mu) / s if x > 0 else -INF
        return Law(lambda u: math.exp(min(mu + s * special.ndtri(u), 800.0)),
                   lambda q: math.exp(min(mu - s * special.ndtri(q), 800.0)),
                   lambda x: special.ndtr(z(x)), lambda x: special.ndtr(-z(x)))

    @staticmethod
    def gamma(k: float, theta: float) -> Law:
        return Law(lambda u: theta * special.gammaincinv(k, u),
                   lambda q: theta * special.gammainccinv(k, q),
                   lambda x: special.gammainc(k, max(x, 0.0) / theta),
                   lambda x: special.gammaincc(k, max(x, 0.0) / theta))

    @staticmethod
    def beta(p: float, q: float, lo: float, hi: float) -> Law:
        w = hi - lo

        def t(x: float) -> float:
            return min(max((x - lo) / w, 0.0), 1.0)
        return Law(lambda u: lo + w * special.betaincinv(p, q, u),
                   lambda r: hi - w * special.betaincinv(q, p, r),
                   lambda x: special.betainc(p, q, t(x)), lambda x: special.betainc(q, p, 1 - t(x)))

    @staticmethod
    def triangular(lo: float, mode: float, hi: float) -> Law:
        w, c = hi - lo, (mode - lo) / (hi - lo)

        def ppf(u: float) -> float:
            return lo + w * math.sqrt(c * u) if u <= c else hi - w * math.sqrt((1 - c) * (1 - u))

        def isf(q: float) -> float:
            return hi - w * math.sqrt((1 - c) * q) if q <= 1 - c else lo + w * math.sqrt(c * (1 - q))

        def cdf(x: float) -> float:
            t = min(max((x - lo) / w, 0.0), 1.0)
            if t <= c:
                return t * (t / c) if c > 0 else 0.0
            return 1 - (1 - t) * ((1 - t) / (1 - c))

        def sf(x: float) -> float:
            t = min(max((x - lo) / w, 0.0), 1.0)
            if t <= c:
                return 1 - t * (t / c) if c > 0 else 1.0
            return (1 - t) * ((1 - t) / (1 - c))
        return Law(ppf, isf, cdf, sf)

    @staticmethod
    def uniform(lo: float, hi: float) -> Law:
        w = hi - lo
        return Law(lambda u: lo + u * w, lambda q: hi - q * w,
                   lambda x: min(max((x - lo) / w, 0.0), 1.0),
                   lambda x: min(max((hi - x) / w, 0.0), 1.0))

    def mass(self, lo: float, hi: float) -> float:
        """P(lo <= X <= hi), from whichever tail keeps it precise."""
        return max(float(self.cdf(hi) - self.cdf(lo)), float(self.sf(lo) - self.sf(hi)))


def draw_law(draw: st.DrawFn, key: str, b: Bounds, files: dict[str, str] | None = None
             ) -> tuple[object, bool]:
    """A legal value of ``key``: (the TOML value, whether it is a random input)."""
    a, z = inner(b)
    c, d = window(draw, key, b)
    form = draw(FORM)
    clipped = key in schema.CLIPPED_KEYS

    def number(x: float) -> float | int:
        if math.isfinite(x) and x == int(x) and abs(x) < 2**53 and draw(BOOL):
            return int(x)
        return x

    def fixed() -> tuple[object, bool]:
        return number(point(draw, c, d)), False

    def continuous(table: dict[str, object], law: Law) -> tuple[object, bool]:
        with np.errstate(all="ignore"):  # the generator's own arithmetic at the extremes
            return _continuous(table, law)

    def _continuous(table: dict[str, object], law: Law) -> tuple[object, bool]:
        # reachable extremes, probed beyond the sampler's uniforms
        lo_r, hi_r = float(law.ppf(U_PROBE)), float(law.isf(U_PROBE))
        median = float(law.ppf(0.5))
        if not math.isfinite(median):
            median = 0.5 * (c + d)
        legal = _within(lo_r, b) and _within(hi_r, b)
        if clipped:  # the model clips this key: a law may spill past the range
            legal = _within(median, b)
        if legal and not draw(BOOL):
            return table, True
        # truncate = [t_lo, t_hi] inside the legal range, around the law's bulk
        m = min(max(median, a), z)
        t_lo = point(draw, a, m)
        if math.isfinite(z):
            t_hi = point(draw, m, z)
        else:
            t_hi = INF if draw(BOOL) else point(draw, m, max(m, 10.0))
        if t_lo >= t_hi:
            t_lo, t_hi = a, z
        if not law.mass(t_lo, t_hi) > 1e-6:
            t_lo, t_hi = max(a, float(law.ppf(0.01))), min(z, float(law.isf(0.01)))
            if not (t_lo < t_hi and law.mass(t_lo, t_hi) > 1e-6):
                return number(m), False
        return {**table, "truncate": [number(t_lo), number(t_hi)]}, True

    def discrete(table: dict[str, object], values: list[float], random: bool
                 ) -> tuple[object, bool]:
        """``values``: those the law can draw (positive weight); a truncation keeps one."""
        if draw(BOOL):
            return table, random
        v = values[draw(st.integers(0, len(values) - 1))]
        t_lo = point(draw, min(a, v), v)
        t_hi = point(draw, v, max(z, v)) if math.isfinite(z) else v
        kept = {x for x in values if t_lo <= x <= t_hi}
        return {**table, "truncate": [number(t_lo), number(t_hi)]}, random and len(kept) > 1

    def sorted_points(n: int) -> list[float]:
        return sorted(point(draw, c, d) for _ in range(n))

    if form == "edge":
        sides = edges(b)
        return number(sides[draw(st.integers(0, len(sides) - 1))]), False
    if form == "fixed" or c == d:
        return fixed()
    if form in ("auto", "normal_p", "lognormal_p"):
        if form == "lognormal_p" and d <= 0:
            return fixed()
        p5 = point(draw, max(c, d * 1e-15) if form == "lognormal_p" else c, d)
        p95 = point(draw, p5, d)
        if 0 < p5 < p95 * 1e-15:  # keep sigma of the fitted lognormal below ~11
            p5 = p95 * 1e-15
        if not p95 - p5 > max(1e-300, 1e-12 * max(abs(p5), abs(p95))):  # sigma > 0 in floats
            return number(p5), False
        table: dict[str, object] = {"p5": number(p5), "p95": number(p95)}
        if form == "lognormal_p" or (form == "auto" and p5 > 0):
            if form == "lognormal_p":
                table = {"dist": "lognormal", **table}
            return continuous(table, Law.lognormal(
                0.5 * (math.log(p5) + math.log(p95)),
                (math.log(p95) - math.log(p5)) / (2 * _Z95)))
        if form == "normal_p":
            table = {"dist": "normal", **table}
        return continuous(table, Law.normal(0.5 * (p5 + p95), (p95 - p5) / (2 * _Z95)))
    if form == "normal":
        mean = point(draw, c, d)
        # sd = 0 (degenerate) or at least 1e-9 of the window: no subnormal sigma
        sd = 0.0 if draw(BOOL) and draw(BOOL) else point(draw, (d - c) * 1e-9, (d - c) / 2)
        table = {"dist": "normal", "mean": number(mean), "sd": number(sd)}
        if sd == 0:
            return table, False
        return continuous(table, Law.normal(mean, sd))
    if form in ("lognormal_median", "lognormal_mean", "gamma"):
        if d <= 0:
            return fixed()
        first = point(draw, max(c, d * 1e-12), d)
        if first <= 0:
            return number(first), False
        if form == "lognormal_median":
            p95 = point(draw, first, min(d, first * 1e15))
            if not p95 > first * (1 + 1e-12):
                return number(first), False
            return continuous({"dist": "lognormal", "median": number(first), "p95": number(p95)},
                              Law.lognormal(math.log(first), (math.log(p95) - math.log(first)) / _Z95))
        # sd / mean within [1e-3, 10] (gamma shape 0.01 ... 1e6): numerically sane laws
        sd = 0.0 if draw(BOOL) and draw(BOOL) else point(draw, first * 1e-3, first * 10)
        table = {"dist": "lognormal" if form == "lognormal_mean" else "gamma",
                 "mean": number(first), "sd": number(sd)}
        if sd == 0:
            return table, False
        if form == "gamma":
            return continuous(table, Law.gamma((first / sd) ** 2, sd * sd / first))
        s2 = math.log1p((sd / first) ** 2)
        return continuous(table, Law.lognormal(math.log(first) - 0.5 * s2, math.sqrt(s2)))
    if form in ("uniform", "triangular", "pert"):
        lo, mode, hi = sorted_points(3)
        degenerate = not hi - lo > 1e-300
        if form == "uniform":
            table = {"dist": "uniform", "min": number(lo), "max": number(hi)}
            law = None if degenerate else Law.uniform(lo, hi)
        elif form == "triangular":
            table = {"dist": "triangular", "min": number(lo), "mode": number(mode),
                     "max": number(hi)}
            law = None if degenerate else Law.triangular(lo, mode, hi)
        else:
            table = {"dist": "pert", "min": number(lo), "mode": number(mode), "max": number(hi)}
            lam = 4.0
            if draw(BOOL):
                lam = point(draw, 0.1, 20)
                table["lambda"] = number(lam)
            law = None if degenerate else Law.beta(1 + lam * (mode - lo) / (hi - lo),
                                                   1 + lam * (hi - mode) / (hi - lo), lo, hi)
        if law is None:
            return table, False
        return continuous(table, law)
    if form == "beta":
        alpha, beta = point(draw, 0.1, 20), point(draw, 0.1, 20)
        table = {"dist": "beta", "a": number(alpha), "b": number(beta)}
        if a <= 0 and 1 <= z and draw(BOOL):
            lo, hi = 0.0, 1.0
        else:
            lo, hi = sorted_points(2)
            table.update({"min": number(lo), "max": number(hi)})
        if not hi - lo > 1e-300:
            return table, False
        return continuous(table, Law.beta(alpha, beta, lo, hi))
    # choice, empirical: values inside the closed legal range, exact edges included
    sides = [x for x in edges(b) if math.isfinite(x)]
    count = draw(st.integers(1, 8 if form == "choice" else 30))
    values = [number(sides[draw(st.integers(0, len(sides) - 1))] if draw(BOOL) and draw(BOOL)
                     else point(draw, c, d)) for _ in range(count)]
    if form == "choice":
        table = {"dist": "choice", "values": values}
        positive = values
        if draw(BOOL):
            weights = [draw(WEIGHTS) for _ in values]
            if not any(w > 0 for w in weights):
                weights[0] = 1
            table["weights"] = weights
            # a probability is w / max(w): one that underflows to 0 is never drawn
            top = max(weights)
            positive = [v for v, w in zip(values, weights, strict=True) if w / top > 0]
        return discrete(table, positive, len(set(positive)) > 1)
    if form == "empirical_file" and files is not None:
        name = f"data{len(files)}.csv"
        column = draw(COLUMNS)
        rows = [f"{float(v)!r},{i}" for i, v in enumerate(values)]
        files[name] = f"{column},other\n" + "\n".join(rows) + "\n"
        table = {"dist": "empirical", "file": name, "column": column}
    else:
        table = {"dist": "empirical", "samples": values}
    return discrete(table, values, len(set(values)) > 1)


@st.composite
def valid_cases(draw: st.DrawFn) -> Case:
    """A scenario that is valid under the schema tables and the hard-range contract."""
    case = Case(doc={})
    doc = case.doc

    def maybe() -> bool:
        return draw(st.booleans())

    def num(table: dict[str, Any], prefix: str, key: str, required: bool,
            in_prices: bool = False) -> None:
        if not required and not maybe():
            return
        value, random = draw_law(draw, key, hard_range(key, in_prices), case.files)
        table[key] = value
        if random:
            case.randoms.append(f"{prefix}.{key}")

    def plain_number(key: str) -> float:
        b = hard_range(key)
        a, z = inner(b)
        if draw(BOOL):
            sides = edges(b)
            return sides[draw(st.integers(0, len(sides) - 1))]
        return point(draw, a, z)

    # [scenario]
    head: dict[str, Any] = {}
    if maybe():
        head["name"] = draw(NAMES)
    if maybe():
        head["currency"] = draw(CURRENCIES)
    h_max = int_max("horizon_months")
    horizon = 36
    if maybe():
        horizon = draw(st.one_of(st.integers(1, 60), st.sampled_from([1, h_max]),
                                 st.integers(1, h_max)))
        head["horizon_months"] = horizon
    if horizon < 12 or maybe():  # the default 12 must not exceed the horizon
        head["payback_within_months"] = draw(st.one_of(st.integers(1, horizon),
                                                       st.sampled_from([1, horizon])))
    if maybe():
        head["discount_rate_annual"] = plain_number("discount_rate_annual")
    if maybe():
        head["required_probability"] = plain_number("required_probability")
    doc["scenario"] = head

    if maybe():
        sim: dict[str, Any] = {}
        if maybe():
            sim["paths"] = draw(st.sampled_from([1, 1000, int_max("paths")]))
        if maybe():
            sim["seed"] = draw(st.sampled_from([0, 1, int_max("seed")]))
        if maybe():
            sim["sampler"] = draw(st.sampled_from(schema.ENUMS["sampler"]))
        doc["simulation"] = sim

    # world tables
    for table_name, spec in schema.WORLD_NUMERIC.items():
        required = table_name in ("traffic", "baseline")
        if not required and not maybe():
            continue
        table: dict[str, Any] = {}
        for key, default in spec.items():
            num(table, table_name, key, default is schema.REQUIRED)
        doc[table_name] = table

    # [prices.<name>]
    indices = list(schema.BUILTIN_INDICES)
    if maybe():
        names = draw(st.lists(st.one_of(st.sampled_from(schema.BUILTIN_INDICES), BARE_IDS),
                              max_size=3, unique=True))
        prices: dict[str, Any] = {}
        for name in names:
            index: dict[str, Any] = {}
            for key in schema.PRICE_NUMERIC:
                num(index, f"prices.{name}", key, False, in_prices=True)
            if maybe():  # drawn afresh per event: never a correlatable input
                index["event_multiplier"] = draw_law(draw, "event_multiplier",
                                                     hard_range("event_multiplier"))[0]
            prices[name] = index
        doc["prices"] = prices
        indices += [n for n in names if n not in indices]
    baseline = doc["baseline"]
    if maybe():
        baseline["name"] = draw(NAMES)
    if maybe():
        baseline["price_index"] = draw(st.sampled_from(indices))

    # [options.<id>]
    ids = draw(st.lists(BARE_IDS, min_size=1, max_size=3, unique=True))
    options: dict[str, Any] = {}
    for option_id in ids:
        prefix = f"options.{option_id}"
        option: dict[str, Any] = {}
        if maybe():
            option["name"] = draw(NAMES)
        if maybe():
            option["uses_rag"] = maybe()
        for key in schema.OPTION_NUMERIC:
            num(option, prefix, key, False)
        mode = draw(st.sampled_from(schema.ENUMS["mode"]))
        serving: dict[str, Any] = {"mode": mode}
        for key, default in schema.SERVING_NUMERIC[mode].items():
            num(serving, f"{prefix}.serving", key, default is schema.REQUIRED)
        if mode == "gpu":
            num(serving, f"{prefix}.serving", draw(st.sampled_from(list(schema.CAPACITY_KEYS))),
                True)
        if maybe():
            serving["price_index"] = draw(st.sampled_from(indices))
        option["serving"] = serving
        if maybe():
            build: dict[str, Any] = {}
            training = mode
            if maybe():
                training = draw(st.sampled_from(schema.ENUMS["training_mode"]))
                build["training_mode"] = training
            for key in (*schema.BUILD_NUMERIC, *schema.TRAINING_NUMERIC[training]):
                num(build, f"{prefix}.build", key, False)
            if training == "gpu":
                # without its own cost, gpu training reuses the serving GPU's
                num(build, f"{prefix}.build", "training_gpu_hourly_cost", mode != "gpu")
            if maybe():
                build["price_index"] = draw(st.sampled_from(indices))
            option["build"] = build
        if maybe():
            maintenance: dict[str, Any] = {}
            for key in schema.MAINTENANCE_NUMERIC:
                num(maintenance, f"{prefix}.maintenance", key, False)
            if maybe():
                maintenance["retrain_on_drift"] = maybe()
            option["maintenance"] = maintenance
        options[option_id] = option
    doc["options"] = options

    # [[correlations]]: disjoint pairs, so any |rho| < 1 keeps the matrix positive definite
    if len(case.randoms) >= 2 and maybe():
        order = draw(st.permutations(case.randoms))
        pairs = draw(st.integers(1, min(3, len(order) // 2)))
        doc["correlations"] = [{"a": order[2 * i], "b": order[2 * i + 1],
                                "rho": draw(RHO)} for i in range(pairs)]
    return case


RHO = st.one_of(st.just(0.0), st.sampled_from([-0.99, 0.99]), st.floats(-0.99, 0.99))
SEEDS = st.one_of(st.integers(0, 2**32), st.sampled_from([0, int_max("seed")]))


# --------------------------------------------------------------------------------------
# Checks of a run's outputs (each holds whatever the scenario's numbers are)
# --------------------------------------------------------------------------------------


def _no_constant(name: str) -> float:
    raise ValueError(f"summary.json holds {name}, which is not JSON")


def _numbers(node: object, path: str = "") -> Iterator[tuple[str, object]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _numbers(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _numbers(v, f"{path}[{i}]")
    else:
        yield path, node


def check_summary(summary: dict[str, Any], horizon: int, within: int, n_paths: int) -> None:
    """What every summary must satisfy: probabilities, intervals, orderings, verdicts."""
    for path, value in _numbers(summary):
        if isinstance(value, float):
            assert math.isfinite(value), f"{path} = {value}"
        name = re.sub(r"\[\d+\]$", "", path).rsplit(".", 1)[-1]
        if name.startswith("p_") or name == "required_probability":
            in_sensitivity = ".sensitivity[" in path
            if value is None and in_sensitivity:
                continue
            assert isinstance(value, int | float) and not isinstance(value, bool), \
                f"{path} = {value!r} is not a probability"
            assert 0.0 <= value <= 1.0, f"{path} = {value!r} outside [0, 1]"
    sim = summary["simulation"]
    assert sim["horizon_months"] == horizon
    assert sim["payback_within_months"] == within
    required = sim["required_probability"]
    assert summary["options"], "no option in the summary"
    for option_id, o in summary["options"].items():
        where = f"options.{option_id}"
        p = o["p_payback_within"]
        lo, hi = o["p_payback_within_ci95"]
        assert 0.0 <= lo <= p <= hi <= 1.0, f"{where}: interval [{lo!r}, {hi!r}] vs P = {p!r}"
        hits = p * n_paths
        assert abs(hits - round(hits)) < 1e-6, f"{where}: P = {p!r} is not k / {n_paths}"
        by_month = o["p_payback_by_month"]
        assert len(by_month) == horizon
        assert all(x <= y for x, y in zip(by_month, by_month[1:], strict=False)), \
            f"{where}: P(payback <= month) decreases"
        assert math.isclose(by_month[within - 1], p, abs_tol=1e-12)
        # README "Reading the output": go iff lo >= required, no-go iff hi < required
        expected = "go" if lo >= required else "no-go" if hi < required else "uncertain"
        assert o["verdict"] == expected, f"{where}: verdict {o['verdict']} vs [{lo}, {hi}]"
        months = [o["payback_month"][k] for k in ("p10", "p50", "p90")]
        for m in months:
            assert m is None or (isinstance(m, int) and 1 <= m <= horizon), f"{where}: {months}"
        known = [m for m in months if m is not None]
        assert known == sorted(known) and months[: len(known)] == known, f"{where}: {months}"
        for block in ("npv", "upfront_cost"):
            q = o[block]
            assert all(isinstance(q[k], int | float) for k in ("mean", "p5", "p50", "p95")), \
                f"{where}.{block}: {q} (money must be finite: a null hides an overflow)"
            assert q["p5"] <= q["p50"] <= q["p95"], f"{where}.{block}: {q}"
        cns = o["cumulative_net_savings"]
        for month in range(horizon):
            column = [cns[k][month] for k in ("p5", "p25", "p50", "p75", "p95")]
            assert all(isinstance(x, int | float) for x in column), f"{where}: month {month + 1}"
            assert column == sorted(column), f"{where}: CS percentiles at month {month + 1}"


_PNG = b"\x89PNG\r\n\x1a\n"


def check_run_folder(out: Path, stem: str, horizon: int, within: int, n_paths: int,
                     report: bool) -> dict[str, Any]:
    """One complete run folder under ``out/stem`` and nothing else; its summary checked."""
    parent = out / stem
    entries = sorted(p.name for p in parent.iterdir()) if parent.is_dir() else []
    assert len(entries) == 1, f"expected one run folder under {parent}, found {entries}"
    run_dir = parent / entries[0]
    files = {"summary.json", "monthly.csv", "paths.parquet"}
    if report:
        files |= {"report.md", "report.pdf"}
    for name in files:
        path = run_dir / name
        assert path.is_file() and path.stat().st_size > 0, f"{name} missing or empty"
    text = (run_dir / "summary.json").read_text(encoding="utf-8")
    summary = json.loads(text, parse_constant=_no_constant)
    check_summary(summary, horizon, within, n_paths)
    if report:
        assert (run_dir / "report.pdf").read_bytes()[:5] == b"%PDF-"
        md = (run_dir / "report.md").read_text(encoding="utf-8")
        listed = set(re.findall(r"figures/[^)\s\"'>]+\.png", md))
        on_disk = {f"figures/{p.name}" for p in (run_dir / "figures").glob("*")}
        assert listed, "report.md lists no figure"
        assert listed <= on_disk, f"figures listed but not written: {sorted(listed - on_disk)}"
        for rel in on_disk:
            data = (run_dir / rel).read_bytes()
            assert data[:8] == _PNG and len(data) > 100, f"{rel} is not a PNG"
    return summary


@contextlib.contextmanager
def _captured() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield out, err


def run_cli(scenario: Path, out: Path, seed: int, *, report: bool, paths: int = 200
            ) -> tuple[int, str]:
    """``python -m ftsim`` in-process; (exit code, stderr)."""
    argv = [str(scenario), "--paths", str(paths), "--jobs", "1", "--out", str(out),
            "--seed", str(seed)]
    if not report:
        argv.append("--no-report")
    with _captured() as (_, err):
        code = main(argv)
    return code, err.getvalue()


def run_valid_end_to_end(case: Case, seed: int, report: bool) -> None:
    """A valid scenario through the command line: exit 0 and a complete, sound run folder."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        scenario = case.write(folder)
        code, err = run_cli(scenario, folder / "out", seed, report=report)
        assert code == 0, f"exit {code}: {err.strip()[-2000:]}"
        assert not re.search(r"Traceback|\w+Warning\b", err), err
        check_run_folder(folder / "out", scenario.stem, case.horizon, case.within, 200, report)


def run_valid_in_process(case: Case, seed: int) -> None:
    """load -> simulate -> summarize: the library path, cheaper than the command line."""
    with tempfile.TemporaryDirectory() as tmp:
        scenario = load_scenario(case.write(Path(tmp)))
    result = ftsim.simulate(scenario, paths=200, seed=seed, jobs=1)
    summary = json.loads(json.dumps(ftsim.summarize(result).to_dict(), allow_nan=False),
                         parse_constant=_no_constant)
    check_summary(summary, case.horizon, case.within, 200)


def _loads_back(case: Case) -> None:
    assert tomllib.loads(case.text) == case.doc


@settings(max_examples=examples(12))
@given(case=valid_cases(), seed=SEEDS)
def test_valid_scenarios_run_through_the_cli_with_the_report(case: Case, seed: int) -> None:
    run_valid_end_to_end(case, seed, report=True)


@settings(max_examples=examples(100))
@given(case=valid_cases(), seed=SEEDS)
def test_valid_scenarios_simulate_and_summarize(case: Case, seed: int) -> None:
    _loads_back(case)
    run_valid_in_process(case, seed)


@settings(max_examples=examples(20))
@given(case=valid_cases(), seed=SEEDS)
def test_valid_scenarios_run_through_the_cli_without_the_report(case: Case, seed: int) -> None:
    run_valid_end_to_end(case, seed, report=False)


# --------------------------------------------------------------------------------------
# (b) Mutations: the loader refuses with one-line errors naming a key, or accepts
# --------------------------------------------------------------------------------------

_EXTREME_FLOATS = [math.nan, INF, -INF, 1e308, -1e308, 1.7976931348623157e308, 5e-324,
                   -5e-324, 0.0, -0.0, 1e-300, 1e-200, 1e-16, 1e15, 1e16, 1e20, 1e40, 1e200,
                   1e300, -1.0, 0.5, 2.0, 36.0, 1.0]
_EXTREME_INTS = [0, -1, 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**30,
                 32768, 65541, 10**100]
EXTREME_NUMBERS = st.one_of(st.sampled_from(_EXTREME_FLOATS), st.sampled_from(_EXTREME_INTS),
                            st.floats(), st.integers())
ANY_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
_KEY_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs",))
WEIRD_KEYS = st.one_of(
    st.text(_KEY_CHARS, max_size=20),
    st.sampled_from(["", " ", ".", "a.b", "\n", "\r\n", "\u2028", "\x00", "\x1b[31m", "é",
                     "name\nerror: forged", "x" * 500, "dist", "truncate", "🙂", "monthly_grwth",
                     "Traffic", "options", "__class__"]))
FILE_PATHS = st.sampled_from([
    "/etc/passwd", "/proc/self/environ", "../outside.csv", "../../etc/passwd", "nul\x00byte.csv",
    "", " ", ".", "/", "missing.csv", "data.csv", "sub/../data.csv", "x" * 5000, "data.csv\n",
    "binary.csv", "big.csv", "empty.csv", "link.csv",
])


def _nested(depth: int, leaf: object, kind: str) -> object:
    node = leaf
    for _ in range(depth):
        node = [node] if kind == "list" else {"a": node}
    return node


JUNK_VALUES = st.one_of(
    EXTREME_NUMBERS, st.booleans(), ANY_TEXT,
    st.sampled_from(["", "12", "1e5", "nan", "inf", "true", "lognormal", "x" * 100_000,
                     "<script>alert(1)</script>", "line\nbreak", "\x00", "$$x$$"]),
    st.just({}), st.just([]), st.lists(EXTREME_NUMBERS, max_size=5),
    st.lists(st.one_of(EXTREME_NUMBERS, ANY_TEXT, st.booleans()), max_size=4),
    st.builds(_nested, st.integers(1, 30), EXTREME_NUMBERS, st.sampled_from(["list", "dict"])),
    st.dates(), st.times(), st.datetimes(timezones=st.sampled_from([None, UTC])),
)

_PARAMS = ("mean", "sd", "p5", "p95", "median", "min", "max", "mode", "lambda", "a", "b",
           "values", "weights", "samples", "file", "column", "truncate")


@st.composite
def junk_distributions(draw: st.DrawFn) -> dict[str, object]:
    """A distribution table with extreme or ill-typed parameters (overflow, underflow, sigma 0)."""
    names = [*(ftsim.distributions.DIST_NAMES), "Normal", "weibull", "", "lognorm"]
    table: dict[str, object] = {}
    if draw(st.booleans()):
        table["dist"] = draw(st.one_of(st.sampled_from(names), JUNK_VALUES))
    for key in draw(st.lists(st.sampled_from(_PARAMS), max_size=5, unique=True)):
        if key in ("values", "weights", "samples"):
            table[key] = draw(st.one_of(st.lists(EXTREME_NUMBERS, max_size=6), JUNK_VALUES))
        elif key in ("file", "column"):
            table[key] = draw(st.one_of(FILE_PATHS, st.sampled_from(["x", "value", ""]),
                                        JUNK_VALUES))
        elif key == "truncate":
            table[key] = draw(st.one_of(st.lists(EXTREME_NUMBERS, max_size=3), JUNK_VALUES))
        else:
            table[key] = draw(st.one_of(EXTREME_NUMBERS, JUNK_VALUES))
    return table


# Known numeric traps of the loader (issue 9, items 4 and 6), mixed into the mutations.
TRAPS: list[dict[str, object]] = [
    {"dist": "gamma", "mean": 2, "sd": 2e300},
    {"dist": "gamma", "mean": 1e-200, "sd": 1},
    {"dist": "lognormal", "mean": 1, "sd": 1e200},
    {"dist": "lognormal", "mean": 36, "sd": 1e-200},
    {"dist": "choice", "values": [1, 2], "weights": [1e308, 1e308]},
    {"dist": "uniform", "min": -1e308, "max": 1e308},
    {"dist": "normal", "p5": -1e308, "p95": 1e308},
    {"p5": 5e-324, "p95": 1e308},
    {"dist": "triangular", "min": -1e308, "mode": 0, "max": 1e308},
    {"dist": "pert", "min": 0, "mode": 1, "max": 2, "lambda": 1e308},
    {"dist": "beta", "a": 5e-324, "b": 5e-324},
    {"dist": "normal", "mean": 0, "sd": 1, "truncate": [1e308, INF]},
    {"dist": "normal", "mean": 0, "sd": 1, "truncate": [40, 50]},
    {"dist": "lognormal", "median": 1e-300, "p95": 1e300},
    {"dist": "empirical", "file": "nul\x00byte.csv", "column": "x"},
    {"dist": "empirical", "samples": [1e308, -1e308]},
]


def _locations(node: object, path: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    """Every (container path, key) in a raw TOML tree, the root's keys included."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*path, k)
            yield from _locations(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield (*path, i)
            yield from _locations(v, (*path, i))


def _get(doc: object, path: tuple[object, ...]) -> Any:
    for p in path:
        doc = doc[p]  # type: ignore[index]
    return doc


def _renamed(draw: st.DrawFn, key: str) -> str:
    how = draw(st.sampled_from(["drop", "add", "upper", "weird"]))
    if how == "drop" and key:
        i = draw(st.integers(0, len(key) - 1))
        return key[:i] + key[i + 1:]
    if how == "add":
        return key + draw(st.sampled_from(["s", "_", "\n", "\x00", "é", " "]))
    if how == "upper":
        return key.upper()
    return draw(WEIRD_KEYS)


@st.composite
def mutated_docs(draw: st.DrawFn, base: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    """A raw TOML dict after 1-4 random edits of a valid one."""
    doc = copy.deepcopy(draw(base))
    for _ in range(draw(st.integers(1, 4))):
        locs = list(_locations(doc))
        op = draw(st.sampled_from(["replace", "delete", "dist", "trap", "scale", "retype",
                                   "add_key", "rename", "nest", "empty", "file"]))
        if op == "add_key" or not locs:
            target = doc
            if locs:
                parent = _get(doc, draw(st.sampled_from(locs)))
                target = parent if isinstance(parent, dict) else doc
            target[draw(WEIRD_KEYS)] = draw(JUNK_VALUES)
            continue
        loc = draw(st.sampled_from(locs))
        parent, key = _get(doc, loc[:-1]), loc[-1]
        value = parent[key]
        if op == "delete":
            del parent[key]
        elif op == "replace":
            parent[key] = draw(JUNK_VALUES)
        elif op == "dist":
            parent[key] = draw(junk_distributions())
        elif op == "trap":
            parent[key] = copy.deepcopy(draw(st.sampled_from(TRAPS)))
        elif op == "scale":
            factor = draw(st.sampled_from([-1.0, 1e300, 1e-300, 1e16, 0.0, math.nan, INF, 1e6]))
            if isinstance(value, int | float) and not isinstance(value, bool):
                parent[key] = value * factor
            else:
                parent[key] = factor
        elif op == "retype":
            if isinstance(value, bool):
                parent[key] = "true" if value else 0
            elif isinstance(value, int | float):
                parent[key] = draw(st.sampled_from([str(value), [value], {"value": value},
                                                    bool(value)]))
            elif isinstance(value, str):
                parent[key] = draw(st.sampled_from([1, 0.5, [value], {"dist": value}]))
            elif isinstance(value, dict):
                parent[key] = list(value.values())
            elif isinstance(value, list):
                parent[key] = {str(i): v for i, v in enumerate(value)}
            else:  # a date or time
                parent[key] = str(value)
        elif op == "rename" and isinstance(parent, dict):
            new = _renamed(draw, key)
            del parent[key]
            parent[new] = value
        elif op == "nest":
            parent[key] = _nested(draw(st.integers(1, 30)), value,
                                  draw(st.sampled_from(["list", "dict"])))
        elif op == "empty":
            parent[key] = draw(st.sampled_from([{}, [], ""]))
        elif op == "file":
            parent[key] = {"dist": "empirical", "file": draw(FILE_PATHS),
                           "column": draw(st.sampled_from(["x", "value", "missing"]))}
    return doc


@st.composite
def mutated_texts(draw: st.DrawFn, base: st.SearchStrategy[dict[str, Any]]) -> bytes:
    """Scenario files broken as text: cut, spliced, deeply nested, not UTF-8."""
    text = toml_dumps(draw(base))
    op = draw(st.sampled_from(["insert", "delete", "truncate", "duplicate", "nest", "nul",
                               "crlf", "bom", "long", "bytes"]))
    pos = draw(st.integers(0, len(text)))
    if op == "insert":
        text = text[:pos] + draw(st.one_of(ANY_TEXT, st.sampled_from(
            ["[", "]", "{", "=", '"', "'''", "\n[options]\n", "\n[[correlations]]\n", "\\"]))) \
            + text[pos:]
    elif op == "delete":
        text = text[:pos] + text[pos + draw(st.integers(1, 50)):]
    elif op == "truncate":
        text = text[:pos]
    elif op == "duplicate":
        lines = text.splitlines()
        i = draw(st.integers(0, max(0, len(lines) - 1)))
        text = "\n".join(lines[: i + 1] + lines[i:]) + "\n"
    elif op == "nest":
        depth = draw(st.sampled_from([100, 499, 500, 1000, 100_000]))
        bracket = draw(st.sampled_from(["[", "{a = "]))
        closing = "]" if bracket == "[" else "}"
        text = text + "\nnested = " + bracket * depth + "1" + closing * depth + "\n"
    elif op == "nul":
        text = text[:pos] + "\x00" + text[pos:]
    elif op == "crlf":
        text = text.replace("\n", "\r\n")
    elif op == "bom":
        text = "\ufeff" + text
    elif op == "long":
        text = text + "\n[long_table]\nname = \"" + "x" * 200_000 + "\"\n"
    data = text.encode("utf-8")
    if op == "bytes":
        data = data[:pos] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80"])) \
            + data[pos:]
    return data


def shipped_docs() -> list[dict[str, Any]]:
    return [tomllib.loads(p.read_text(encoding="utf-8")) for p in SHIPPED]


BASE_DOCS = st.one_of(st.sampled_from(shipped_docs()), valid_cases().map(lambda c: c.doc))


_TREE: list[Path] = []


def file_tree() -> Path:
    """A folder (made once per process) holding scenario/ with the files the mutations'
    empirical ``file`` values may name, inside the scenario's folder and outside it."""
    if _TREE:
        return _TREE[0]
    folder = Path(tempfile.mkdtemp(prefix="ftsim-properties-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    inside = folder / "scenario"
    inside.mkdir()
    (inside / "data.csv").write_text("x,value\n1,2\n3,4\n", encoding="utf-8")
    (inside / "empty.csv").write_text("", encoding="utf-8")
    (inside / "binary.csv").write_bytes(b"x\n\x00\xff\xfe1\n")
    (inside / "big.csv").write_text("x\n" + "1.5\n" * 400_000, encoding="utf-8")
    (folder / "outside.csv").write_text("x\n1\n", encoding="utf-8")
    (inside / "link.csv").symlink_to(folder / "outside.csv")
    _TREE.append(folder)
    return folder


# Secrets a message must never echo: the first line of the password file, the environment.
_LEAKS = ("root:x:0:0", "PATH=/")
_FILE_LEVEL = re.compile(r"TOML|UTF-8|nest|syntax|scenario file", re.IGNORECASE)


def check_issues(error: ScenarioError, file: Path | None = None,
                 top_keys: tuple[str, ...] = ()) -> None:
    """Each issue: one printable line of at most 300 characters, naming a key path (one of
    the scenario's tables or keys, or --set) or about the file as a whole, and never quoting
    a file's content."""
    assert error.issues, "ScenarioError without issues"
    heads = [*schema.TOP_LEVEL, "--set"]
    for k in top_keys:
        heads += [k, json.dumps(k), toml_string(k), f"'{k}'"]
    for issue in error.issues:
        line = str(issue)
        bad = [ch for ch in line if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")]
        assert not bad, f"control or line-break characters {bad!r} in: {line!r}"
        assert len(line.splitlines()) == 1, f"not one line: {line!r}"
        assert len(line) <= 300, f"{len(line)} characters: {line[:200]!r}..."
        key_path = str(issue.key_path)
        file_level = bool(_FILE_LEVEL.search(issue.message)) and (
            not key_path or (file is not None and key_path == str(file)))
        names_key = bool(key_path) and any(key_path.startswith(h) for h in heads)
        assert file_level or names_key, f"names no key of the scenario: {line!r}"
        for secret in _LEAKS:
            assert secret not in line, f"message echoes file content: {line!r}"


def load_bytes(data: bytes) -> Scenario | None:
    """Write the bytes as scenario/scenario.toml of the file tree and load them: the Scenario,
    or None when refused (the issues checked). Any other exception propagates: the failure."""
    path = file_tree() / "scenario" / "scenario.toml"
    path.write_bytes(data)
    try:
        raw = tomllib.loads(data.decode("utf-8-sig"))
        top_keys = tuple(raw)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        top_keys = ()
    try:
        return load_scenario(path)
    except ScenarioError as error:
        check_issues(error, path, top_keys)
        return None


def out_of_contract(scenario: Scenario) -> list[str]:
    """Inputs an accepted scenario holds beyond the hard ranges (the loader should have said no);
    checked before simulating, so an accepted 1e9 events a year cannot eat the machine."""
    found = []
    if not 1 <= scenario.horizon_months <= CONTRACT["horizon_months"][1]:
        found.append(f"scenario.horizon_months = {scenario.horizon_months}")
    laws_by_path = {k: i.dist for k, i in scenario.all_inputs().items()}
    laws_by_path |= {f"prices.{n}.event_multiplier": p.event_multiplier
                     for n, p in scenario.price_indices.items()}
    for path, dist in laws_by_path.items():
        key = path.rsplit(".", 1)[-1]
        if key not in CONTRACT or key in schema.CLIPPED_KEYS:
            continue
        bounds = PRICE_EVENTS if path.startswith("prices.") and key == "events_per_year" \
            else CONTRACT[key]
        lo, hi = (float(x) for x in dist.ppf(np.array([U_EPS, 1 - U_EPS])))
        if not (_within(lo, bounds) and _within(hi, bounds)):
            found.append(f"{path} reaches [{lo!r}, {hi!r}] ({dist.describe()})")
    return found


def check_accepted_runs(scenario_path: Path, scenario: Scenario, out: Path) -> None:
    """An accepted scenario must run: exit 0 and a complete folder (no report, few paths)."""
    beyond = out_of_contract(scenario)
    assert not beyond, f"loader accepted values beyond the hard ranges: {beyond}"
    code, err = run_cli(scenario_path, out, 1, report=False, paths=50)
    assert code == 0, f"accepted scenario, exit {code}: {err.strip()[-2000:]}"
    check_run_folder(out, scenario_path.stem, scenario.horizon_months,
                     scenario.payback_within_months, 50, report=False)


@settings(max_examples=examples(1000))
@given(doc=mutated_docs(BASE_DOCS))
def test_mutated_scenarios_load_or_are_refused_with_one_line_errors(doc: dict[str, Any]) -> None:
    load_bytes(toml_dumps(doc).encode("utf-8"))


@settings(max_examples=examples(300))
@given(data=mutated_texts(BASE_DOCS))
def test_broken_scenario_files_are_refused_with_one_line_errors(data: bytes) -> None:
    load_bytes(data)


@settings(max_examples=examples(60))
@given(doc=mutated_docs(BASE_DOCS))
def test_mutated_scenarios_through_the_cli_exit_0_or_2(doc: dict[str, Any]) -> None:
    """Refused: exit 2, one 'error:' line each, nothing written. Accepted: it runs."""
    scenario = load_bytes(toml_dumps(doc).encode("utf-8"))
    path = file_tree() / "scenario" / "scenario.toml"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        if scenario is not None:
            check_accepted_runs(path, scenario, out)
            return
        code, err = run_cli(path, out, 1, report=False, paths=50)
        assert code == 2, f"exit {code}: {err.strip()[-2000:]}"
        lines = err.splitlines()
        assert lines and all(line.startswith(("error: ", "warning: ")) for line in lines), err
        assert not out.exists() or not any(out.iterdir()), "a refused scenario wrote files"


@settings(max_examples=examples(300))
@given(assignment=st.one_of(
    ANY_TEXT, st.builds(lambda k, v: f"{k}={v}", WEIRD_KEYS, ANY_TEXT),
    st.builds(lambda v: f"traffic.monthly_growth={v}", st.one_of(ANY_TEXT, st.sampled_from(
        ["nan", "inf", "[" * 600, "{p5=1", "1e999", '"\\u0000"', "0x10", "1_000"]))),
))
def test_set_overrides_parse_or_are_refused(assignment: str) -> None:
    try:
        key, _ = parse_override(assignment)
    except ScenarioError as error:
        check_issues(error)
    else:
        assert key


@settings(max_examples=examples(150))
@given(doc=mutated_docs(BASE_DOCS))
def test_toml_emitter_round_trips(doc: dict[str, Any]) -> None:
    """The generator's own TOML writer: what the loader reads is the dict that was mutated
    (so a failure above is the loader's, not the writer's). NaN never equals itself."""
    text = toml_dumps(doc)
    if "nan" not in text:
        assert tomllib.loads(text) == doc

