"""One formatter for every output: terminal, report, figures and error messages.

Money, probabilities, counts and token volumes print the same way wherever they appear;
``suggest`` is the one "did you mean" helper; ``show_value`` and ``number_text`` quote
values found in a scenario for messages.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable

import numpy as np

__all__ = ["MAX_SHOWN", "format_money", "format_probability", "format_points", "format_count",
           "format_number", "plain_numbers", "format_tokens", "format_months", "shorten",
           "suggest", "show_value", "number_text"]

# A value quoted in a message is cut to this many characters (a table or list of any size,
# nested to any depth, is walked only as far as needed).
MAX_SHOWN = 80


def _grouped(value: float, decimals: int) -> str:
    """``value`` in fixed notation with thousands separators (never an exponent)."""
    return f"{value:,.{decimals}f}"


def format_money(value: float | None, currency: str) -> str:
    """One amount, e.g. ``-1.8M USD``, ``350k EUR``, ``12,345 USD``, ``12.50 USD``.

    T, B and M take one decimal, k none (from 100k up; a value that rounds into the next
    unit is written in it: 999,950 is ``1.0M`` and 999.99 million ``1.0B``, never
    ``1,000k``), smaller amounts are written in full with thousands separators (two
    decimals below 100). Never an exponent: beyond a thousand trillion the T amount takes
    thousands separators. None (a non-finite value in summary.json) and non-finite values
    print as ``n/a``; no minus sign on a value that prints as zero.
    """
    if value is None or not math.isfinite(value):
        return "n/a"
    a = abs(value)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if round(a / scale, 1) >= 1:
            number = _grouped(a / scale, 1) + suffix
            break
    else:
        if round(a) >= 1e5:
            number = f"{a / 1e3:.0f}k"
        elif a >= 99.995:
            number = _grouped(a, 0)
        else:
            number = f"{a:.2f}"
    if a == 0:
        number = "0"
    sign = "-" if value < 0 and any(ch in "123456789" for ch in number) else ""
    return f"{sign}{number} {currency}".rstrip()


def format_probability(p: float | None) -> str:
    """A percentage with one decimal; ``<0.1%`` and ``>99.9%`` keep "almost never/always"
    apart from "never/always"; None and non-finite values as ``n/a``."""
    if p is None or not math.isfinite(p):
        return "n/a"
    if p <= 0:
        return "0.0%"
    if p >= 1:
        return "100.0%"
    if p < 0.0005:
        return "<0.1%"
    if p >= 0.9995:
        return ">99.9%"
    return f"{100 * p:.1f}%"


def format_points(delta: float | None, signed: bool = True) -> str:
    """A difference of probabilities or rates in percentage points: ``+45 pp``, ``-0.3 pp``,
    ``+0.04 pp`` (two significant digits, whole points from 10 up); ``n/a`` for None."""
    if delta is None or not math.isfinite(delta):
        return "n/a"
    points = 100 * delta
    text = _significant(points, 2) if abs(points) >= 0.005 else "0"
    if text == "0" or not signed:
        return f"{text.lstrip('-')} pp" if text == "0" else f"{text} pp"
    return f"{'+' if points > 0 else ''}{text} pp"


def _significant(x: float, digits: int) -> str:
    """``x`` rounded to ``digits`` significant digits, in fixed notation with thousands
    separators (no exponent), trailing zeros after the decimal point dropped."""
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else str(x)
    place = digits - 1 - math.floor(math.log10(abs(x)))
    rounded = round(x, place)
    text = f"{rounded:,.{max(0, place)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_count(x: float | None) -> str:
    """Volumes and counts: ``770M``, ``3.1B``, ``12.3k``, ``562``, ``0.25``; three
    significant digits, rounded before the suffix is chosen (999.99M is ``1B``, never
    ``1e+03M``); never an exponent (beyond 1,000T the T amount takes thousands separators;
    below a billionth ``≈0``); None and non-finite values as ``n/a``."""
    if x is None or not math.isfinite(x):
        return "n/a"
    if x != 0 and abs(x) < 1e-9:
        return "≈0"
    rounded = float(_significant(x, 3).replace(",", ""))
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(rounded) >= limit:
            return _significant(rounded / limit, 3) + suffix
    return _significant(rounded, 3)


def format_number(x: float | None) -> str:
    """A value of an input in tables: ``0.025``, ``2.5``, ``1,500``, ``12,345``, ``1.2M``;
    three significant digits below 1,000, whole numbers with separators up to a million,
    then :func:`format_count`; never an exponent."""
    if x is None or math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    a = abs(x)
    if a >= 999_999.5:
        return format_count(x)
    if a >= 999.5:
        return _grouped(x, 0)
    return format_count(x)


_EXPONENT_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)[eE][-+]?\d+(?![\w.])")


def _positional(x: float) -> str:
    """``x`` without an exponent or separators: ``1.2M`` from a million up (a comma would
    read as a list separator inside a description), else the shortest exact digits."""
    if abs(x) >= 1e6:
        return format_count(x)
    return np.format_float_positional(x, trim="-")


def plain_numbers(text: str) -> str:
    """``text`` with every number written with an exponent (``1.2e+06``, ``5e-07``) rewritten
    without one (``1.2M``, ``0.0000005``): distribution descriptions use Python's repr of
    floats, which the report must not show."""
    return _EXPONENT_NUMBER.sub(lambda m: _positional(float(m.group())), text)


def format_tokens(x: float) -> str:
    """Token volumes (``1M``, ``17.8M``, ``3.16B``, ``562k``): `format_count`."""
    return format_count(x)


def format_months(x: float) -> str:
    """``1 month``, ``2.5 months``."""
    return f"{x:g} month" if x == 1 else f"{x:g} months"


def shorten(text: str, limit: int) -> str:
    """``text`` on one line (whitespace runs collapsed), at most ``limit`` characters, with
    an ellipsis when cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def suggest(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices`` (case-insensitive), or ``""``."""
    options = sorted(choices)
    lowered = {c.lower(): c for c in reversed(options)}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return f"; did you mean {lowered[close[0]]!r}?" if close else ""


def number_text(x: float) -> str:
    """A bound or value for messages: integers in full (seed's 2**63 - 1), else %g as 1e12."""
    if isinstance(x, int) and not isinstance(x, bool):
        if abs(x) < 10**19:
            return str(x)
        x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = f"{x:g}"
    if "e" in text:  # 1e+06 -> 1e6, 1e-06 -> 1e-6
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def _number_text(x: float) -> str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


def _toml_parts(value: object, out: list[str], budget: list[int]) -> None:
    """Append the TOML text of ``value`` to ``out`` until ``budget[0]`` characters are spent.

    Why a budget instead of recursion to the end: a value may be a 100,000-element list or
    an array nested 900 deep (legal TOML); the message needs only its first 80 characters.
    """
    if budget[0] <= 0:
        return
    if isinstance(value, list | tuple):
        pieces: list[tuple[str, object | None]] = [("[", None)]
        for i, item in enumerate(value):
            pieces.append((", " if i else "", item))
        pieces.append(("]", None))
    elif isinstance(value, dict):
        pieces = [("{", None)]
        for i, (key, item) in enumerate(value.items()):
            key_text = key if isinstance(key, str) and key.isidentifier() else json.dumps(str(key))
            pieces.append(((", " if i else "") + key_text + " = ", item))
        pieces.append(("}", None))
    else:
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int):
            text = str(value) if abs(value) < 10**60 else f"{float(value):g}"
        elif isinstance(value, float):
            text = _number_text(value)
        elif isinstance(value, str):
            text = json.dumps(value[: budget[0] + 2])  # escapes control characters
            if len(value) > budget[0] + 2:
                text = text[:-1]  # cut: no closing quote
        else:
            text = type(value).__name__
        out.append(text[: budget[0] + 1])
        budget[0] -= len(text)
        return
    for prefix, item in pieces:
        if budget[0] <= 0:
            return
        out.append(prefix)
        budget[0] -= len(prefix)
        if item is not None:
            _toml_parts(item, out, budget)


def show_value(value: object, limit: int = MAX_SHOWN) -> str:
    """The value found, as TOML text, shortened with "..." to at most ``limit`` characters."""
    out: list[str] = []
    budget = [limit + 1]
    _toml_parts(value, out, budget)
    text = "".join(out)
    return text if len(text) <= limit else text[: limit - 3] + "..."
