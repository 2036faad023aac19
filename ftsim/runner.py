"""Fixed-size chunks of paths, run serially, with joblib or on a Dask cluster; same seed, same result."""

from __future__ import annotations

import math
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .dynamics import poisson_counts, price_index, traffic
from .engine import World, baseline_costs, index_or_one, simulate_option
from .output import pid_alive
from .result import OptionResult, Result, max_half_width
from .rng import stream
from .sampling import prepare_laws, random_inputs, sample_static
from .scenario import Scenario

__all__ = ["DEFAULT_CHUNK_SIZE", "ChunkResult", "run_chunk", "simulate", "memory_breakdown",
           "estimate_memory", "available_memory", "remove_stale_shared", "SchedulerUnreachable"]

# Paths per chunk. Part of the result's identity (with the seed): chunk i always draws
# from child seed i, so the answer never depends on --jobs or the backend. 8192 paths
# keep a chunk's (paths, 36) float64 arrays at 2.4 MB each (benchmarks/RESULTS.md).
DEFAULT_CHUNK_SIZE = 8192


@dataclass(frozen=True)
class ChunkResult:
    chunk_index: int
    n_paths: int
    inputs: dict[str, np.ndarray]  # random static inputs, (n,)
    tokens_per_month: np.ndarray  # baseline-arm tokens per month, path mean over months, (n,)
    requests_per_month: np.ndarray  # mean R_t over months, (n,)
    options: dict[str, OptionResult]


def run_chunk(
    scenario: Scenario, chunk_index: int, n_paths: int, *, seed: int, sampler: str,
    chunk_size: int,
) -> ChunkResult:
    """Simulate ``n_paths`` paths of chunk ``chunk_index``: sample, draw events, add up cash."""
    horizon = scenario.horizon_months
    shape = (horizon, n_paths)
    static = sample_static(scenario, n_paths, seed=seed, chunk_index=chunk_index,
                           chunk_size=chunk_size, sampler=sampler)
    requests = traffic(stream(seed, chunk_index, "world.traffic"),
                       static["traffic.requests_per_month"], static["traffic.monthly_growth"],
                       static["traffic.monthly_volatility"], horizon)
    indices = {
        name: price_index(stream(seed, chunk_index, f"world.prices.{name}"),
                          static[f"prices.{name}.annual_decline"],
                          static[f"prices.{name}.events_per_year"], spec.event_multiplier, horizon)
        for name, spec in scenario.price_indices.items()
    }
    q_b, cost_b = baseline_costs(static, requests,
                                 index_or_one(indices, scenario.baseline_price_index, shape))
    drift = poisson_counts(stream(seed, chunk_index, "world.drift"),
                           static["drift.events_per_year"], horizon)
    world = World(requests=requests, baseline_cost_per_request=q_b, baseline_cost=cost_b,
                  drift_counts=drift, indices=indices)
    options = {}
    for option_id, option in scenario.options.items():
        updates = poisson_counts(
            stream(seed, chunk_index, f"option.{option_id}.base_model_updates"),
            static[f"options.{option_id}.maintenance.base_model_updates_per_year"], horizon)
        paths = simulate_option(option, static, world, updates, horizon_months=horizon,
                                discount_rate_annual=scenario.discount_rate_annual)
        options[option_id] = OptionResult.from_paths(paths)
    tokens = (static["traffic.input_tokens"] + static["rag.context_tokens"]
              + static["baseline.prompt_overhead_tokens"] + static["traffic.output_tokens"])
    mean_requests = requests.mean(axis=0)
    random_keys = [i.key_path for group in random_inputs(scenario).values() for i in group]
    return ChunkResult(chunk_index=chunk_index, n_paths=n_paths,
                       inputs={k: static[k] for k in random_keys},
                       tokens_per_month=mean_requests * tokens, requests_per_month=mean_requests,
                       options=options)


class SchedulerUnreachable(ConnectionError):
    """The Dask scheduler could not be reached; raised before any chunk is submitted."""


