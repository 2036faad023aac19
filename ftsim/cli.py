"""Command line: argv -> scenario -> simulation -> terminal table and run folder; exit codes."""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shlex
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .errors import ScenarioError
from .runner import SchedulerUnreachable
from .scenario import Scenario, load_scenario, parse_override

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2
EXIT_INTERRUPTED, EXIT_BROKEN_PIPE, EXIT_TERMINATED = 130, 141, 143  # 128 + signal number
SUBCOMMANDS = ("run", "sweep", "breakeven")


class UsageError(Exception):
    """A bad command-line value: reported like a scenario error, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        raise UsageError(message)


# Command-line bounds. Horizon and payback months follow the loader's hard range (payback
# months are stored as int16; /work/notes/ranges.md), paths the [1, 1e9] of
# simulation.paths, seeds numpy's [0, 2**63 - 1]; the loader checks the same keys again.
MAX_MONTHS = 600
MAX_PATHS = 10**9
MAX_SEED = 2**63 - 1
MAX_JOBS = 1024
_SCHEDULER = re.compile(
    r"^(?:(?:tcp|tls|ucx|ws|wss)://)?"
    r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9._-]{0,251}[A-Za-z0-9])?)"
    r":(?P<port>[0-9]{1,5})$")


def _shown(text: str, limit: int = 40) -> str:
    """A value for an error line: repr (control characters escaped), long values shortened."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _whole(lo: int, hi: int) -> Callable[[str], int]:
    """argparse type: a whole number in [lo, hi] (huge values refused, never overflowing)."""
    def parse(text: str) -> int:
        cleaned = text.strip().replace("_", "")
        # int() of a 5,000-digit string raises ValueError: refuse long ones by their length
        if not re.fullmatch(r"[+-]?[0-9]{1,40}", cleaned):
            raise argparse.ArgumentTypeError(
                f"expected a whole number from {lo:,} to {hi:,}, got {_shown(text)}")
        value = int(cleaned)
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(
                f"must be from {lo:,} to {hi:,}, got {_shown(cleaned)}")
        return value

    return parse


def _jobs(text: str) -> int:
    if text.strip() in ("0", "-1"):
        return -1
    try:
        return _whole(1, MAX_JOBS)(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected 1 to {MAX_JOBS:,} workers, or 0 or -1 for "
                                         f"all cores, got {_shown(text)}") from None


