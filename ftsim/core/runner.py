"""Fixed-size chunks of paths, run serially, with joblib or on a Dask cluster; same seed, same result."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator

import numpy as np

from ..scenario import Scenario
from .chunk import DEFAULT_CHUNK_SIZE, ChunkOutcome, batches, chunk_plan, run_batch
from .metrics import max_half_width
from .result import Result
from .sampling import prepare_laws
from .shared import SharedArrays, die_with_parent

__all__ = ["DEFAULT_CHUNK_SIZE", "simulate", "SchedulerUnreachable"]


class SchedulerUnreachable(ConnectionError):
    """The Dask scheduler could not be reached; raised before any chunk is submitted."""



def _execute(
    scenario: Scenario, plan: list[tuple[int, int]], *, seed: int, sampler: str,
    chunk_size: int, jobs: int, backend: str, scheduler: object | None,
    sink: Result | None, first_chunk: int,
) -> Iterator[list[ChunkOutcome]]:
    """Yield batches of chunk outcomes in completion order (callers place them by index)."""
    planned = batches(plan, jobs)
    if backend == "dask" or (jobs > 1 and len(planned) > 1):
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
            futures = [client.submit(run_batch, remote, batch, seed, sampler, chunk_size,
                                     pure=False) for batch in planned]
            for future in as_completed(futures):
                yield future.result()
        finally:
            if own_client:
                client.close()
        return
    if jobs == 1 or len(planned) == 1:
        for batch in planned:
            yield run_batch(scenario, batch, seed, sampler, chunk_size)
        return
    from joblib import Parallel, delayed

    parent = os.getpid()
    # No more workers than batches: each worker costs a process start and ~160 MB.
    parallel = Parallel(n_jobs=min(jobs, len(planned)), return_as="generator_unordered",
                        initializer=die_with_parent, initargs=(parent,))
    yield from parallel(delayed(run_batch)(scenario, batch, seed, sampler, chunk_size, sink,
                                            first_chunk, parent) for batch in planned)


def simulate(
    scenario: Scenario, paths: int | None = None, seed: int | None = None,
    jobs: int | None = None, sampler: str | None = None, *, backend: str = "loky",
    scheduler: object | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE,
    precision: float | None = None, max_paths: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Result:
    """Simulate the scenario and return per-path outcomes (``ftsim.summarize(result)`` for MODEL.md 5).

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
        result = _collect(scenario, chunk_plan(0, paths, chunk_size), seed=seed, sampler=sampler,
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
        block = _collect(scenario, chunk_plan(done // chunk_size, size, chunk_size),
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
    shared = SharedArrays() if backend == "loky" and jobs > 1 and len(plan) > 1 else None
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