@dataclass(frozen=True)
class ChunkOutcome:
    """What a task hands back per chunk: its monthly sums, and its rows unless already placed."""

    chunk_index: int
    n_paths: int
    sums: dict[str, dict[str, np.ndarray]]
    chunk: ChunkResult | None


def _run_batch(
    scenario: Scenario, chunks: Sequence[tuple[int, int]], seed: int, sampler: str,
    chunk_size: int, sink: Result | None = None, first_chunk: int = 0,
    parent_pid: int | None = None,
) -> list[ChunkOutcome]:
    """Run several chunks in one task (a worker unpickles the scenario once per batch).

    With a shared-memory ``sink`` the rows are written straight into it and only the small
    monthly sums travel back, instead of pickling every path through a pipe. In a worker
    process (``parent_pid`` given) each chunk first checks that the parent still lives:
    an orphaned worker stops instead of computing for nobody (see `_die_with_parent`).
    """
    outcomes = []
    for index, n in chunks:
        if parent_pid is not None and os.getppid() != parent_pid:
            os._exit(1)  # the parent died (reparented): nobody will read these rows
        chunk = run_chunk(scenario, index, n, seed=seed, sampler=sampler, chunk_size=chunk_size)
        sums = {oid: option.monthly_cost_sums for oid, option in chunk.options.items()}
        if sink is not None:
            sink.place((index - first_chunk) * chunk_size, chunk)
        outcomes.append(ChunkOutcome(index, n, sums, None if sink is not None else chunk))
    return outcomes


def _chunk_plan(first_chunk: int, paths: int, chunk_size: int) -> list[tuple[int, int]]:
    n_chunks = math.ceil(paths / chunk_size)
    return [(first_chunk + i, min(chunk_size, paths - i * chunk_size)) for i in range(n_chunks)]


