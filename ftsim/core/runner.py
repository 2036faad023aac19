"""Fixed-size chunks of paths, run in this thread, on threads, in worker processes or on a
Dask cluster (`plan.choose_plan`); same seed, same result, whatever the plan."""

from __future__ import annotations

import itertools
import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import replace
from threading import Event
from typing import Any

import numpy as np

from ..scenario import Scenario
from . import timing
from .chunk import DEFAULT_CHUNK_SIZE, BatchJob, ChunkOutcome, batches, chunk_plan, run_batch
from .memory import fit_memory
from .metrics import max_half_width
from .plan import Plan, choose_plan, resolved_jobs, thread_pool
from .quantiles import PILOT_PATHS, Brackets, CumulativeStream, Tally
from .result import CUMULATIVE_PERCENTILES, Result, inputs_dtype
from .sampling import prepare_laws
from .shared import SharedArrays, die_with_parent
from .timing import phase

__all__ = ["DEFAULT_CHUNK_SIZE", "simulate", "SchedulerUnreachable"]

Progress = Callable[[int, int], None]


class SchedulerUnreachable(ConnectionError):
    """The Dask scheduler could not be reached; raised before any chunk is submitted."""


def simulate(
    scenario: Scenario, paths: int | None = None, seed: int | None = None,
    jobs: int | None = None, sampler: str | None = None, *, backend: str = "auto",
    scheduler: object | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE,
    precision: float | None = None, max_paths: int | None = None,
    progress: Progress | None = None, keep_cumulative: bool | None = None,
    max_memory: int | None = None,
) -> Result:
    """Simulate the scenario and return per-path outcomes (``ftsim.summarize(result)`` for
    the statistics of docs/model.md sections 11-12).

    ``paths``, ``seed`` and ``sampler`` default to the scenario's ``[simulation]`` table;
    ``jobs`` to all cores. ``backend``: "auto" (this thread, or threads), "threads",
    "processes" (alias "loky"), "dask" (with ``scheduler``). With ``precision``, chunks
    are added until every option's Wilson 95% half-width on P(payback within N) is at most
    ``precision`` (or ``max_paths`` is reached: ``Result.precision_reached`` is then
    False, with the largest half-width achieved in ``Result.precision_half_width``);
    ``paths`` is then the first batch. ``progress(done, total)`` is called as chunks
    finish. ``keep_cumulative`` False streams CS rows into their exact percentiles
    (``OptionResult.cumulative_percentiles``) instead of keeping them; None decides by size.
    ``max_memory`` (bytes) plans fewer concurrent chunks and streaming to fit it where
    possible (`memory.fit_memory`; the CLI refuses a run that cannot fit). No plan changes
    a number of the result.
    """
    paths = scenario.paths if paths is None else int(paths)
    seed = scenario.seed if seed is None else int(seed)
    sampler = scenario.sampler if sampler is None else sampler
    if paths < 1:
        raise ValueError("paths must be at least 1")
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    if precision is not None and not (math.isfinite(precision) and 0 < precision <= 0.5):
        raise ValueError(f"precision must be in (0, 0.5], got {precision!r}")
    capacity = paths if precision is None else (max_paths or 10 * paths)
    if max_memory is not None and backend != "dask":
        jobs, keep_cumulative = _fit(scenario, capacity, jobs, chunk_size, max_memory,
                                     backend, keep_cumulative)
    plan = choose_plan(scenario, capacity, jobs=jobs, backend=backend, chunk_size=chunk_size,
                       keep_cumulative=keep_cumulative)
    started = time.perf_counter()
    with phase("simulation"):
        run = _Run(scenario, plan, capacity, BatchJob(seed, sampler, chunk_size),
                   scheduler=scheduler, progress=progress)
        try:
            if precision is None:
                run.collect(chunk_plan(0, paths, chunk_size), total=paths)
                result = run.finish(paths)
            else:
                result = _until_precise(run, paths, precision, capacity)
        finally:
            run.close()
    return result.finished(seed=seed, sampler=sampler, chunk_size=chunk_size,
                           seconds=time.perf_counter() - started)


def _fit(scenario: Scenario, paths: int, jobs: int | None, chunk_size: int, max_memory: int,
         backend: str, keep_cumulative: bool | None) -> tuple[int, bool | None]:
    """Workers and CS storage within ``max_memory`` (the leanest plan if none fits)."""
    fitted = fit_memory(scenario, paths, resolved_jobs(jobs), chunk_size, max_memory,
                        write_paths=False, processes=backend in ("processes", "loky"),
                        keep_cumulative=keep_cumulative)
    if fitted is None:
        return 1, False
    return fitted.workers, fitted.keep_cumulative


