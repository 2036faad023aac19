"""``python -m ftsim sweep`` and ``breakeven``: their options, run folders and files.

The computing is in ftsim/core/studies, the figures in ftsim/figures, the terminal text in
ftsim/cli/table.py.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.studies.breakeven import breakeven_curve
from ..core.studies.sweep import DEFAULT_PATHS, load_points, parse_values, sweep, value_grid
from ..output import atomic_path, atomic_write_text, csv_text
from ..scenario import Scenario
from .common import UsageError, check_memory, load, overrides, simulation_kwargs, staged_output
from .table import breakeven_text, sweep_text

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["add_sweep_arguments", "add_breakeven_arguments", "run_sweep", "run_breakeven",
           "sweep_points"]


def _token_count(text: str) -> float:
    """``1e6``, ``1_000_000``, ``10M``, ``2.5B``, ``500k``."""
    cleaned = text.strip().replace("_", "")
    scale = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}.get(cleaned[-1:].lower(), 1.0)
    number = cleaned[:-1] if scale != 1.0 else cleaned
    try:
        value = float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a token count like 1e6 or 10M, got "
                                         f"{text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be above 0, got {text!r}")
    return value * scale


def _points(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"need at least 2 points, got {value}")
    return value


def _values(text: str) -> list[int | float]:
    try:
        return parse_values(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_sweep_arguments(parser: argparse.ArgumentParser) -> None:
    """``sweep``'s own options (the common ones come from common.add_common)."""
    parser.add_argument("--param", required=True, metavar="KEY",
                        help="dotted key to vary, e.g. drift.events_per_year")
    grid = parser.add_mutually_exclusive_group(required=True)
    grid.add_argument("--values", type=_values, metavar="A,B,C",
                      help="comma-separated values (TOML numbers)")
    grid.add_argument("--range", dest="grid", metavar="LO:HI:N",
                      help="N values from LO to HI (write --range=-1:1:5 for a negative LO)")
    parser.add_argument("--log", action="store_true",
                        help="with --range: geometric spacing, and a log axis on the plot")


def add_breakeven_arguments(parser: argparse.ArgumentParser) -> None:
    """``breakeven``'s own options (the common ones come from common.add_common)."""
    parser.add_argument("--min-tokens", type=_token_count, default=None, metavar="T",
                        help="lowest median tokens per month, e.g. 1M (default 1M, lower if "
                             "needed to reach a decade below the scenario's own volume)")
    parser.add_argument("--max-tokens", type=_token_count, default=None, metavar="T",
                        help="highest median tokens per month, e.g. 10B (default 10B, higher "
                             "if needed to reach a decade above the scenario's own volume)")
    parser.add_argument("--points", type=_points, default=None,
                        help="grid points, log-spaced (default 4 per decade: 17 for 1M-10B)")


def _paths_note(args: argparse.Namespace, scenario: Scenario, kwargs: dict[str, Any]) -> str:
    if args.paths is not None or scenario.paths <= DEFAULT_PATHS:
        return ""
    kwargs["paths"] = DEFAULT_PATHS
    return (f"Using {DEFAULT_PATHS:,} paths per point (the scenario asks for "
            f"{scenario.paths:,}; pass --paths to change).")


def _reporter(args: argparse.Namespace) -> Callable[[int, int], None] | None:
    if args.quiet or not sys.stderr.isatty():
        return None

    def report(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        print(f"\rpoint {done}/{total}", end=end, file=sys.stderr, flush=True)

    return report


def _write_png(path: Path, draw: Callable[[Any], object], height: float | None = None) -> None:
    """One figure as a PNG, ``draw(fig)`` filling it; matplotlib is imported here, once the
    study is computed (a refused command line or a failed study never loads it)."""
    from matplotlib.figure import Figure

    from ..figures.style import FIGSIZE, PNG_DPI, house_style

    with house_style():
        fig = Figure(figsize=(FIGSIZE[0], height or FIGSIZE[1]), layout="constrained")
        draw(fig)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=PNG_DPI)


def _sweep_figure(fig: Any, frame: pd.DataFrame, meta: dict[str, Any]) -> None:
    from ..figures.sweep import sweep_chart

    sweep_chart(tuple(fig.subplots(2, 1, sharex=True)), frame, meta)


def _breakeven_figure(fig: Any, curve: dict[str, Any]) -> None:
    from ..figures.breakeven import breakeven_chart

    breakeven_chart(fig.add_subplot(), curve)