def _batches(plan: list[tuple[int, int]], jobs: int) -> list[list[tuple[int, int]]]:
    # About four batches per worker: enough for load balance and progress updates, few
    # enough that shipping the scenario (~2 MB with its inverse-CDF tables) is amortised
    # (sixteen per worker measured 15% slower at 200k paths).
    # At most 8 chunks (~0.4 s) per batch, so progress moves at least that often.
    size = min(8, max(1, math.ceil(len(plan) / (4 * jobs)))) if jobs > 1 else 1
    return [plan[i:i + size] for i in range(0, len(plan), size)]


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent(parent_pid: int) -> None:
    """Worker initializer: the kernel kills this worker when its parent dies.

    loky workers do not watch their parent: after a SIGKILL of ftsim they kept computing
    (4 workers still alive 9 minutes later). PR_SET_PDEATHSIG (Linux) makes the kernel send
    SIGKILL at the parent's death; the check after it closes the race where the parent died
    before the call. Elsewhere `_run_batch` checks ``os.getppid()`` before each chunk.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the per-chunk check still applies
            pass
    if os.getppid() != parent_pid:
        os._exit(1)


_SHARED_PREFIX = "ftsim-"
_SHARED_NAME = re.compile(r"^ftsim-(\d+)-")


def _shared_parent() -> str | None:
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


def remove_stale_shared(folders: Sequence[str | None] | None = None) -> list[Path]:
    """Remove ``ftsim-<pid>-*`` shared-memory folders whose owner process is dead.

    A run killed by SIGKILL cannot clean up after itself (327 MB stayed in /dev/shm after
    one); the next start does it. Folders of live processes and of other names are kept.
    """
    removed = []
    for parent in folders if folders is not None else (_shared_parent(),
                                                       tempfile.gettempdir()):
        if parent is None:
            continue
        try:
            names = os.listdir(parent)
        except OSError:
            continue
        for name in names:
            match = _SHARED_NAME.match(name)
            path = Path(parent) / name
            if match and not pid_alive(int(match.group(1))) and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


class _SharedArrays:
    """Array factory backed by files in /dev/shm: loky workers write their rows in place.

    The folder is named ``ftsim-<pid>-...`` so that `remove_stale_shared` can tell, after a
    crash, whether its owner is still running.
    """

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix=f"{_SHARED_PREFIX}{os.getpid()}-",
                                       dir=_shared_parent())
        self.count = 0

    def __call__(self, name: str, shape: tuple[int, ...], dtype: object) -> np.ndarray:
        self.count += 1
        path = os.path.join(self.folder, f"{self.count}.bin")
        return np.memmap(path, dtype=dtype, mode="w+", shape=shape)

    def close(self) -> None:
        # Mappings stay valid after the files are unlinked (Result.detach keeps plain views).
        shutil.rmtree(self.folder, ignore_errors=True)


def _execute(
    scenario: Scenario, plan: list[tuple[int, int]], *, seed: int, sampler: str,
    chunk_size: int, jobs: int, backend: str, scheduler: object | None,
    sink: Result | None, first_chunk: int,
) -> Iterator[list[ChunkOutcome]]:
    """Yield batches of chunk outcomes in completion order (callers place them by index)."""
    batches = _batches(plan, jobs)
    if backend == "dask" or (jobs > 1 and len(batches) > 1):
        prepare_laws(scenario)  # build the tables once here, not once per batch
    if backend == "dask":
        from distributed import Client, as_completed  # optional extra: ftsim[dask]

        own_client = isinstance(scheduler, str)
        try:
            client = Client(scheduler) if own_client else scheduler
        except OSError as error:  # refused, unknown host, timed out: before any path ran
            raise SchedulerUnreachable(f"cannot connect to the Dask scheduler at {scheduler} "
                                       f"({type(error).__name__}: {error})") from error
        try:
            remote = client.scatter(scenario, broadcast=True)
            futures = [client.submit(_run_batch, remote, batch, seed, sampler, chunk_size,
                                     pure=False) for batch in batches]
            for future in as_completed(futures):
                yield future.result()
        finally:
            if own_client:
                client.close()
        return
    if jobs == 1 or len(batches) == 1:
        for batch in batches:
            yield _run_batch(scenario, batch, seed, sampler, chunk_size)
        return
    from joblib import Parallel, delayed

    parent = os.getpid()
    # No more workers than batches: each worker costs a process start and ~160 MB.
    parallel = Parallel(n_jobs=min(jobs, len(batches)), return_as="generator_unordered",
                        initializer=_die_with_parent, initargs=(parent,))
    yield from parallel(delayed(_run_batch)(scenario, batch, seed, sampler, chunk_size, sink,
                                            first_chunk, parent) for batch in batches)


def simulate(
    scenario: Scenario, paths: int | None = None, seed: int | None = None,
    jobs: int | None = None, sampler: str | None = None, *, backend: str = "loky",
    scheduler: object | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE,
    precision: float | None = None, max_paths: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Result:
    """Simulate the scenario and return per-path outcomes (``Result.summary()`` for MODEL.md 5).

    ``paths``, ``seed`` and ``sampler`` default to the scenario's ``[simulation]`` table;
    ``jobs`` to all cores. With ``precision``, chunks are added until every option's
    Wilson 95% half-width on P(payback within N) is at most ``precision`` (or
    ``max_paths`` is reached: ``Result.precision_reached`` is then False, with the largest
    half-width achieved in ``Result.precision_half_width``); ``paths`` is then the first
    batch. ``progress(done, total)`` is called as chunks finish.
    """
    paths = scenario.paths if paths is None else int(paths)
    seed = scenario.seed if seed is None else int(seed)
    sampler = scenario.sampler if sampler is None else sampler
    jobs = (os.cpu_count() or 1) if jobs in (None, 0, -1) else int(jobs)
    if paths < 1:
        raise ValueError("paths must be at least 1")
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    started = time.perf_counter()
    if precision is None:
        result = _collect(scenario, _chunk_plan(0, paths, chunk_size), seed=seed, sampler=sampler,
                          chunk_size=chunk_size, jobs=jobs, backend=backend, scheduler=scheduler,
                          progress=progress, done_before=0, total=paths)
    else:
        if not (math.isfinite(precision) and 0 < precision <= 0.5):
            raise ValueError(f"precision must be in (0, 0.5], got {precision!r}")
        result = _until_precise(scenario, paths, precision, max_paths or 10 * paths, seed=seed,
                                sampler=sampler, chunk_size=chunk_size, jobs=jobs,
                                backend=backend, scheduler=scheduler, progress=progress)
    return result.finished(seed=seed, sampler=sampler, chunk_size=chunk_size,
                           seconds=time.perf_counter() - started)


def _until_precise(
    scenario: Scenario, paths: int, precision: float, max_paths: int, *, seed: int,
    sampler: str, chunk_size: int, jobs: int, backend: str, scheduler: object | None,
    progress: Callable[[int, int], None] | None,
) -> Result:
    """Add batches of whole chunks until every Wilson half-width <= precision or max_paths.

    Batches continue the chunk numbering, so the result equals a single run of the same
    total number of paths. The result records the target, whether it was reached and the
    largest half-width achieved: a run stopped by ``max_paths`` must not pass for precise.
    """
    batch = math.ceil(paths / chunk_size) * chunk_size
    blocks: list[Result] = []
    hits = dict.fromkeys(scenario.options, 0)
    done = 0
    width = math.inf
    while done < max_paths:
        size = min(batch, max_paths - done)
        block = _collect(scenario, _chunk_plan(done // chunk_size, size, chunk_size),
                         seed=seed, sampler=sampler, chunk_size=chunk_size, jobs=jobs,
                         backend=backend, scheduler=scheduler, progress=progress,
                         done_before=done, total=max_paths)
        blocks.append(block)
        done += size
        for oid, count in block.hits_within().items():  # counts add up: no re-concatenation
            hits[oid] += count
        width = max_half_width(hits, done)
        if width <= precision:
            break
    return Result.concatenate(blocks).with_precision(precision, reached=width <= precision,
                                                     half_width=width)


def _collect(
    scenario: Scenario, plan: list[tuple[int, int]], *, seed: int, sampler: str,
    chunk_size: int, jobs: int, backend: str, scheduler: object | None,
    progress: Callable[[int, int], None] | None, done_before: int, total: int,
) -> Result:
    """Run a plan of chunks and place each chunk's rows at its offset (chunk order)."""
    first = plan[0][0]
    n_paths = sum(n for _, n in plan)
    shared = _SharedArrays() if backend == "loky" and jobs > 1 and len(plan) > 1 else None
    try:
        result = (Result.allocate(scenario, n_paths, shared) if shared is not None
                  else Result.allocate(scenario, n_paths))
        done = done_before
        sums_by_chunk: dict[int, dict[str, dict[str, np.ndarray]]] = {}
        for batch in _execute(scenario, plan, seed=seed, sampler=sampler,
                              chunk_size=chunk_size, jobs=jobs, backend=backend,
                              scheduler=scheduler, sink=result if shared else None,
                              first_chunk=first):
            for outcome in batch:
                if outcome.chunk is not None:
                    result.place((outcome.chunk_index - first) * chunk_size, outcome.chunk)
                sums_by_chunk[outcome.chunk_index] = outcome.sums
                done += outcome.n_paths
            if progress is not None:
                progress(done, total)
        result.set_monthly_sums([sums_by_chunk[i] for i in sorted(sums_by_chunk)])
        return result.detach()
    finally:
        if shared is not None:
            shared.close()


