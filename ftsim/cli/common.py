"""What every command shares: usage errors, argument types and the common options, loading
the scenario with overrides, simulate()'s keyword arguments, memory and --out checks, and
the progress bar."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

from ..core.memory import available_memory, estimate_memory, fit_memory
from ..core.plan import BACKENDS, resolved_jobs, warm_up
from ..core.runner import DEFAULT_CHUNK_SIZE
from ..core.shared import remove_stale_shared
from ..output import RunFolder, remove_stale_partials
from ..scenario import Scenario, load_scenario, parse_override

__all__ = [
    "UsageError",
    "Parser",
    "MAX_MONTHS",
    "MAX_PATHS",
    "MAX_SEED",
    "MAX_JOBS",
    "shown",
    "whole",
    "half_width",
    "memory_size",
    "add_common",
    "overrides",
    "load",
    "simulation_kwargs",
    "check_memory",
    "available_memory_or_none",
    "start_workers",
    "ProgressBar",
    "progress_bar",
    "progress",
    "remove_leftovers",
    "prepare_output",
    "staged_output",
]


class UsageError(Exception):
    """A bad command-line value: reported like a scenario error, exit code 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2, no usage dump
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


def shown(text: str, limit: int = 40) -> str:
    """A value for an error line: repr (control characters escaped), long values shortened."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def whole(lo: int, hi: int) -> Callable[[str], int]:
    """argparse type: a whole number in [lo, hi] (huge values refused, never overflowing)."""
    def parse(text: str) -> int:
        cleaned = text.strip().replace("_", "")
        # int() of a 5,000-digit string raises ValueError: refuse long ones by their length
        if not re.fullmatch(r"[+-]?[0-9]{1,40}", cleaned):
            raise argparse.ArgumentTypeError(
                f"expected a whole number from {lo:,} to {hi:,}, got {shown(text)}")
        value = int(cleaned)
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(
                f"must be from {lo:,} to {hi:,}, got {shown(cleaned)}")
        return value

    return parse


def _jobs(text: str) -> int:
    if text.strip() in ("0", "-1"):
        return -1
    try:
        return whole(1, MAX_JOBS)(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected 1 to {MAX_JOBS:,} workers, or 0 or -1 for "
                                         f"all cores, got {shown(text)}") from None


def half_width(text: str) -> float:
    """argparse type of --precision: a Wilson half-width in (0, 0.5]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {shown(text)}") from None
    # a Wilson half-width is at most 0.5: a larger target is met by any run
    if not (math.isfinite(value) and 0 < value <= 0.5):
        raise argparse.ArgumentTypeError(
            f"must be a half-width above 0 and at most 0.5, got {shown(text)}")
    return value


_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
_MEMORY = re.compile(r"^([0-9]{1,15}(?:\.[0-9]{1,6})?)\s*([kmgt]?)(?:i?b)?$", re.IGNORECASE)
MIN_MEMORY = 64 * 2**20


def memory_size(text: str) -> int:
    """argparse type of --max-memory: bytes, or a number with K, M, G or T (binary units:
    4G = 4 GiB; KB, KiB and the like read the same)."""
    match = _MEMORY.match(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"expected a size like 4G, 1500M or 2.5GiB, got "
                                         f"{shown(text)}")
    value = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    if value < MIN_MEMORY:
        raise argparse.ArgumentTypeError(f"must be at least 64M, got {shown(text)}")
    return value


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", type=Path, help="scenario TOML file")
    parser.add_argument("--paths", type=whole(1, MAX_PATHS), help="number of simulated paths")
    parser.add_argument("--seed", type=whole(0, MAX_SEED),
                        help="random seed, 0 to 2**63-1 (same seed, same result)")
    parser.add_argument("--jobs", type=_jobs, default=None,
                        help="parallel worker processes (default, 0 or -1: all cores)")
    parser.add_argument("--sampler", choices=("random", "lhs", "sobol"))
    parser.add_argument("--within", type=whole(1, MAX_MONTHS), metavar="N",
                        help="payback horizon of the headline question, months")
    parser.add_argument("--horizon", type=whole(1, MAX_MONTHS), metavar="H",
                        help="months simulated (at most 600)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        dest="overrides", help="override any scenario key (TOML value)")
    parser.add_argument("--out", type=Path, default=Path("results"), metavar="DIR",
                        help="parent folder of the run folder (default: results)")
    parser.add_argument("--quiet", action="store_true", help="no progress or table")
    parser.add_argument("--backend", choices=BACKENDS, default="auto",
                        help="auto (default: threads of this process, or none for a small "
                             "run), threads, processes (loky: its old name), dask")
    parser.add_argument("--max-memory", type=memory_size, default=None, metavar="SIZE",
                        help="plan the run to fit this much memory (4G, 1500M; default: "
                             "the memory available); refused if it cannot")
    parser.add_argument("--scheduler", default=None,
                        help="Dask scheduler address, tcp://HOST:PORT (default: "
                             "$FTSIM_DASK_SCHEDULER)")
    parser.add_argument("--chunk-size", type=whole(1, MAX_PATHS), default=None,
                        help="paths per chunk (part of the result's identity with the seed)")
    parser.add_argument("--allow-files-outside", action="store_true",
                        help="let empirical `file` inputs point outside the scenario's folder")



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
                         f"got {shown(address)}")


