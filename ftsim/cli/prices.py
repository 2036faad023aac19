"""``python -m ftsim prices SEARCH`` and ``python -m ftsim calibrate-prices FILE.csv``.

``prices`` lists the catalog models (genai-prices, bundled snapshot, no network) whose
``provider:model`` or name holds every word searched, with the prices a scenario would take
from them. ``calibrate-prices`` fits the laws of a ``[prices.<name>]`` table to a dated price
history and prints them as TOML (the method is in ftsim/core/studies/calibrate.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
from pathlib import Path

from ..core.studies.calibrate import (
    DEFAULT_MIN_MONTHS,
    DEFAULT_THRESHOLD,
    DynamicsFit,
    HistoryError,
    dynamics_toml,
    fit_dynamics,
    parse_price_history,
)
from ..scenario.catalog import CatalogEntry, CatalogLookupError, catalog_version, search_models
from .common import UsageError

__all__ = ["add_prices_arguments", "prices_command", "add_calibrate_arguments",
           "calibrate_command", "DEFAULT_LIMIT"]

DEFAULT_LIMIT = 40  # rows shown by `prices` unless --limit says otherwise


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and 0 < value < 1):
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (exclusive), got {text!r}")
    return value


def add_prices_arguments(parser: argparse.ArgumentParser) -> None:
    """``prices``' options."""
    parser.add_argument("search", nargs="+", metavar="SEARCH",
                        help="words that must all appear in 'provider:model' or the model's "
                             "name, e.g. 'openai gpt-4o' or 'llama 8b together'")
    parser.add_argument("--limit", type=_positive_int, default=DEFAULT_LIMIT, metavar="N",
                        help=f"show at most N models (default {DEFAULT_LIMIT})")
    parser.add_argument("--on", type=_day, default=None, metavar="YYYY-MM-DD",
                        help="prices in force on this date (default today; the catalog "
                             "holds some dated and announced changes)")


def _price(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _entry_cells(e: CatalogEntry) -> tuple[str, ...]:
    notes = ", ".join(n for n, on in (("long-prompt tier", e.tiered),
                                      ("deprecated", e.deprecated)) if on)
    return (e.ref, _price(e.input_per_mtok), _price(e.output_per_mtok),
            _price(e.cached_input_per_mtok), e.as_of or "-", notes)


def prices_text(entries: list[CatalogEntry], limit: int, query: str) -> str:
    """The table ``prices`` prints: one model per line, USD per million tokens."""
    header = ("model (use as 'provider:model')", "input", "output", "cached in", "since",
              "notes")
    rows = [header, *(_entry_cells(e) for e in entries[:limit])]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    lines = ["  ".join([r[0].ljust(widths[0]),
                        *(r[i].rjust(widths[i]) for i in range(1, len(widths))),
                        r[-1]]).rstrip() for r in rows]
    more = len(entries) - limit
    if more > 0:
        lines.append(f"... and {more} more (--limit {len(entries)} to see them all, or "
                     f"narrow {query!r})")
    lines.append(f"USD per million tokens; {catalog_version()} bundled snapshot, no network "
                 f"(newer prices: pip install --upgrade genai-prices).")
    lines.append(f"In a scenario: model = \"{entries[0].ref}\" in [baseline], or "
                 f"price_input_per_mtok = {{ catalog = \"{entries[0].ref}\" }}.")
    return "\n".join(lines)


def prices_command(args: argparse.Namespace, command: str = "") -> int:
    """List the catalog's matches; no match is a usage error (exit 2)."""
    query = " ".join(args.search)
    try:
        entries = search_models(query, args.on)
    except CatalogLookupError as error:
        raise UsageError(str(error)) from None
    if not entries:
        raise UsageError(f"no catalog model with a token price matches {query!r} "
                         f"({catalog_version()}); try fewer or shorter words")
    print(prices_text(entries, args.limit, query))
    return 0


def add_calibrate_arguments(parser: argparse.ArgumentParser) -> None:
    """``calibrate-prices``' options."""
    parser.add_argument("file", type=Path, metavar="FILE.csv",
                        help="price history: columns date, series, price, source (optional "
                             "index, unit, note); see data/README.md")
    parser.add_argument("--index", default=None, metavar="NAME",
                        help="fit only this price index (default: every index in the file)")
    parser.add_argument("--threshold", type=_fraction, default=DEFAULT_THRESHOLD,
                        metavar="F", help="a month-to-month change of more than F (either "
                        f"way) is a step event (default {DEFAULT_THRESHOLD})")
    parser.add_argument("--min-months", type=_positive_int, default=DEFAULT_MIN_MONTHS,
                        metavar="M", help="shortest series whose slope enters the smooth "
                        f"decline (default {DEFAULT_MIN_MONTHS})")
    parser.add_argument("--source", default=None, metavar="TEXT",
                        help="source line written into the fitted laws (default: the file "
                             "name and the fit)")


def _default_source(file: Path, fit: DynamicsFit) -> str:
    return (f"ftsim calibrate-prices {file.name}: {len(fit.series)} series "
            f"{fit.first_day:%Y-%m}..{fit.last_day:%Y-%m}, steps beyond {fit.threshold:.0%}")


def calibration_text(fits: list[DynamicsFit], file: Path, source: str | None) -> str:
    """The TOML snippet ``calibrate-prices`` prints, one table per index."""
    head = ("# Price dynamics fitted by ftsim calibrate-prices. Method: a step is a change\n"
            "# beyond the threshold between observations at most 31 days apart; steps per\n"
            "# observed month give events_per_year, their ratios a lognormal "
            "event_multiplier;\n# with the steps removed, each series' log-price slope, "
            "pooled (mean, between-series\n# sd), gives annual_decline = 1 - exp(slope).")
    tables = [dynamics_toml(f, source or _default_source(file, f)) for f in fits]
    return "\n\n".join([head, *tables])


def calibrate_command(args: argparse.Namespace, command: str = "") -> int:
    """Fit and print; an unreadable or malformed file is a usage error (exit 2)."""
    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{args.file}: cannot read: {getattr(error, 'strerror', None) or error}"
                         ) from None
    try:
        observations = parse_price_history(text)
        names = [args.index] if args.index else sorted({o.index for o in observations})
        fits = [fit_dynamics(observations, name, args.threshold, args.min_months)
                for name in names]
    except HistoryError as error:
        raise UsageError(f"{args.file}: {error}") from None
    print(calibration_text(fits, args.file, args.source))
    return 0
