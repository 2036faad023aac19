"""Command line: argv -> scenario -> simulation -> terminal table and run folder; exit codes."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .errors import ScenarioError
from .scenario import Scenario, load_scenario, parse_override

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2
SUBCOMMANDS = ("run", "sweep", "breakeven")


class UsageError(Exception):
    """A bad command-line value: reported like a scenario error, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        raise UsageError(message)


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {value}")
    return value


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", type=Path, help="scenario TOML file")
    parser.add_argument("--paths", type=_positive_int, help="number of simulated paths")
    parser.add_argument("--seed", type=int, help="random seed (same seed, same result)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="parallel worker processes (default: all cores)")
    parser.add_argument("--sampler", choices=("random", "lhs", "sobol"))
    parser.add_argument("--within", type=_positive_int, metavar="N",
                        help="payback horizon of the headline question, months")
    parser.add_argument("--horizon", type=_positive_int, metavar="H", help="months simulated")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        dest="overrides", help="override any scenario key (TOML value)")
    parser.add_argument("--out", type=Path, default=Path("results"), metavar="DIR",
                        help="parent folder of the run folder (default: results)")
    parser.add_argument("--quiet", action="store_true", help="no progress or table")
    parser.add_argument("--backend", choices=("loky", "dask"), default="loky")
    parser.add_argument("--scheduler", default=None,
                        help="Dask scheduler address (default: $FTSIM_DASK_SCHEDULER)")
    parser.add_argument("--chunk-size", type=_positive_int, default=None,
                        help="paths per chunk (part of the result's identity with the seed)")


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
    run.add_argument("--precision", type=_positive_float, default=None,
                     help="add paths until every Wilson 95%% half-width <= this")
    run.add_argument("--max-paths", type=_positive_int, default=None,
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
    """The scenario with --set/--within/--horizon applied (validated as if written in the file)."""
    return load_scenario(args.scenario, overrides=overrides(args))


def simulation_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of ftsim.simulate shared by every subcommand."""
    from .runner import DEFAULT_CHUNK_SIZE

    scheduler = args.scheduler or os.environ.get("FTSIM_DASK_SCHEDULER")
    if args.backend == "dask" and not scheduler:
        raise UsageError("--backend dask needs --scheduler tcp://HOST:PORT or FTSIM_DASK_SCHEDULER")
    if args.jobs is not None and args.jobs < -1:
        raise UsageError(f"--jobs must be a positive number, 0 or -1 (all cores), got {args.jobs}")
    return {"paths": args.paths, "seed": args.seed, "jobs": args.jobs, "sampler": args.sampler,
            "backend": args.backend, "scheduler": scheduler,
            "chunk_size": args.chunk_size or DEFAULT_CHUNK_SIZE}


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
    report it takes every core (one thread while the report competes for them).
    """
    from concurrent.futures import ThreadPoolExecutor

    from .output import write_monthly_csv, write_paths_csv, write_summary_json

    write_summary_json(run_dir, summary)
    write_monthly_csv(run_dir, summary)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = (pool.submit(write_paths_csv, run_dir, result, threads=1 if report else None)
                   if paths else None)
        if report:
            from .report import write_report

            kwargs = {"breakeven": breakeven} if breakeven is not None else {}
            write_report(run_dir, summary, scenario, command=command, seconds=result.seconds,
                         before_pdf=pending.result if pending is not None else None, **kwargs)
        if pending is not None:
            pending.result()


def _run(args: argparse.Namespace, command: str) -> int:
    from .output import new_run_dir
    from .runner import simulate

    scenario = load(args)
    kwargs = simulation_kwargs(args)
    if args.precision is not None:
        kwargs.update(precision=args.precision,
                      max_paths=args.max_paths or 10 * (args.paths or scenario.paths))
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
    run_dir = new_run_dir(args.out, args.scenario.stem)
    summary["simulation"]["seconds"] = round(result.seconds, 3)
    if args.precision is not None:
        summary["simulation"]["precision_target"] = args.precision
    write_run(run_dir, result, summary, scenario, command=command,
              report=not args.no_report, paths=not args.no_paths, breakeven=breakeven)
    if args.json:
        sys.stdout.write(json.dumps(summary, indent=2, allow_nan=False) + "\n")
    elif not args.quiet:
        print(format_table(summary))
        print(f"Wrote {run_dir} in {time.perf_counter() - started:.1f} s "
              f"(simulation {result.seconds:.1f} s)")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m ftsim`` and the ``ftsim`` script; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = "python -m ftsim " + shlex.join(argv)
    try:
        parsers = build_parser()
        name = argv[0] if argv and argv[0] in SUBCOMMANDS else "run"
        rest = argv[1:] if argv and argv[0] in SUBCOMMANDS else argv
        args = parsers[name].parse_args(rest)
        if name == "run":
            return _run(args, command)
        from .sweep import run_breakeven, run_sweep

        return (run_sweep if name == "sweep" else run_breakeven)(args, command)
    except ScenarioError as error:
        for issue in error.issues:
            print(f"error: {issue}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted: no run folder was completed", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - the CLI's last line of defence
        if os.environ.get("FTSIM_DEBUG"):
            raise
        print(f"internal error: {type(error).__name__}: {error} "
              "(set FTSIM_DEBUG=1 for a traceback)", file=sys.stderr)
        return EXIT_INTERNAL