def simulation_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of ftsim.simulate shared by every subcommand (checked, not run)."""
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
            "chunk_size": args.chunk_size or DEFAULT_CHUNK_SIZE,
            "max_memory": getattr(args, "max_memory", None)}


def _size(n: float) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n / 2**10:,.0f} KiB"


def check_memory(scenario: Scenario, kwargs: dict[str, Any], *, write_paths: bool,
                 release_summary: bool = False, available: int | None = None) -> None:
    """Plan the run within its memory budget, or refuse it (exit 2) before anything runs.

    The budget is --max-memory (``kwargs["max_memory"]``), capped by the memory available.
    The plan may run fewer chunks at once and stream CS rows instead of keeping them
    (neither changes a number); it is written into ``kwargs`` (``jobs``,
    ``keep_cumulative``). When no plan fits, the message names what to change:
    ``--no-paths`` when the paths writer is what does not fit, ``--chunk-size`` when the
    chunks are, else a smaller ``--paths`` (``--max-paths`` with ``--precision``) with the
    largest count that fits. ``release_summary``: the command's summary frees the
    per-path arrays as it reads them (`summarize(..., release=True)`).
    """
    available = available_memory_or_none() if available is None else available
    limit = kwargs.get("max_memory")
    bounds = [x for x in (limit, available) if x is not None]
    if not bounds:
        return
    budget = min(bounds)
    from_limit = limit is not None and budget == limit
    precision = kwargs.get("precision") is not None
    paths = kwargs["max_paths"] if precision else (kwargs["paths"] or scenario.paths)
    backend = kwargs.get("backend", "auto")
    jobs = 1 if backend == "dask" else resolved_jobs(kwargs["jobs"])
    chunk = kwargs["chunk_size"]

    def fit(n: int, chunk: int = chunk, write: bool = write_paths, jobs: int = jobs) -> Any:
        return fit_memory(scenario, n, jobs, chunk, budget, write_paths=write,
                          processes=backend in ("processes", "loky"),
                          # a --no-paths run of the run command releases (the probe too)
                          release_summary=not write and (release_summary or write_paths))

    plan = fit(paths)
    if plan is not None:
        if backend != "dask":
            kwargs["jobs"] = plan.workers
        kwargs["keep_cumulative"] = plan.keep_cumulative
        return
    need = estimate_memory(scenario, paths, 1, chunk, write_paths=write_paths,
                           keep_cumulative=False,
                           release_summary=release_summary and not write_paths)
    head = (f"needs about {_size(need)} of memory, more than the {_size(budget)} "
            + ("allowed by --max-memory" if from_limit else "available"))
    option = "--max-paths" if precision else "--paths"
    if write_paths and fit(paths, write=False) is not None:
        raise UsageError(f"--no-paths: writing the paths file {head}; pass --no-paths")
    if fit(paths, chunk=min(chunk, 1024), jobs=1) is not None:
        raise UsageError(f"--chunk-size: {chunk:,} paths per chunk {head}; use a smaller "
                         "--chunk-size")
    lo, hi = 0, paths  # the largest path count that fits (memory grows with paths)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fit(mid) is not None:
            lo = mid
        else:
            hi = mid - 1
    if lo == 0:
        one = estimate_memory(scenario, 1, 1, chunk, write_paths=False, keep_cumulative=False)
        raise UsageError(f"{'--max-memory' if from_limit else option}: even one path needs "
                         f"about {_size(one)} (the process itself), more than the "
                         f"{_size(budget)} " + ("allowed" if from_limit else "available"))
    raise UsageError(f"{option}: a run of {paths:,} paths {head}; use a smaller {option} "
                     f"(at most about {lo:,} fit)")


def available_memory_or_none() -> int | None:
    """Memory available to a run in bytes, or None where it cannot be read (no check)."""
    return available_memory()


def start_workers(args: argparse.Namespace) -> None:
    """Start this process's chunk threads and load the option kernel in the background
    (`core.plan.warm_up`), so that it overlaps what the command does before simulating."""
    if getattr(args, "backend", "auto") in ("auto", "threads"):
        warm_up(args.jobs)


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


@contextlib.contextmanager
def progress(args: argparse.Namespace, quiet: bool) -> Iterator[ProgressBar | None]:
    """`progress_bar` for the length of a block, closed however the block ends."""
    bar = progress_bar(args, quiet)
    try:
        yield bar
    finally:
        if bar is not None:
            bar.close()


def remove_leftovers(out: Path) -> None:
    """Remove what killed runs left: shared-memory folders and temporary run folders whose
    owner process is dead. Done first, so that their memory counts as available."""
    remove_stale_shared()
    remove_stale_partials(out)


def prepare_output(args: argparse.Namespace, stem: str) -> RunFolder:
    """Claim a temporary run folder under --out (renamed into place when the run is done).

    Creating it is the check that --out is a writable folder, done before anything is
    simulated (before, a file or an unwritable --out failed with exit 1 after the run).
    """
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out: {shown(str(out), 120)} is a file, not a folder")
    try:
        return RunFolder(out, stem)
    except OSError as error:
        raise UsageError(f"--out: cannot write a run folder in {shown(str(out), 120)} "
                         f"({error.strerror or type(error).__name__})") from None


@contextlib.contextmanager
def staged_output(args: argparse.Namespace, stem: str) -> Iterator[RunFolder]:
    """`prepare_output` as a block: the temporary folder is discarded if the block fails or
    is interrupted (the block calls ``folder.commit()`` when everything is written)."""
    folder = None
    try:  # claimed inside the try: an interrupt right after the claim still cleans up
        folder = prepare_output(args, stem)
        yield folder
    except BaseException:
        if folder is not None:
            folder.discard()
        raise
