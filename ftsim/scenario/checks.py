"""Key-level checks against the schema tables (kinds, ranges, enums, texts, unknown keys)."""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..distributions import Distribution, Fixed, safe_ppf
from ..errors import ScenarioIssue
from ..format import number_text as _num
from ..format import show_value as _show
from ..format import suggest as _suggest
from ..rng import U_MIN
from .schema import (
    _ENUM_LABEL,
    _KIND_TEXT,
    _KIND_TYPES,
    AS_OF_YEARS,
    BUILTIN_INDICES,
    CLIPPED_KEYS,
    ENUMS,
    INF,
    METADATA_KEYS,
    TEXT_LIMITS,
    UNITS,
    Bounds,
    _Required,
    hard_range,
    plausible_range,
)

__all__: list[str] = []


def _within(x: float, bounds: Bounds) -> bool:
    lo, hi, lo_open, hi_open = bounds
    above_lo = x > lo if lo_open else x >= lo
    below_hi = x < hi if hi_open else x <= hi
    return above_lo and below_hi  # False for nan


def _range_text(bounds: Bounds) -> str:
    lo, hi, lo_open, hi_open = bounds
    if hi == INF and not math.isinf(lo) and hi_open:
        return f"{'>' if lo_open else '>='} {_num(lo)}"
    return f"in {'(' if lo_open else '['}{_num(lo)}, {_num(hi)}{')' if hi_open else ']'}"


_BARE_KEY = _BARE = re.compile(r"[A-Za-z0-9_-]+")
_AS_OF = re.compile(r"([0-9]{4})-([0-9]{2})(?:-([0-9]{2}))?")
_AS_OF_FORMS = '"YYYY-MM" or "YYYY-MM-DD"'


def _join(prefix: str, key: str) -> str:
    """``prefix.key``, the key quoted as in TOML unless bare (an empty or dotted key written
    in quotes must not read as another path, or as no path at all)."""
    if not _BARE.fullmatch(key):
        key = json.dumps(key)
    return f"{prefix}.{key}" if prefix else key


# --------------------------------------------------------------------------------------
# Key-level checks against the tables above
# --------------------------------------------------------------------------------------