def run_sweep(args: argparse.Namespace, command: str) -> int:
    """``python -m ftsim sweep``: table on stdout; sweep.csv, sweep.json, sweep.png.

    Everything is checked before the first point runs (values, scenario at every value,
    memory, --out); the folder is written under a temporary name and renamed when complete.
    """
    if args.grid is not None:
        try:
            values = value_grid(args.grid, args.log)
        except ValueError as error:
            raise UsageError(f"--range: {error}") from None
    else:
        if args.log and any(not v > 0 for v in args.values):
            raise UsageError("--log needs values above 0")
        values = args.values
    scenario = load(args)  # validates the file and the other overrides first
    kwargs = simulation_kwargs(args)
    note = _paths_note(args, scenario, kwargs)
    seed = scenario.seed if args.seed is None else args.seed  # None: each point's own seed
    printed = set(scenario.warnings)

    def warn(issue: object) -> None:  # warnings that only some values of --param raise
        if issue not in printed:
            print(f"warning: {issue}", file=sys.stderr)

    # every point is loaded (and refused, exit 2) before the first one runs
    points = sweep_points(args, values, warn)
    check_memory(scenario, kwargs, write_paths=False)
    with staged_output(args, f"{args.scenario.stem}-sweep") as folder:
        started = time.perf_counter()
        # overrides: the same --set/--within/--horizon pairs `run` applies, before --param's
        frame = sweep(args.scenario, args.param, values, overrides=overrides(args),
                      on_point=_reporter(args), allow_files_outside=args.allow_files_outside,
                      preloaded=points, **kwargs)
        meta = {"command": command, "scenario": scenario.name, "file": str(args.scenario),
                "param": args.param, "values": values, "log": bool(args.log),
                "paths": kwargs["paths"] or scenario.paths, "seed": seed,
                "sampler": args.sampler or scenario.sampler, "currency": scenario.currency,
                "payback_within_months": scenario.payback_within_months,
                "required_probability": scenario.required_probability}
        run_dir = folder.path
        atomic_write_text(run_dir / "sweep.csv", frame.to_csv(index=False, float_format="%.6g"))
        records = json.loads(frame.to_json(orient="records"))
        atomic_write_text(run_dir / "sweep.json",
                          json.dumps({**meta, "rows": records}, indent=2, allow_nan=False) + "\n")
        _write_png(run_dir / "sweep.png", lambda fig: _sweep_figure(fig, frame, meta), 7.0)
        run_dir = folder.commit()
    if not args.quiet:
        if note:
            print(note)
        print(sweep_text(frame, args.param, meta))
        print(f"Wrote {run_dir} in {time.perf_counter() - started:.1f} s")
    return 0


def sweep_points(args: argparse.Namespace, values: Sequence[object],
                 warn: Callable[[object], None]) -> list[Scenario]:
    """The scenario at every value of --param (ScenarioError, exit 2, if any is refused)."""
    return load_points(args.scenario, args.param, values, overrides=overrides(args),
                       allow_files_outside=args.allow_files_outside, on_warning=warn)


def run_breakeven(args: argparse.Namespace, command: str) -> int:
    """``python -m ftsim breakeven``: table on stdout; breakeven.csv, .json, .png."""
    if args.min_tokens is not None and args.max_tokens is not None and \
            not args.min_tokens < args.max_tokens:
        raise UsageError(f"--min-tokens ({args.min_tokens:g}) must be below --max-tokens "
                         f"({args.max_tokens:g})")
    scenario = load(args)
    kwargs = simulation_kwargs(args)
    note = _paths_note(args, scenario, kwargs)
    check_memory(scenario, {**kwargs, "paths": kwargs["paths"] or min(scenario.paths,
                                                                      DEFAULT_PATHS)},
                 write_paths=False)
    with staged_output(args, f"{args.scenario.stem}-breakeven") as folder:
        started = time.perf_counter()
        curve = breakeven_curve(scenario, min_tokens=args.min_tokens, max_tokens=args.max_tokens,
                                points=args.points, on_point=_reporter(args), **kwargs)
        curve["command"] = command
        run_dir = folder.path
        atomic_write_text(run_dir / "breakeven.csv", _breakeven_csv(curve))
        atomic_write_text(run_dir / "breakeven.json",
                          json.dumps(curve, indent=2, allow_nan=False) + "\n")
        _write_png(run_dir / "breakeven.png", lambda fig: _breakeven_figure(fig, curve))
        run_dir = folder.commit()
    if not args.quiet:
        if note:
            print(note)
        print(breakeven_text(curve))
        print(f"Wrote {run_dir} in {time.perf_counter() - started:.1f} s")
    return 0


BREAKEVEN_COLUMNS = ["factor", "tokens_per_month_p50", "requests_per_month_p50", "option",
                     "p_payback_within", "p_payback_within_ci95_low",
                     "p_payback_within_ci95_high", "npv_p50"]


def _breakeven_csv(curve: dict[str, Any]) -> str:
    """breakeven.csv: one row per option and grid point (the csv module: no pandas)."""
    rows = []
    for option_id, option in curve["options"].items():
        for j, tokens in enumerate(curve["tokens_per_month"]):
            lo, hi = option["p_payback_within_ci95"][j]
            rows.append([curve["factors"][j], tokens, curve["requests_per_month"][j], option_id,
                         option["p_payback_within"][j], lo, hi, option["npv_p50"][j]])
    return csv_text(BREAKEVEN_COLUMNS, rows)
