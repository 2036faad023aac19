"""``python -m ftsim [run]``: simulate one scenario, write its run folder, print the table."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .._version import __version__
from ..core.result import Result
from ..core.runner import simulate
from ..core.studies.breakeven import breakeven_curve
from ..core.summary import Summary, summarize
from ..output import RunInfo, summary_json, write_monthly_csv, write_paths_csv, write_summary_json
from ..scenario import Scenario
from .common import (
    MAX_PATHS,
    UsageError,
    check_memory,
    half_width,
    load,
    progress_bar,
    simulation_kwargs,
    staged_output,
    whole,
)
from .table import format_table

__all__ = ["add_run_arguments", "write_run", "run_command"]

EXIT_OK = 0


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """``run``'s own options (the common ones come from :func:`common.add_common`)."""
    parser.add_argument("--json", action="store_true", help="print summary.json to stdout only")
    parser.add_argument("--no-report", action="store_true", help="skip report.pdf / report.md")
    parser.add_argument("--no-paths", action="store_true",
                        help="skip paths.csv.gz (one row per path: large for big runs)")
    parser.add_argument("--breakeven", action="store_true",
                        help="add the break-even volume curve to the report")
    parser.add_argument("--precision", type=half_width, default=None,
                        help="add paths until every Wilson 95%% half-width <= this (0 to 0.5)")
    parser.add_argument("--max-paths", type=whole(1, MAX_PATHS), default=None,
                        help="cap on paths with --precision (default 10 x --paths)")
    parser.add_argument("--version", action="version", version=f"ftsim {__version__}")


def write_run(
    run_dir: Path, result: Result, summary: Summary, scenario: Scenario, *, command: str,
    report: bool, paths: bool = True, breakeven: dict[str, Any] | None = None,
) -> None:
    """Every file of a run folder; report.pdf last, so its presence means a finished run.

    paths.csv.gz is written on a second thread while the report is drawn: Arrow's CSV
    writer and zlib release the GIL, so the two overlap on a multi-core machine. Without a
    report it takes every core (one thread while the report competes for them). If the
    report fails or the run is interrupted, the paths writer is told to stop instead of
    finishing a file that is about to be thrown away.
    """
    write_summary_json(run_dir, summary, RunInfo(result.seconds))
    write_monthly_csv(run_dir, summary)
    cancel = threading.Event()
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = (pool.submit(write_paths_csv, run_dir, result, threads=1 if report else None,
                               cancel=cancel) if paths else None)
        try:
            if report:
                from ..report import write_report  # matplotlib: only when a report is made

                kwargs = {"breakeven": breakeven} if breakeven is not None else {}
                write_report(run_dir, summary.to_dict(), scenario, command=command,
                             seconds=result.seconds,
                             before_pdf=pending.result if pending is not None else None,
                             **kwargs)
            if pending is not None:
                pending.result()
        except BaseException:
            cancel.set()
            raise


def _precision_kwargs(args: argparse.Namespace, scenario: Scenario) -> dict[str, Any]:
    if args.precision is None:
        if args.max_paths is not None:
            raise UsageError("--max-paths: only used with --precision")
        return {}
    paths = args.paths or scenario.paths
    max_paths = args.max_paths if args.max_paths is not None else min(10 * paths, MAX_PATHS)
    if max_paths < paths:
        raise UsageError(f"--max-paths: must be at least the first batch of {paths:,} paths, "
                         f"got {max_paths:,}")
    return {"precision": args.precision, "max_paths": max_paths}


def run_command(args: argparse.Namespace, command: str) -> int:
    """``python -m ftsim [run]``: simulate, write the run folder, print the table or JSON."""
    scenario = load(args)
    kwargs = simulation_kwargs(args)
    kwargs.update(_precision_kwargs(args, scenario))
    check_memory(scenario, kwargs, write_paths=not args.no_paths)
    with staged_output(args, args.scenario.stem) as folder:
        quiet = args.quiet or args.json
        bar = progress_bar(args, quiet)
        started = time.perf_counter()
        try:
            result = simulate(scenario, progress=bar, **kwargs)
        finally:
            if bar is not None:
                bar.close()
        summary = summarize(result)
        breakeven = None
        if args.breakeven:
            breakeven = breakeven_curve(scenario, **kwargs)
        if result.precision_target is not None and not result.precision_reached:
            print(f"warning: --precision {result.precision_target:g} not reached: stopped "
                  f"at --max-paths {result.n_paths:,} with a largest 95% half-width of "
                  f"{result.precision_half_width:.4f}", file=sys.stderr)
        write_run(folder.path, result, summary, scenario, command=command,
                  report=not args.no_report, paths=not args.no_paths, breakeven=breakeven)
        run_dir = folder.commit()
    if args.json:
        sys.stdout.write(json.dumps(summary_json(summary, RunInfo(result.seconds)), indent=2,
                                    allow_nan=False) + "\n")
    elif not args.quiet:
        print(format_table(summary))
        print(f"Wrote {run_dir} in {time.perf_counter() - started:.1f} s "
              f"(simulation {result.seconds:.1f} s)")
    return EXIT_OK
