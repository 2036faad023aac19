"""``python -m ftsim [run]``: simulate one scenario, write its run folder, print the table."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .._version import __version__
from ..core.result import Result
from ..core.runner import simulate
from ..core.studies.breakeven import breakeven_curve
from ..core.studies.stress import StressBand, parse_stress, stressed
from ..core.summary import Summary, summarize
from ..core.supplied import SuppliedInputs, with_supplied
from ..output import (
    PathsFormat,
    PathsWriter,
    RunInfo,
    write_monthly_csv,
    write_scenario_copy,
    write_summary_json,
)
from ..output.audit import RunRecord, copy_inputs_file, data_files
from ..output.inputs_file import InputsTable, read_inputs_file
from ..scenario import Scenario
from .common import (
    MAX_PATHS,
    UsageError,
    check_memory,
    half_width,
    load,
    overrides,
    progress,
    simulation_kwargs,
    staged_output,
    whole,
)
from .report_process import ReportProcess, report_process
from .table import files_text, format_table

__all__ = ["add_run_arguments", "write_run", "run_command", "paths_format", "recorded_overrides",
           "run_record", "report_process_for"]

EXIT_OK = 0


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """``run``'s own options (the common ones come from :func:`common.add_common`)."""
    parser.add_argument("--json", action="store_true",
                        help="print summary.json on stdout (the folder written on stderr)")
    parser.add_argument("--no-report", action="store_true",
                        help="skip the report (report.pdf, report.html, report.md, figures)")
    per_path = parser.add_mutually_exclusive_group()
    per_path.add_argument("--paths-csv", action="store_true",
                          help="write the per-path rows as paths.csv.gz instead of "
                               "paths.parquet")
    per_path.add_argument("--no-paths", action="store_true",
                          help="skip the per-path file (paths.parquet: one row per option "
                               "and path)")
    parser.add_argument("--breakeven", action="store_true",
                        help="add the break-even volume curve to the report")
    parser.add_argument("--precision", type=half_width, default=None,
                        help="add paths until every Wilson 95%% half-width <= this (0 to 0.5)")
    parser.add_argument("--max-paths", type=whole(1, MAX_PATHS), default=None,
                        help="cap on paths with --precision (default 10 x --paths)")
    parser.add_argument("--inputs", type=Path, default=None, metavar="FILE",
                        help="joint samples of inputs, one row per path (.parquet, .csv): "
                             "columns named by key path are used instead of drawing those "
                             "inputs; --paths defaults to the row count (first N rows)")
    parser.add_argument("--stress", type=_stress, action="append", default=[],
                        metavar="KEY=LO:HI",
                        help="confine a random input to its percentiles LO..HI (0-100), "
                             "every other draw unchanged")
    parser.add_argument("--version", action="version", version=f"ftsim {__version__}")