class _SchemaReader:
    """Generic readers: a key's table, type, enum, range and support checked against the schema,
    every issue recorded with its key path (the scenario parser builds on these)."""

    def __init__(self) -> None:
        self.issues: list[ScenarioIssue] = []
        self.warnings: list[ScenarioIssue] = []

    def issue(self, key_path: str, message: str) -> None:
        self.issues.append(ScenarioIssue(key_path, message))

    def warn(self, key_path: str, message: str) -> None:
        self.warnings.append(ScenarioIssue(key_path, message))

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
                   homes: Mapping[str, str] | None = None, metadata: bool = True) -> None:
        """Report every key not in ``allowed`` (nor, with ``metadata``, source and as_of).

        ``foreign`` maps keys of the other serving/training mode to the reason; ``homes``
        maps keys that live in another table to that table, for the hint.
        """
        own = tuple(allowed)
        allowed = (*own, *METADATA_KEYS) if metadata else own
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
                also = f"; also {', '.join(METADATA_KEYS)}" if metadata else ""
                hint = _suggest(key, allowed) or f"; allowed: {', '.join(sorted(own))}{also}"
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
        if isinstance(value, str):
            return self.plain_text(path, key, value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return self.plain_number(path, kind, value)
        return value  # a boolean

    def plain_text(self, path: str, key: str, value: str) -> str | None:
        """A string key's value checked against its enum or its length limit."""
        if key in ENUMS and value not in ENUMS[key]:
            choices = ", ".join(repr(c) for c in ENUMS[key])
            self.issue(path, f"unknown {_ENUM_LABEL[key]} {_show(value)}; expected one of "
                             f"{choices}{_suggest(value, ENUMS[key])}")
            return None
        if key in TEXT_LIMITS and not self.check_text(path, value, TEXT_LIMITS[key]):
            return None
        return value

    def plain_number(self, path: str, kind: str, written: int | float) -> int | float | None:
        """An integer or number key's value (a float for "number") checked against its
        hard range, with a warning outside its plausible range."""
        value = written
        if kind == "number":
            if isinstance(written, int) and not -1e308 < written < 1e308:
                self.issue(path, f"number {_show(written)} is out of range")
                return None
            value = float(written)
        bounds = hard_range(path)
        if bounds is not None:
            if not self.check_value(path, bounds, value, written):
                return None
            self.check_plausible(path, Fixed(value), written)
        return value

    def check_text(self, path: str, value: str, limit: int) -> bool:
        """A name or currency: 1..limit printable characters, no control characters."""
        if not value:
            self.issue(path, "must not be empty")
        elif len(value) > limit:
            self.issue(path, f"must be at most {limit} characters, got {len(value)}: "
                             f"{_show(value)}")
        elif not value.isprintable():
            bad = next(c for c in value if not c.isprintable())
            self.issue(path, f"must be printable text without control characters, got "
                             f"{_show(value)} (contains U+{ord(bad):04X})")
        else:
            return True
        return False

    def metadata(self, table: Mapping[str, object], prefix: str
                 ) -> tuple[str | None, str | None]:
        """A table's ``source`` and ``as_of``, each checked; None when absent or invalid."""
        source = as_of = None
        if "source" in table:
            path, value = _join(prefix, "source"), table["source"]
            if not isinstance(value, str):
                self.issue(path, f"expected a string naming the publisher, page and date, got "
                                 f"{_show(value)}")
            elif value and not value.strip():
                self.issue(path, f"must not be blank, got {_show(value)}")
            elif self.check_text(path, value, TEXT_LIMITS["source"]):
                source = value
        if "as_of" in table:
            as_of = self.check_as_of(_join(prefix, "as_of"), table["as_of"])
        return source, as_of

    def check_as_of(self, path: str, value: object) -> str | None:
        """``value`` if it is a real month (or day) "YYYY-MM[-DD]" within AS_OF_YEARS."""
        if isinstance(value, datetime.date | datetime.time):
            self.issue(path, f"expected a string {_AS_OF_FORMS}, got the TOML date or time "
                             f"{value.isoformat()}; write it in quotes")
            return None
        if not isinstance(value, str):
            self.issue(path, f"expected a string {_AS_OF_FORMS}, got {_show(value)}")
            return None
        match = _AS_OF.fullmatch(value)
        if match is None:
            empty = "must not be empty; " if not value else ""
            self.issue(path, f"{empty}expected {_AS_OF_FORMS}, got {_show(value)}")
            return None
        year, month, day = int(match[1]), int(match[2]), match[3]
        try:
            datetime.date(year, month, int(day) if day else 1)
        except ValueError:
            what = "date" if day else "month"
            self.issue(path, f"{_show(value)} is not a real {what} (expected {_AS_OF_FORMS})")
            return None
        first, last = AS_OF_YEARS
        if not first <= year <= last:
            self.issue(path, f"must be between {first}-01 and {last}-12, got {_show(value)}")
            return None
        return value

    def check_value(self, path: str, bounds: Bounds, x: float, written: object = None) -> bool:
        if _within(x, bounds):
            return True
        shown = _show(x if written is None else written)
        text = _range_text(bounds)
        if math.isinf(x) and x in (bounds[0], bounds[1]):
            text = f"finite and {text}"
        self.issue(path, f"must be {text}, got {shown}")
        return False

    def check_support(self, path: str, key: str, dist: Distribution, written: object) -> bool:
        """Reject a law whose reachable values the key does not allow; True when accepted.

        Reachable = between its quantiles at 2**-53 and 1 - 2**-53 (the sampler's extreme
        uniforms), after truncation. A law whose support lies inside the range is accepted
        without evaluating it; others are evaluated there (overflow to inf is a value).
        """
        bounds = hard_range(path)
        if bounds is None:
            return True
        if dist.is_fixed:
            return self.check_value(path, bounds, dist.support[0], written)
        lo, hi, lo_open, hi_open = bounds
        desc = dist.describe()
        if key in CLIPPED_KEYS:
            q = safe_ppf(dist, (U_MIN, 0.5, 1 - U_MIN))
            if q is None or not np.isfinite(q).all():
                self.issue(path, f"{desc} reaches non-finite values; the key must be "
                                 f"{_range_text(bounds)} (values beyond are clipped)")
                return False
            if not _within(float(q[1]), bounds):
                self.issue(path, f"{desc} has median {_num(float(q[1]))}; the key must be "
                                 f"{_range_text(bounds)}")
                return False
            return True
        s_lo, s_hi = dist.support
        if _within(s_lo, bounds) and _within(s_hi, bounds):
            return True
        q = safe_ppf(dist, (U_MIN, 1 - U_MIN))
        if q is None:
            self.issue(path, f"{desc} cannot be evaluated at its extreme quantiles")
            return False
        r_lo, r_hi = float(q[0]), float(q[1])
        low_bad = not (r_lo > lo if lo_open else r_lo >= lo)
        high_bad = not (r_hi < hi if hi_open else r_hi <= hi)
        if not (low_bad or high_bad):
            return True
        sides = []
        if low_bad:
            sides.append(f"the value {_num(lo)}" if r_lo == lo else f"values below {_num(lo)}")
        if high_bad:
            sides.append(f"the value {_num(hi)}" if r_hi == hi else f"values above {_num(hi)}")
        # the suggestion cuts only the offending side(s); the other keeps the law's own end
        t_lo = _num(lo) if low_bad else _num(s_lo)
        t_hi = _num(hi) if high_bad else _num(s_hi)
        if low_bad and lo_open or high_bad and hi_open:
            advice = f"the key must be {_range_text(bounds)}"
        else:
            advice = f"add truncate = [{t_lo}, {t_hi}]"
        self.issue(path, f"{desc} can take {' and '.join(sides)} (reachable "
                         f"{_num(r_lo)}..{_num(r_hi)}, support {_num(s_lo)}..{_num(s_hi)}); "
                         f"{advice}")
        return False

    def check_plausible(self, path: str, dist: Distribution, written: object) -> None:
        """One warning when a written value (or a random law's P5 or P95) is implausible."""
        found = plausible_range(path)
        if found is None:
            return
        lo, hi, _why = found
        unit = UNITS.get(path.rsplit(".", 1)[-1], "")
        unit_text = f" ({unit})" if unit else ""
        if dist.is_fixed:
            x = dist.support[0]
            if math.isinf(x) or lo <= x <= hi:  # inf: a sentinel (max_acceptable_gap)
                return
            what = f"{_show(written)} is"
        else:
            s_lo, s_hi = dist.support
            if lo <= s_lo and s_hi <= hi:  # P5..P95 lie inside the support: nothing to evaluate
                return
            q = safe_ppf(dist, (0.05, 0.95))
            if q is None or (lo <= q[0] and q[1] <= hi):
                return
            what = f"{dist.describe()} has P5..P95 = {_num(float(q[0]))}..{_num(float(q[1]))},"
        self.warn(path, f"{what} outside the plausible range [{_num(lo)}, {_num(hi)}]"
                        f"{unit_text}; kept, but check the value and its unit")

    def price_ref(self, path: str, name: object, defined: Iterable[str]) -> None:
        """An index that is neither defined nor built in ("api", "gpu") is an error."""
        known = {*BUILTIN_INDICES, *defined}
        if isinstance(name, str) and name not in known:
            self.issue(path, f"price index {_show(name)} is not defined: add [prices.{name}] or "
                             f"use one of {', '.join(sorted(known))}{_suggest(name, known)}")