# --------------------------------------------------------------------------------------
# Memory needed by a run, checked before it starts
# --------------------------------------------------------------------------------------

# A chunk being simulated holds about seven float64 (H, n) arrays of the world and of the
# option recursion at its peak: tracemalloc measured 56 + 4 x options bytes per path-month
# and ~370 + 240 x options bytes per path (support_bot, seed_article, 1-4 options,
# H = 36 and 120). The constants round these up, so the estimate errs on the safe side.
_CHUNK_PER_PATH_MONTH, _CHUNK_PER_INDEX_MONTH, _CHUNK_PER_OPTION_MONTH = 64, 8, 8
_CHUNK_PER_PATH, _CHUNK_PER_OPTION, _CHUNK_PER_INPUT = 1024, 256, 16
# A loky worker with numpy, scipy and the numba kernels loaded: ~167 MB resident (measured).
WORKER_BASE_BYTES = 160 * 2**20
# summarize(): the sorted copy of every option's CS_t (4 H bytes a path), its NPV ranks
# (8), and per sorting thread (at most 8) an argsort, a sorted copy and ranks (~25).
_SUMMARY_THREADS, _SUMMARY_PER_THREAD = 8, 25
# paths.csv.gz: up to 2 batches of 65,536 rows per thread (at most 4) in flight, ~24 bytes a
# cell (the Arrow value, its text and gzip output: 277 MB measured for 600k support_bot
# paths on 2 threads, ~16 bytes a cell).
_WRITER_BATCHES, _WRITER_ROWS, _WRITER_PER_CELL = 8, 65_536, 24


