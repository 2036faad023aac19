"""``python -m ftsim optimize``: search an option's retraining policy (cadence, on-drift
retraining, detection lag) under common random numbers; the table on stdout, a run folder
with optimize.json, optimize.csv, optimize.png and, with --report, report.md/.html/.pdf.

The computing is in ftsim/core/studies/optimize.py, the figure in ftsim/figures/optimize.py,
the report's content in ftsim/report/optimize.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.studies.optimize import (
    DEFAULT_CADENCES,
    MAX_MONTHS,
    ON_DRIFT_CHOICES,
    check_grid,
    optimize_policies,
    option_scenario,
    policy_grid,
)
from ..core.studies.optimize_types import PolicyOptimization
from ..core.studies.sweep import DEFAULT_PATHS
from ..format import format_money, format_probability, shorten
from ..scenario import Scenario
from .common import (
    UsageError,
    available_memory_or_none,
    check_memory,
    load,
    simulation_kwargs,
    staged_output,
)
from .study_files import write_study_files

if TYPE_CHECKING:
    from ..report.blocks import Document


__all__ = ["add_optimize_arguments", "optimize_command", "optimize_text"]


def _months(text: str) -> list[int]:
    """``0,1,2,3,6,12`` or a range ``0-12``: whole months from 0 to 600."""
    values: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        try:
            span = range(int(lo), int(hi) + 1) if sep else [int(part)]
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected whole months like 0,1,3 or 0-12, "
                                             f"got {shorten(text, 40)!r}") from None
        values += span
    if not values or any(not 0 <= v <= MAX_MONTHS for v in values):
        raise argparse.ArgumentTypeError(f"expected whole months from 0 to {MAX_MONTHS}, "
                                         f"got {shorten(text, 40)!r}")
    return sorted(set(values))


def add_optimize_arguments(parser: argparse.ArgumentParser) -> None:
    """``optimize``'s own options (the common ones come from common.add_common)."""
    parser.add_argument("--option", metavar="ID",
                        help="the option whose policy is searched (optional when the scenario "
                             "has one option)")
    parser.add_argument("--cadences", type=_months, default=None, metavar="K,K,...",
                        help="calendar cadences in months, 0 = no schedule (default 0-12)")
    parser.add_argument("--on-drift", choices=ON_DRIFT_CHOICES, default=None,
                        help="on-drift retraining searched off, on or both (default: both "
                             "when the scenario has drift, else off)")
    parser.add_argument("--lags", type=_months, default=None, metavar="D,D,...",
                        help="detection lags in months with on-drift retraining (default: "
                             "the option's own and up to 3 months more)")
    parser.add_argument("--report", action="store_true",
                        help="also write report.md, report.html and report.pdf")


def _option(args: argparse.Namespace, scenario: Scenario) -> str:
    known = ", ".join(scenario.options)
    if args.option is None:
        if len(scenario.options) == 1:
            return next(iter(scenario.options))
        raise UsageError(f"--option: the scenario has {len(scenario.options)} options, name "
                         f"one ({known})")
    if args.option not in scenario.options:
        raise UsageError(f"--option: unknown option {shorten(args.option, 64)!r} (the "
                         f"scenario has: {known})")
    return str(args.option)


def _reporter(args: argparse.Namespace) -> Callable[[int, int], None] | None:
    if args.quiet or not sys.stderr.isatty():
        return None

    def report(done: int, total: int) -> None:
        print(f"\rpolicy {done}/{total}", end="\n" if done == total else "", file=sys.stderr,
              flush=True)

    return report


def optimize_text(search: PolicyOptimization) -> str:
    """The terminal table (policies by E[NPV], highest first) and the plain statements."""
    n = search.payback_within_months
    width = max(len(o.policy.label) for o in search.outcomes) + 2
    head = (f"Retraining policy of {search.option_name} [{search.option_id}] · "
            f"{search.scenario} · {len(search.outcomes)} policies x {search.paths:,} paths, "
            f"seed {search.seed} (common random numbers)")
    lines = [head, "", f"{'policy':<{width}}{'E[NPV] ± 1.96 se':>26}"
                       f"{f'P(payback<={n})':>17}{'retrains':>10}  "]
    for o, mark in search.by_npv():
        npv = f"{format_money(o.npv_mean, search.currency)} ± " \
              f"{format_money(1.959964 * o.npv_se, search.currency)}"
        lines.append(f"{o.policy.label:<{width}}{npv:>26}"
                     f"{format_probability(o.p_payback_within):>17}"
                     f"{o.retrains_mean:>10.1f}  {mark}")
    return "\n".join([*lines, "", *search.statements()])


def _write_files(folder: Path, search: PolicyOptimization, command: str, source: Path,
                 report: bool) -> None:
    from ..figures.optimize import STEM, policy_svg

    def document() -> Document:
        from ..report.optimize import optimize_document

        return optimize_document(search, command=command, generated_at=datetime.now().astimezone())

    write_study_files(folder, "optimize", search, command=command, source=source,
                      figure=(STEM, policy_svg(search)), document=document if report else None)


# Bytes kept per path and policy until every policy has run: the NPV (float64) and the
# payback indicator, for the paired differences and the split-sample check.
KEPT_BYTES_PER_PATH = 9


def _check_kept(policies: int, paths: int) -> None:
    """Refuse (exit 2) a search whose per-path NPVs would not fit in half the memory
    available (each policy's run needs the rest)."""
    available = available_memory_or_none()
    need = policies * paths * KEPT_BYTES_PER_PATH
    if available is not None and need > available // 2:
        fit = max(1, available // 2 // (policies * KEPT_BYTES_PER_PATH))
        raise UsageError(f"--paths: {policies} policies x {paths:,} paths keep "
                         f"{need / 2**20:,.0f} MiB of NPVs, more than half the memory "
                         f"available; use at most about {fit:,} paths or a smaller grid")


def optimize_command(args: argparse.Namespace, command: str = "") -> int:
    """``python -m ftsim optimize``: everything is checked (scenario, option, grid, memory,
    --out) before the first policy runs; the folder is written under a temporary name and
    renamed when complete."""
    scenario = load(args)
    option_id = _option(args, scenario)
    cadences = args.cadences if args.cadences is not None else list(DEFAULT_CADENCES)
    try:
        check_grid(cadences, args.lags, args.on_drift)
    except ValueError as error:
        raise UsageError(f"--{error}") from None
    kwargs = simulation_kwargs(args)
    note = ""
    if kwargs["paths"] is None:
        kwargs["paths"] = min(scenario.paths, DEFAULT_PATHS)
        if scenario.paths > DEFAULT_PATHS:
            note = (f"Using {DEFAULT_PATHS:,} paths per policy (the scenario asks for "
                    f"{scenario.paths:,}; pass --paths to change).")
    reduced = option_scenario(scenario, option_id)
    check_memory(reduced, kwargs, write_paths=False)
    _check_kept(len(policy_grid(reduced, option_id, cadences, args.on_drift, args.lags)),
                kwargs["paths"])
    kwargs.pop("max_memory", None)
    with staged_output(args, f"{args.scenario.stem}-optimize-{option_id}") as folder:
        started = time.perf_counter()
        search = optimize_policies(scenario, option_id, cadences=cadences,
                                   on_drift=args.on_drift, lags=args.lags,
                                   on_policy=_reporter(args), **kwargs)
        _write_files(folder.path, search, command, args.scenario, args.report)
        run_dir = folder.commit()
    if not args.quiet:
        if note:
            print(note)
        print(optimize_text(search))
        print(f"Wrote {run_dir} in {time.perf_counter() - started:.1f} s")
    return 0