def _precision(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {_shown(text)}") from None
    # a Wilson half-width is at most 0.5: a larger target is met by any run
    if not (math.isfinite(value) and 0 < value <= 0.5):
        raise argparse.ArgumentTypeError(
            f"must be a half-width above 0 and at most 0.5, got {_shown(text)}")
    return value


def _positive_int(text: str) -> int:  # kept for callers outside this module
    return _whole(1, MAX_PATHS)(text)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", type=Path, help="scenario TOML file")
    parser.add_argument("--paths", type=_whole(1, MAX_PATHS), help="number of simulated paths")
    parser.add_argument("--seed", type=_whole(0, MAX_SEED),
                        help="random seed, 0 to 2**63-1 (same seed, same result)")
    parser.add_argument("--jobs", type=_jobs, default=None,
                        help="parallel worker processes (default, 0 or -1: all cores)")
    parser.add_argument("--sampler", choices=("random", "lhs", "sobol"))
    parser.add_argument("--within", type=_whole(1, MAX_MONTHS), metavar="N",
                        help="payback horizon of the headline question, months")
    parser.add_argument("--horizon", type=_whole(1, MAX_MONTHS), metavar="H",
                        help="months simulated (at most 600)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        dest="overrides", help="override any scenario key (TOML value)")
    parser.add_argument("--out", type=Path, default=Path("results"), metavar="DIR",
                        help="parent folder of the run folder (default: results)")
    parser.add_argument("--quiet", action="store_true", help="no progress or table")
    parser.add_argument("--backend", choices=("loky", "dask"), default="loky")
    parser.add_argument("--scheduler", default=None,
                        help="Dask scheduler address, tcp://HOST:PORT (default: "
                             "$FTSIM_DASK_SCHEDULER)")
    parser.add_argument("--chunk-size", type=_whole(1, MAX_PATHS), default=None,
                        help="paths per chunk (part of the result's identity with the seed)")
    parser.add_argument("--allow-files-outside", action="store_true",
                        help="let empirical `file` inputs point outside the scenario's folder")


def build_parser() -> dict[str, argparse.ArgumentParser]:
    """One parser per subcommand; ``run`` is the default when the first word is a file."""
    run = _Parser(prog="ftsim", description="Probability that fine-tuning pays back within "
                  "N months against a prompted API baseline (Monte Carlo).")
    _add_common(run)
    run.add_argument("--json", action="store_true", help="print summary.json to stdout only")
    run.add_argument("--no-report", action="store_true", help="skip report.pdf / report.md")
    run.add_argument("--no-paths", action="store_true",
                     help="skip paths.csv.gz (one row per path: large for big runs)")
    run.add_argument("--breakeven", action="store_true",
                     help="add the break-even volume curve to the report")
    run.add_argument("--precision", type=_precision, default=None,
                     help="add paths until every Wilson 95%% half-width <= this (0 to 0.5)")
    run.add_argument("--max-paths", type=_whole(1, MAX_PATHS), default=None,
                     help="cap on paths with --precision (default 10 x --paths)")
    run.add_argument("--version", action="version", version=f"ftsim {__version__}")
    from .sweep import add_breakeven_arguments, add_sweep_arguments

    sweep = _Parser(prog="ftsim sweep", description="Re-run a scenario over values of one key "
                    "(common random numbers).")
    _add_common(sweep)
    add_sweep_arguments(sweep)
    breakeven = _Parser(prog="ftsim breakeven", description="Tokens per month at which "
                        "P(payback within N) reaches 0.5 and the required probability.")
    _add_common(breakeven)
    add_breakeven_arguments(breakeven)
    return {"run": run, "sweep": sweep, "breakeven": breakeven}


def overrides(args: argparse.Namespace) -> list[tuple[str, object]]:
    pairs = [parse_override(text) for text in args.overrides]
    if args.horizon is not None:
        pairs.append(("scenario.horizon_months", args.horizon))
    if args.within is not None:
        pairs.append(("scenario.payback_within_months", args.within))
    return pairs


def load(args: argparse.Namespace) -> Scenario:
    """The scenario with --set/--within/--horizon applied (validated as if written in the file);
    its plausibility warnings are printed, one line each, on stderr (stdout stays clean)."""
    scenario = load_scenario(args.scenario, overrides=overrides(args),
                             allow_files_outside=args.allow_files_outside)
    for issue in scenario.warnings:
        print(f"warning: {issue}", file=sys.stderr)
    return scenario


def _check_scheduler(address: str, source: str) -> None:
    match = _SCHEDULER.match(address)
    if match is None or not 1 <= int(match.group("port")) <= 65535:
        raise UsageError(f"{source}: expected a scheduler address like tcp://HOST:PORT, "
                         f"got {_shown(address)}")


def simulation_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of ftsim.simulate shared by every subcommand (checked, not run)."""
    from .runner import DEFAULT_CHUNK_SIZE

    if args.scheduler is not None and args.backend != "dask":
        raise UsageError("--scheduler: only used with --backend dask")
    scheduler = args.scheduler or os.environ.get("FTSIM_DASK_SCHEDULER")
    if args.backend == "dask":
        if not scheduler:
            raise UsageError("--backend dask needs --scheduler tcp://HOST:PORT or "
                             "FTSIM_DASK_SCHEDULER")
        _check_scheduler(scheduler, "--scheduler" if args.scheduler else "FTSIM_DASK_SCHEDULER")
    return {"paths": args.paths, "seed": args.seed, "jobs": args.jobs, "sampler": args.sampler,
            "backend": args.backend, "scheduler": scheduler,
            "chunk_size": args.chunk_size or DEFAULT_CHUNK_SIZE}


def _size(n: float) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n / 2**10:,.0f} KiB"


def check_memory(scenario: Scenario, kwargs: dict[str, Any], *, write_paths: bool,
                 available: int | None = None) -> None:
    """Refuse (exit 2) a run whose estimated peak memory exceeds the memory available.

    Names what to change: ``--chunk-size``/``--jobs`` when the chunks being simulated are
    what does not fit, ``--no-paths`` when the paths writer is, else a smaller ``--paths``
    (``--max-paths`` with ``--precision``) with the largest count that fits.
    """
    from .runner import estimate_memory

    available = available_memory_or_none() if available is None else available
    if available is None:
        return
    precision = kwargs.get("precision") is not None
    paths = kwargs["max_paths"] if precision else (kwargs["paths"] or scenario.paths)
    jobs = 1 if kwargs["backend"] == "dask" else _resolved_jobs(kwargs["jobs"])
    chunk = kwargs["chunk_size"]

    def need(n: int, jobs: int = jobs, chunk: int = chunk, write: bool = write_paths) -> int:
        return estimate_memory(scenario, n, jobs, chunk, precision=precision, write_paths=write)

    total = need(paths)
    if total <= available:
        return
    head = f"needs about {_size(total)} of memory, more than the {_size(available)} available"
    option = "--max-paths" if precision else "--paths"
    if need(paths, jobs=1, chunk=min(chunk, 1024)) <= available:
        raise UsageError(f"--chunk-size: {chunk:,} paths per chunk on {jobs} worker(s) {head}; "
                         "use a smaller --chunk-size or fewer --jobs")
    if write_paths and need(paths, write=False) <= available:
        raise UsageError(f"--no-paths: writing paths.csv.gz {head}; pass --no-paths")
    lo, hi = 0, paths  # the largest path count that fits (memory grows with paths)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if need(mid) <= available:
            lo = mid
        else:
            hi = mid - 1
    advice = (f"use a smaller {option} (at most about {lo:,} fit)" if lo else
              "too little memory for even one path")
    raise UsageError(f"{option}: a run of {paths:,} paths {head}; {advice}")


def available_memory_or_none() -> int | None:
    from .runner import available_memory

    return available_memory()


def _resolved_jobs(jobs: int | None) -> int:
    return (os.cpu_count() or 1) if jobs in (None, 0, -1) else int(jobs)


class ProgressBar:
    """A tqdm bar on stderr (paths done, rate, time left), shown once a run passes a second.

    Created lazily at the first update after ``delay`` seconds, with the total then known,
    so short runs print nothing.
    """

    def __init__(self, delay: float = 1.0) -> None:
        self.started = time.perf_counter()
        self.delay = delay
        self.bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if time.perf_counter() - self.started < self.delay:
                return
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="path", unit_scale=True, file=sys.stderr,
                            leave=False, mininterval=0.2, dynamic_ncols=True)
        if self.bar.total != total:
            self.bar.total = total
        self.bar.update(done - self.bar.n)
        self.bar.refresh()  # updates come per batch of chunks: show each one

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def progress_bar(args: argparse.Namespace, quiet: bool) -> ProgressBar | None:
    """The progress bar, or None when quiet, --json, or stderr is not a terminal."""
    if quiet or not sys.stderr.isatty():
        return None
    return ProgressBar()


def _money(value: float, currency: str) -> str:
    sign = "-" if value < 0 else ""
    value = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{sign}{value / limit:,.1f}{suffix} {currency}"
    return f"{sign}{value:,.0f} {currency}"


def format_table(summary: dict[str, Any]) -> str:
    """The terminal view: one block per option with the figures an analyst reads first."""
    sim, cur = summary["simulation"], summary["scenario"]["currency"]
    within = sim["payback_within_months"]
    lines = [f"{summary['scenario']['name']}: {sim['paths']:,} paths, seed {sim['seed']}, "
             f"{sim['sampler']} sampler, {sim['horizon_months']} months; baseline: "
             f"{summary['baseline']['name']}", ""]
    for option_id, o in summary["options"].items():
        lo, hi = o["p_payback_within_ci95"]
        median = o["payback_month"]["p50"]
        median_text = str(median) if median is not None else f"not within {sim['horizon_months']}"
        npv = o["npv"]
        drivers = ", ".join(
            f"{row['input']} (rho {row['spearman']:+.2f})"
            for row in o["sensitivity"][:3] if row["spearman"] is not None) or "none"
        lines += [
            f"{o['name']} [{option_id}]: {o['verdict'].upper()}",
            f"  P(payback within {within} months)  {o['p_payback_within']:.3f}  "
            f"(95% CI {lo:.3f}-{hi:.3f}; required {sim['required_probability']:.2f})",
            f"  median payback month             {median_text}",
            f"  NPV P5 / P50 / P95               {_money(npv['p5'], cur)} / "
            f"{_money(npv['p50'], cur)} / {_money(npv['p95'], cur)}",
            f"  expected upfront cost            {_money(o['upfront_cost']['mean'], cur)}",
            f"  P(abandoned)                     {o['p_abandoned']:.3f}",
            f"  top drivers                      {drivers}",
            "",
        ]
    return "\n".join(lines)


def write_run(
    run_dir: Path, result: Any, summary: dict[str, Any], scenario: Scenario, *, command: str,
    report: bool, paths: bool = True, breakeven: dict[str, Any] | None = None,
) -> None:
    """Every file of a run folder; report.pdf last, so its presence means a finished run.

    paths.csv.gz is written on a second thread while the report is drawn: Arrow's CSV
    writer and zlib release the GIL, so the two overlap on a multi-core machine. Without a
    report it takes every core (one thread while the report competes for them). If the
    report fails or the run is interrupted, the paths writer is told to stop instead of
    finishing a file that is about to be thrown away.
    """
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from .output import write_monthly_csv, write_paths_csv, write_summary_json

    write_summary_json(run_dir, summary)
    write_monthly_csv(run_dir, summary)
    cancel = threading.Event()
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = (pool.submit(write_paths_csv, run_dir, result, threads=1 if report else None,
                               cancel=cancel) if paths else None)
        try:
            if report:
                from .report import write_report

                kwargs = {"breakeven": breakeven} if breakeven is not None else {}
                write_report(run_dir, summary, scenario, command=command,
                             seconds=result.seconds,
                             before_pdf=pending.result if pending is not None else None,
                             **kwargs)
            if pending is not None:
                pending.result()
        except BaseException:
            cancel.set()
            raise


def remove_leftovers(out: Path) -> None:
    """Remove what killed runs left: shared-memory folders and temporary run folders whose
    owner process is dead. Done first, so that their memory counts as available."""
    from .output import remove_stale_partials
    from .runner import remove_stale_shared

    remove_stale_shared()
    remove_stale_partials(out)


def prepare_output(args: argparse.Namespace, stem: str) -> Any:
    """Claim a temporary run folder under --out (renamed into place when the run is done).

    Creating it is the check that --out is a writable folder, done before anything is
    simulated (before, a file or an unwritable --out failed with exit 1 after the run).
    """
    from .output import RunFolder

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out: {_shown(str(out), 120)} is a file, not a folder")
    try:
        return RunFolder(out, stem)
    except OSError as error:
        raise UsageError(f"--out: cannot write a run folder in {_shown(str(out), 120)} "
                         f"({error.strerror or type(error).__name__})") from None


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


def _run(args: argparse.Namespace, command: str) -> int:
    from .runner import simulate

    scenario = load(args)
    kwargs = simulation_kwargs(args)
    kwargs.update(_precision_kwargs(args, scenario))
    check_memory(scenario, kwargs, write_paths=not args.no_paths)
    folder = None
    try:  # claimed inside the try: an interrupt right after the claim still cleans up
        folder = prepare_output(args, args.scenario.stem)
        quiet = args.quiet or args.json
        bar = progress_bar(args, quiet)
        started = time.perf_counter()
        try:
            result = simulate(scenario, progress=bar, **kwargs)
        finally:
            if bar is not None:
                bar.close()
        summary = result.summary()
        breakeven = None
        if args.breakeven:
            from .sweep import breakeven_curve

            breakeven = breakeven_curve(scenario, **kwargs)
        summary["simulation"]["seconds"] = round(result.seconds, 3)
        if result.precision_target is not None:
            summary["simulation"].update(
                precision_target=result.precision_target,
                precision_reached=result.precision_reached,
                precision_half_width=round(result.precision_half_width, 6))
            if not result.precision_reached:
                print(f"warning: --precision {result.precision_target:g} not reached: stopped "
                      f"at --max-paths {result.n_paths:,} with a largest 95% half-width of "
                      f"{result.precision_half_width:.4f}", file=sys.stderr)
        write_run(folder.path, result, summary, scenario, command=command,
                  report=not args.no_report, paths=not args.no_paths, breakeven=breakeven)
        run_dir = folder.commit()
    except BaseException:
        if folder is not None:
            folder.discard()
        raise
    if args.json:
        sys.stdout.write(json.dumps(summary, indent=2, allow_nan=False) + "\n")
    elif not args.quiet:
        print(format_table(summary))
        print(f"Wrote {run_dir} in {time.perf_counter() - started:.1f} s "
              f"(simulation {result.seconds:.1f} s)")
    return EXIT_OK


def _dispatch(argv: list[str], command: str) -> int:
    parsers = build_parser()
    name = argv[0] if argv and argv[0] in SUBCOMMANDS else "run"
    rest = argv[1:] if argv and argv[0] in SUBCOMMANDS else argv
    args = parsers[name].parse_args(rest)
    remove_leftovers(args.out)
    if name == "run":
        return _run(args, command)
    from .sweep import run_breakeven, run_sweep

    return (run_sweep if name == "sweep" else run_breakeven)(args, command)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m ftsim`` and the ``ftsim`` script; returns the exit code.

    Exit codes: 0 done, 1 internal error, 2 bad input (nothing simulated, nothing written),
    130 interrupted (SIGINT) and 143 terminated (SIGTERM), leaving no run folder; 141 stdout
    closed by its reader (``| head``).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    command = "python -m ftsim " + shlex.join(argv)
    previous = _terminate_like_interrupt()
    try:
        code = _dispatch(argv, command)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at exit
        return code
    except BrokenPipeError:
        # The reader (``| head``) went away. Point stdout at devnull so the interpreter's
        # final flush does not raise again (Python docs, "Note on SIGPIPE").
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except ScenarioError as error:
        for issue in error.issues:
            print(f"error: {issue}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted: no run folder was completed", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print("terminated: no run folder was completed", file=sys.stderr)
        return EXIT_TERMINATED
    except SchedulerUnreachable as error:
        print(f"error: --scheduler: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as error:  # noqa: BLE001 - the CLI's last line of defence
        if os.environ.get("FTSIM_DEBUG"):
            raise
        print(f"internal error: {type(error).__name__}: {error} "
              "(set FTSIM_DEBUG=1 for a traceback)", file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that the run's temporary folder is removed."""


def _terminate_like_interrupt() -> Any:
    """Handle SIGTERM (``kill``, ``timeout``) like Ctrl-C: clean up, exit 143. Returns the
    previous handler, or None where handlers cannot be set (not the main thread)."""
    def handler(signum: int, frame: object) -> None:
        raise Terminated

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # signal only works in the main thread
        return None