def memory_breakdown(
    scenario: Scenario, paths: int, jobs: int, chunk_size: int, *, precision: bool = False,
    write_paths: bool = True,
) -> dict[str, int]:
    """Bytes a run of ``paths`` paths needs, by phase (pure: no system queries).

    ``result`` is held for the whole run: per path, the random inputs (float64), tokens and
    requests per month (2 x float64) and per option the outcome arrays (payback int16, four
    money float64, abandoned and dips bool, retrains int32: 40 bytes) plus CS_t as float32
    (4 H bytes). The other phases come on top of it, one at a time: ``simulation`` (each of
    ``min(jobs, chunks)`` workers' chunk working memory, plus the worker process itself when
    there is more than one), ``summary``, ``concatenation`` (precision runs join their
    batches: one more copy of the result) and ``paths_writer`` (batches in flight).
    """
    if paths < 1 or jobs < 1 or chunk_size < 1:
        raise ValueError("paths, jobs and chunk_size must be at least 1")
    horizon, n_options = scenario.horizon_months, len(scenario.options)
    n_inputs = sum(len(group) for group in random_inputs(scenario).values())
    per_path = 8 * n_inputs + 16 + n_options * (40 + 4 * horizon)
    chunk = min(chunk_size, paths)
    per_chunk = chunk * (
        horizon * (_CHUNK_PER_PATH_MONTH + _CHUNK_PER_INDEX_MONTH * len(scenario.price_indices)
                   + _CHUNK_PER_OPTION_MONTH * n_options)
        + _CHUNK_PER_PATH + _CHUNK_PER_OPTION * n_options + _CHUNK_PER_INPUT * n_inputs)
    workers = min(jobs, math.ceil(paths / chunk_size))
    simulation = per_chunk if workers == 1 else workers * (per_chunk + WORKER_BASE_BYTES)
    columns = 9 + n_inputs  # option, path, inputs, 7 outcomes
    writer_batches = min(_WRITER_BATCHES, n_options * math.ceil(paths / _WRITER_ROWS))
    return {
        "result": paths * per_path,
        "simulation": simulation,
        "summary": paths * (n_options * (4 * horizon + 8) + _SUMMARY_THREADS * _SUMMARY_PER_THREAD),
        "concatenation": paths * per_path if precision else 0,
        "paths_writer": (writer_batches * min(paths, _WRITER_ROWS) * columns * _WRITER_PER_CELL
                         if write_paths else 0),
    }


def estimate_memory(
    scenario: Scenario, paths: int, jobs: int, chunk_size: int, *, precision: bool = False,
    write_paths: bool = True,
) -> int:
    """Peak bytes of a run: the result plus the largest of the phases that come on top of it
    (see `memory_breakdown`)."""
    parts = memory_breakdown(scenario, paths, jobs, chunk_size, precision=precision,
                             write_paths=write_paths)
    return parts["result"] + max(v for k, v in parts.items() if k != "result")


def available_memory() -> int | None:
    """Bytes the machine can give a new run: MemAvailable, else free pages; None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None