def _until_precise(run: _Run, paths: int, precision: float, max_paths: int) -> Result:
    """Add batches of whole chunks until every Wilson half-width <= precision or max_paths.

    Batches continue the chunk numbering into the same arrays, so the result is that of a
    single run of the same total number of paths. It records the target, whether it was
    reached and the largest half-width achieved: a run stopped by ``max_paths`` must not
    pass for precise.
    """
    chunk_size = run.job.chunk_size
    batch = math.ceil(paths / chunk_size) * chunk_size
    within = run.result.scenario.payback_within_months
    hits = dict.fromkeys(run.result.options, 0)
    done, width = 0, math.inf
    while done < max_paths:
        size = min(batch, max_paths - done)
        run.collect(chunk_plan(done // chunk_size, size, chunk_size), total=max_paths)
        for oid, option in run.result.options.items():
            month = option.payback_month[done:done + size]
            hits[oid] += int(np.count_nonzero((month > 0) & (month <= within)))
        done += size
        width = max_half_width(hits, done)
        if width <= precision:
            break
    return run.finish(done).with_precision(precision, reached=width <= precision,
                                           half_width=width)


class _Run:
    """One run's arrays and bookkeeping: rows placed by offset, monthly sums by chunk, and
    (when CS rows are streamed) the pilot that sets the brackets and the tallies."""

    def __init__(self, scenario: Scenario, plan: Plan, capacity: int, job: BatchJob, *,
                 scheduler: object | None, progress: Progress | None) -> None:
        self.scenario, self.plan, self.job = scenario, plan, job
        self.scheduler, self.progress = scheduler, progress
        self.shared = SharedArrays() if plan.kind == "processes" else None
        make = {"make": self.shared} if self.shared is not None else {}
        self.result = Result.allocate(scenario, capacity, keep_cumulative=plan.keep_cumulative,
                                      dtype=inputs_dtype(capacity), **make)
        self.sums: dict[int, dict[str, dict[str, np.ndarray]]] = {}
        self.streams: dict[str, CumulativeStream] | None = None
        self.done = 0
        if plan.kind != "serial":
            prepare_laws(scenario)  # build lazy tables once, not in every worker or thread

    def collect(self, chunks: list[tuple[int, int]], *, total: int) -> None:
        """Simulate ``chunks`` into the result (a pilot first when CS rows are streamed)."""
        if not self.plan.keep_cumulative and self.streams is None:
            n_pilot = min(len(chunks), math.ceil(PILOT_PATHS / self.job.chunk_size))
            pilot: dict[str, list[np.ndarray]] = {oid: [] for oid in self.result.options}
            outcomes = self._run(chunks[:n_pilot], total,
                                 replace(self.job, return_cumulative=True))
            for outcome in sorted(outcomes, key=lambda o: o.chunk_index):
                for oid, rows in (outcome.cumulative or {}).items():
                    pilot[oid].append(rows)
            # one option per chunk thread (idle until the brackets exist): the pilot's sort
            # and tallies of 2 options took ~0.3 s of a 1M-path run on the main thread alone
            if self.plan.kind == "threads" and len(pilot) > 1:
                pool = thread_pool(self.plan.workers)
                futures = {oid: pool.submit(_pilot_stream, blocks) for oid, blocks in pilot.items()}
                self.streams = {oid: future.result() for oid, future in futures.items()}
            else:
                self.streams = {oid: _pilot_stream(blocks) for oid, blocks in pilot.items()}
            chunks = chunks[n_pilot:]
        if chunks:
            self._run(chunks, total, self._job_with_brackets())

    def _job_with_brackets(self, only: dict[str, list[tuple[int, int]]] | None = None) -> BatchJob:
        if self.streams is None:
            return self.job
        brackets = {oid: s.brackets if only is None else s.brackets.only(only.get(oid, []))
                    for oid, s in self.streams.items()}
        return replace(self.job, brackets=brackets)

    def _run(self, chunks: list[tuple[int, int]], total: int, job: BatchJob,
             record: bool = True) -> list[ChunkOutcome]:
        """Execute ``chunks`` with the plan; place, add up and report what comes back."""
        kept = []
        for batch in _execute(self.scenario, chunks, job, self.plan, self.result,
                              self.shared is not None, self.scheduler):
            for outcome in batch:
                if outcome.chunk is not None:
                    self.result.place(outcome.chunk_index * job.chunk_size, outcome.chunk)
                for name, start, end in outcome.timings:
                    timing.record(name, start, end)
                if not record:
                    kept.append(outcome)
                    continue
                self.sums[outcome.chunk_index] = outcome.sums
                if outcome.tallies is not None and self.streams is not None:
                    for oid, tally in outcome.tallies.items():
                        self.streams[oid].add(tally)
                self.done += outcome.n_paths
                kept.append(outcome)
            if record and self.progress is not None:
                self.progress(self.done, total)
        return kept

    def finish(self, n: int) -> Result:
        """The first ``n`` paths, monthly sums added in chunk order, CS percentiles read."""
        result = self.result.head(n)
        result.set_monthly_sums([self.sums[i] for i in sorted(self.sums)])
        if self.streams is not None:
            with phase("CS percentiles"):
                self._read_percentiles(result, n, self.streams)
        return result.detach()

    def _read_percentiles(self, result: Result, n: int,
                          streams: dict[str, CumulativeStream]) -> None:
        values = {oid: s.percentiles(n) for oid, s in streams.items()}
        missed = {oid: cells for oid, (_, cells) in values.items() if cells}
        if missed:  # a bracket missed its ranks: simulate again, keeping those months whole
            job = self._job_with_brackets(missed)
            again = {oid: CumulativeStream(job.brackets[oid], CUMULATIVE_PERCENTILES)
                     for oid in streams} if job.brackets else {}
            for outcome in self._run(chunk_plan(0, n, self.job.chunk_size), n, job,
                                     record=False):
                for oid, tally in (outcome.tallies or {}).items():
                    again[oid].add(tally)
            for oid, cells in missed.items():
                redone, _ = again[oid].percentiles(n)
                for month, column in cells:
                    values[oid][0][column, month] = redone[column, month]
        for oid, (percentiles, _) in values.items():
            result.options[oid].streamed_percentiles = percentiles

    def close(self) -> None:
        if self.shared is not None:
            self.shared.close()


def _pilot_stream(blocks: list[np.ndarray]) -> CumulativeStream:
    """One option's CS stream: brackets from its pilot rows, and those rows tallied."""
    stream = CumulativeStream(Brackets.from_pilot(np.concatenate(blocks, axis=1),
                                                  CUMULATIVE_PERCENTILES), CUMULATIVE_PERCENTILES)
    for rows in blocks:
        stream.add(Tally.of(rows, stream.brackets))
    return stream


def _execute(
    scenario: Scenario, chunks: list[tuple[int, int]], job: BatchJob, plan: Plan,
    sink: Result, shared_sink: bool, scheduler: object | None,
) -> Iterator[list[ChunkOutcome]]:
    """Yield batches of chunk outcomes in completion order (callers place them by index)."""
    if plan.kind == "serial":
        for chunk in chunks:
            yield run_batch(scenario, [chunk], job, sink=sink)
    elif plan.kind == "threads":
        yield from _on_threads(scenario, chunks, job, plan.workers, sink)
    elif plan.kind == "processes":
        yield from _on_processes(scenario, chunks, job, plan.workers,
                                 sink if shared_sink else None)
    else:
        yield from _on_dask(scenario, chunks, job, plan.workers, scheduler)


def _on_threads(scenario: Scenario, chunks: Sequence[tuple[int, int]], job: BatchJob,
                workers: int, sink: Result) -> Iterator[list[ChunkOutcome]]:
    """Chunks on the shared thread pool, at most ``workers`` at a time (the pool may be
    larger, from an earlier run), rows written straight into ``sink``; on an error or an
    interrupt no further chunk starts."""
    pool = thread_pool(workers)
    cancel = Event()
    waiting = iter(chunks)
    pending = {pool.submit(run_batch, scenario, [chunk], job, sink, cancel)
               for chunk in itertools.islice(waiting, workers)}
    try:
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                outcome = future.result()
                for chunk in itertools.islice(waiting, 1):
                    pending.add(pool.submit(run_batch, scenario, [chunk], job, sink, cancel))
                yield outcome
    finally:
        cancel.set()
        for future in pending:
            future.cancel()


def _on_processes(scenario: Scenario, chunks: list[tuple[int, int]], job: BatchJob,
                  workers: int, sink: Result | None) -> Iterator[list[ChunkOutcome]]:
    from joblib import Parallel, delayed

    planned = batches(chunks, workers)
    parent = os.getpid()
    job = replace(job, parent_pid=parent, timed=timing.recording())
    # No more workers than batches: each worker costs a process start and ~160 MB.
    parallel = Parallel(n_jobs=min(workers, len(planned)), return_as="generator_unordered",
                        initializer=die_with_parent, initargs=(parent,))
    yield from parallel(delayed(run_batch)(scenario, batch, job, sink) for batch in planned)


def _on_dask(scenario: Scenario, chunks: list[tuple[int, int]], job: BatchJob, workers: int,
             scheduler: object | None) -> Iterator[list[ChunkOutcome]]:
    from distributed import Client, as_completed  # optional extra: ftsim[dask]

    own_client = isinstance(scheduler, str)
    client: Any
    try:
        client = Client(scheduler) if own_client else scheduler
    except OSError as error:  # refused, unknown host, timed out: before any path ran
        raise SchedulerUnreachable(f"cannot connect to the Dask scheduler at {scheduler} "
                                   f"({type(error).__name__}: {error})") from error
    try:
        remote = client.scatter(scenario, broadcast=True)
        futures = [client.submit(run_batch, remote, batch, job, pure=False)
                   for batch in batches(chunks, workers)]
        for future in as_completed(futures):
            yield future.result()
    finally:
        if own_client:
            client.close()
