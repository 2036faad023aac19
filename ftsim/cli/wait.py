"""``python -m ftsim wait``: the value of waiting k months before deciding, for each k of
--months; the table on stdout, a run folder with wait.json, wait.csv, wait.png and, with
--report, report.md/.html/.pdf.

The computing is in ftsim/core/studies/wait.py, the figure in ftsim/figures/wait.py, the
report's content in ftsim/report/wait.py.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.studies.wait import (
    DEFAULT_MONTHS,
    MIN_PATHS,
    check_months,
    check_pilot,
    wait_analysis,
    weighed_options,
)
from ..core.studies.wait_types import WaitAnalysis
from ..format import format_money, format_probability, shorten
from ..scenario import Scenario
from .common import (
    UsageError,
    available_memory_or_none,
    load,
    progress,
    simulation_kwargs,
    staged_output,
)
from .study_files import write_study_files

if TYPE_CHECKING:
    from ..report.blocks import Document


__all__ = ["add_wait_arguments", "wait_command", "wait_text"]

MAX_MONTH = 600


def _months(text: str) -> list[int]:
    """``3,6,12`` or a range ``1-6``: whole decision months."""
    values: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        try:
            values += range(int(lo), int(hi) + 1) if sep else [int(part)]
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected whole months like 3,6,12 or 1-6, "
                                             f"got {shorten(text, 40)!r}") from None
    if not values or any(not 1 <= v <= MAX_MONTH for v in values):
        raise argparse.ArgumentTypeError(f"expected whole months from 1 to {MAX_MONTH}, "
                                         f"got {shorten(text, 40)!r}")
    return sorted(set(values))


def add_wait_arguments(parser: argparse.ArgumentParser) -> None:
    """``wait``'s own options (the common ones come from common.add_common)."""
    parser.add_argument("--months", type=_months, default=list(DEFAULT_MONTHS),
                        metavar="K,K,...",
                        help="decision months to try, e.g. 3,6,12 or 1-12 (default 3,6,12)")
    parser.add_argument("--option", action="append", default=None, metavar="ID",
                        help="an option weighed (repeat for several; default: every option)")
    parser.add_argument("--pilot", default=None, metavar="NAME",
                        help="a [[pilots]] entry run while waiting (its measurement is seen "
                             "when deciding; its cost is paid by every waiting policy)")
    parser.add_argument("--report", action="store_true",
                        help="also write report.md, report.html and report.pdf")


def wait_text(analysis: WaitAnalysis) -> str:
    """The terminal table (one row per decision month) and the plain statements."""
    money = analysis.money
    names = ", ".join(f"{name} [{oid}]" for oid, name in analysis.options)
    head = (f"Value of waiting · {analysis.scenario} · baseline or {names} · "
            f"{analysis.paths:,} paths, seed {analysis.seed} (common random numbers)")
    lines = [head, "", f"{'decide at':<11}{'E[NPV]':>13}{'P(commit)':>11}"
                       f"{'value of waiting ± 1.96 se':>30}{'perfect info':>15}"
                       f"{'no learning':>14}"]
    for i, r in enumerate(analysis.rows):
        value = "0 (reference)" if r.month == 0 else \
            f"{money(r.value)} ± {format_money(1.959964 * r.value_se, analysis.currency)}"
        when = "now" if r.month == 0 else f"month {r.month}"
        mark = "  best" if i == analysis.best else ""
        lines.append(f"{when:<11}{money(r.npv_mean):>13}{format_probability(r.p_commit):>11}"
                     f"{value:>30}{money(r.perfect_bound):>15}"
                     f"{money(r.no_learning_value):>14}{mark}")
    return "\n".join([*lines, "", *analysis.statements()])


def _write_files(folder: Path, analysis: WaitAnalysis, command: str, source: Path,
                 report: bool) -> None:
    from ..figures.wait import STEM, wait_svg

    def document() -> Document:
        from ..report.wait import wait_document

        return wait_document(analysis, command=command, generated_at=datetime.now().astimezone())

    write_study_files(folder, "wait", analysis, command=command, source=source,
                      figure=(STEM, wait_svg(analysis)), document=document if report else None)


# Bytes kept per path until every decision month has run: each month's NPV per option and
# its history features (at most ten), float64.
def _kept_bytes(scenario: Scenario, months: int, paths: int) -> int:
    return paths * 8 * ((months + 1) * len(scenario.options) + months * 10)


def _check(args: argparse.Namespace, scenario: Scenario, kwargs: dict[str, object]) -> None:
    """Everything the analysis would refuse, as one-line usage errors, before it runs."""
    if args.backend not in ("auto", "threads"):
        raise UsageError("--backend: the wait analysis runs on this process's threads "
                         "(auto or threads)")
    try:
        check_months(args.months, scenario.horizon_months)
    except ValueError as error:
        raise UsageError(f"--{error}") from None
    paths = int(kwargs["paths"] or scenario.paths)  # type: ignore[call-overload]
    if paths < MIN_PATHS:
        raise UsageError(f"--paths: the wait analysis needs at least {MIN_PATHS} paths")
    for option_id in args.option or ():
        if option_id not in scenario.options:
            raise UsageError(f"--option: unknown option {shorten(option_id, 64)!r} (the "
                             f"scenario has: {', '.join(scenario.options)})")
    try:
        check_pilot(weighed_options(scenario, args.option), args.pilot, tuple(args.months))
    except ValueError as error:  # "pilot: ..." or "months: ..."
        raise UsageError(f"--{shorten(str(error), 300)}") from None
    available = available_memory_or_none()
    need = _kept_bytes(scenario, len(args.months), paths)
    if available is not None and need > available // 2:
        raise UsageError(f"--paths: {paths:,} paths keep {need / 2**20:,.0f} MiB of NPVs and "
                         "features, more than half the memory available; use fewer paths")


def wait_command(args: argparse.Namespace, command: str = "") -> int:
    """``python -m ftsim wait``: everything is checked (scenario, months, options, pilot,
    memory, --out) before the first path runs; the folder is written under a temporary
    name and renamed when complete."""
    scenario = load(args)
    kwargs = simulation_kwargs(args)
    _check(args, scenario, kwargs)
    with staged_output(args, f"{args.scenario.stem}-wait") as folder:
        started = time.perf_counter()
        with progress(args, args.quiet) as bar:
            analysis = wait_analysis(scenario, args.months, options=args.option,
                                     paths=kwargs["paths"], seed=kwargs["seed"],
                                     sampler=kwargs["sampler"], jobs=kwargs["jobs"],
                                     chunk_size=kwargs["chunk_size"], pilot=args.pilot,
                                     on_chunk=bar)
        _write_files(folder.path, analysis, command, args.scenario, args.report)
        run_dir = folder.commit()
    if not args.quiet:
        print(wait_text(analysis))
        print(f"Wrote {run_dir} in {time.perf_counter() - started:.1f} s")
    return 0