def _stress(text: str) -> StressBand:
    try:
        return parse_stress(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def paths_format(args: argparse.Namespace) -> PathsFormat | None:
    """The per-path file the options ask for: Parquet by default, CSV, or none."""
    if args.no_paths:
        return None
    return "csv" if args.paths_csv else "parquet"


def write_run(
    run_dir: Path, summary: Summary, scenario: Scenario, *, seconds: float, command: str,
    report: bool, breakeven: dict[str, Any] | None = None,
    before_pdf: Callable[[], object] | None = None, record: RunRecord | None = None,
    writer: ReportProcess | None = None,
) -> dict[str, Path]:
    """summary.json, monthly.csv and the report (report.pdf last, so its presence means a
    finished report); returns the report's files keyed by their path in ``run_dir``.

    The per-path file is not written here: `PathsWriter` writes it in the background from
    the moment the simulation ends; ``before_pdf`` (its ``wait``) holds report.pdf back
    until it is complete. ``record`` (how the run was made) goes into summary.json.
    ``writer``: the report process started with the command (its imports already made),
    else the report is written in this process.
    """
    write_summary_json(run_dir, summary, RunInfo(seconds, record))
    write_monthly_csv(run_dir, summary)
    if not report:
        return {}
    if writer is not None:
        return writer.write(run_dir, summary, scenario, command=command, seconds=seconds,
                            breakeven=breakeven, before_pdf=before_pdf)
    from ..report import write_report  # matplotlib, typst: only when a report is made

    return write_report(run_dir, summary, scenario, command=command, seconds=seconds,
                        breakeven=breakeven, before_pdf=before_pdf)


@contextmanager
def report_process_for(args: argparse.Namespace) -> Iterator[None]:
    """Fork the report's process for the command (before any thread starts) unless
    --no-report; it is ``args.report_process`` (None when not started) until the end."""
    with report_process(not args.no_report) as process:
        args.report_process = process
        yield


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


def _simulate(args: argparse.Namespace, scenario: Scenario, kwargs: dict[str, Any]) -> Result:
    """The simulation, with the progress bar; a --precision target missed is said on stderr."""
    with progress(args, args.quiet or args.json) as bar:
        result = simulate(scenario, progress=bar, **kwargs)
    if result.precision_target is not None and not result.precision_reached:
        print(f"warning: --precision {result.precision_target:g} not reached: stopped "
              f"at --max-paths {result.n_paths:,} with a largest 95% half-width of "
              f"{result.precision_half_width:.4f}", file=sys.stderr)
    return result


def recorded_overrides(args: argparse.Namespace) -> tuple[str, ...]:
    """The overrides as summary.json records them: each --set as typed, then --horizon and
    --within as ``key=value`` (the order `common.overrides` applies them in)."""
    extra = [f"scenario.horizon_months={args.horizon}"] if args.horizon is not None else []
    if args.within is not None:
        extra.append(f"scenario.payback_within_months={args.within}")
    return (*args.overrides, *extra)


def _supplied_and_stressed(args: argparse.Namespace, scenario: Scenario,
                           kwargs: dict[str, Any]) -> tuple[Scenario, InputsTable | None]:
    """The scenario with --inputs' columns and --stress's bands applied (``kwargs["paths"]``
    set to the row count when --paths is not given); refused (exit 2) before any run."""
    table = None
    if args.inputs is not None:
        for flag, used in (("--precision", args.precision is not None),
                           ("--breakeven", args.breakeven)):
            if used:
                raise UsageError(f"{flag}: not available with --inputs (the paths are the "
                                 "file's rows)")
        table = read_inputs_file(args.inputs)
        kwargs["paths"] = kwargs["paths"] or table.rows
        scenario = with_supplied(scenario, SuppliedInputs(args.inputs.name, table.columns,
                                                          table.rows), kwargs["paths"])
    if args.stress:
        scenario = stressed(scenario, args.stress)
    return scenario, table


def run_record(args: argparse.Namespace, run_dir: Path, scenario_copy: Path | None,
               table: InputsTable | None) -> RunRecord:
    """What summary.json records of how this run was made (see `output.audit`); copies the
    --inputs file's bytes into the run folder."""
    text = scenario_copy.read_bytes().decode("utf-8-sig") if scenario_copy else ""
    inputs = None if table is None else copy_inputs_file(
        run_dir, args.inputs, table.data, table.rows, list(table.columns))
    return RunRecord(
        scenario_path=str(Path(args.scenario).resolve()),
        overrides=recorded_overrides(args), allow_files_outside=args.allow_files_outside,
        data_files=data_files(text, overrides(args), Path(args.scenario).parent),
        inputs_file=inputs, stress=tuple(args.stress))


def run_command(args: argparse.Namespace, command: str) -> int:
    """``python -m ftsim [run]``: simulate, write the run folder, print the table or JSON.

    The per-path file is written on a background thread from the end of the simulation,
    while the summary and the report are made; it takes one thread when a report competes
    for the cores, every core otherwise.
    """
    scenario = load(args)
    kwargs = simulation_kwargs(args)
    kwargs.update(_precision_kwargs(args, scenario))
    scenario, table = _supplied_and_stressed(args, scenario, kwargs)
    per_path = paths_format(args)
    check_memory(scenario, kwargs, write_paths=per_path is not None,
                 release_summary=per_path is None)
    with staged_output(args, args.scenario.stem) as folder:
        started = time.perf_counter()
        copy = write_scenario_copy(folder.path, scenario)  # now: the file may be edited later
        record = run_record(args, folder.path, copy, table)
        result = _simulate(args, scenario, kwargs)
        with PathsWriter(folder.path, result, per_path,
                         threads=None if args.no_report else 1) as paths:
            # nothing reads the per-path arrays after the summary unless they are written:
            # it may then free each once read (10M paths: peak 4.5 -> 3.4 GiB, memory.py)
            summary = summarize(result, release=per_path is None)
            breakeven = breakeven_curve(scenario, **kwargs) if args.breakeven else None
            written = write_run(folder.path, summary, scenario, seconds=result.seconds,
                                command=command, report=not args.no_report,
                                breakeven=breakeven, before_pdf=paths.wait, record=record,
                                writer=getattr(args, "report_process", None))
        run_dir = folder.commit()
    if args.json:
        sys.stdout.write((run_dir / "summary.json").read_text(encoding="utf-8"))
        if not args.quiet:
            print(f"Wrote {run_dir}", file=sys.stderr)
    elif not args.quiet:
        print(format_table(summary))
        print(files_text(run_dir, written, seconds=time.perf_counter() - started,
                         simulation_seconds=result.seconds))
    return EXIT_OK
