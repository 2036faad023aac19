"""One chunk of paths (sample, draw events, add up cash flows) and a batch of chunks as one task."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from threading import Event

import numpy as np

from ..rng import stream
from ..scenario import Scenario
from . import timing
from .dynamics import poisson_counts, price_index, traffic
from .engine import World, baseline_costs, index_or_one, simulate_option
from .inputs import Inputs, build_inputs
from .numba_cache import registries_deferred
from .quantiles import Brackets, Tally
from .result import OptionResult, Result
from .sampling import random_inputs, sample_static
from .timing import phase

__all__ = ["DEFAULT_CHUNK_SIZE", "ChunkResult", "ChunkDraws", "BatchJob", "ChunkOutcome",
           "draw_chunk", "run_chunk", "run_batch", "chunk_plan", "batches"]

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


@dataclass(frozen=True)
class ChunkDraws:
    """Everything random about one chunk's paths, before any cash flow: the static draws
    (by key path), the named inputs, the world's months and each option's base-model
    updates per month (H, paths). Studies that run the engine differently on the same
    paths (``ftsim.core.studies.wait``) start from here."""

    static: dict[str, np.ndarray]
    inputs: Inputs
    world: World
    base_model_updates: dict[str, np.ndarray]


def draw_chunk(
    scenario: Scenario, chunk_index: int, n_paths: int, *, seed: int, sampler: str,
    chunk_size: int,
) -> ChunkDraws:
    """Sample chunk ``chunk_index``'s static inputs and draw its months' events."""
    horizon = scenario.horizon_months
    with phase("chunk: sampling"):
        static = sample_static(scenario, n_paths, seed=seed, chunk_index=chunk_index,
                               chunk_size=chunk_size, sampler=sampler)
        inputs = build_inputs(static, scenario.options.values(), scenario.price_indices)
    with phase("chunk: dynamics"):
        world = _world(scenario, inputs, chunk_index, seed, horizon)
        updates = {
            option_id: poisson_counts(
                stream(seed, chunk_index, f"option.{option_id}.base_model_updates"),
                inputs.options[option_id].maintenance.base_model_updates_per_year, horizon)
            for option_id in scenario.options}
    return ChunkDraws(static, inputs, world, updates)


def run_chunk(
    scenario: Scenario, chunk_index: int, n_paths: int, *, seed: int, sampler: str,
    chunk_size: int,
) -> ChunkResult:
    """Simulate ``n_paths`` paths of chunk ``chunk_index``: sample, draw events, add up cash."""
    horizon = scenario.horizon_months
    draws = draw_chunk(scenario, chunk_index, n_paths, seed=seed, sampler=sampler,
                       chunk_size=chunk_size)
    static, inputs, world, updates = (draws.static, draws.inputs, draws.world,
                                      draws.base_model_updates)
    options = {}
    with phase("chunk: option recursion"):
        for option_id, option in scenario.options.items():
            paths = simulate_option(option, inputs, world, updates[option_id],
                                    horizon_months=horizon,
                                    discount_rate_annual=scenario.discount_rate_annual)
            options[option_id] = OptionResult.from_paths(paths)
    t = inputs.traffic
    tokens = (t.input_tokens + inputs.rag.context_tokens
              + inputs.baseline.prompt_overhead_tokens + t.output_tokens)
    mean_requests = world.requests.mean(axis=0)
    random_keys = [i.key_path for group in random_inputs(scenario).values() for i in group]
    return ChunkResult(chunk_index=chunk_index, n_paths=n_paths,
                       inputs={k: static[k] for k in random_keys},
                       tokens_per_month=mean_requests * tokens, requests_per_month=mean_requests,
                       options=options)


def _world(scenario: Scenario, inputs: Inputs, chunk_index: int, seed: int,
           horizon: int) -> World:
    """The world's month-by-month paths of one chunk: traffic, price indices, drift events."""
    shape = (horizon, inputs.traffic.requests_per_month.shape[0])
    t = inputs.traffic
    requests = traffic(stream(seed, chunk_index, "world.traffic"),
                       t.requests_per_month, t.monthly_growth, t.monthly_volatility, horizon)
    indices = {
        name: price_index(stream(seed, chunk_index, f"world.prices.{name}"),
                          inputs.prices[name].annual_decline, inputs.prices[name].events_per_year,
                          spec.event_multiplier, horizon)
        for name, spec in scenario.price_indices.items()
    }
    q_b, cost_b = baseline_costs(inputs, requests,
                                 index_or_one(indices, scenario.baseline_price_index, shape))
    drift = poisson_counts(stream(seed, chunk_index, "world.drift"),
                           inputs.drift.events_per_year, horizon)
    return World(requests=requests, baseline_cost_per_request=q_b, baseline_cost=cost_b,
                 drift_counts=drift, indices=indices)


@dataclass(frozen=True)
class BatchJob:
    """What a task needs besides the scenario and its chunks (small, pickled per task).

    ``brackets`` (per option) turn each chunk's CS rows into a `quantiles.Tally` when the
    result does not keep them; ``return_cumulative`` hands the CS rows back instead (the
    pilot that sets the brackets). Chunk i's rows go to rows i * chunk_size of the sink.
    """

    seed: int
    sampler: str
    chunk_size: int
    brackets: Mapping[str, Brackets] | None = None
    return_cumulative: bool = False
    parent_pid: int | None = None  # set in worker processes (see run_batch)
    timed: bool = False  # worker processes record phases and hand them back


@dataclass(frozen=True)
class ChunkOutcome:
    """What a task hands back per chunk: its monthly sums, its rows unless already placed,
    and its CS tallies or rows when the result does not keep CS."""

    chunk_index: int
    n_paths: int
    sums: dict[str, dict[str, np.ndarray]]
    chunk: ChunkResult | None
    tallies: dict[str, Tally] | None = None
    cumulative: dict[str, np.ndarray] | None = None
    timings: tuple[tuple[str, float, float], ...] = ()


def run_batch(
    scenario: Scenario, chunks: Sequence[tuple[int, int]], job: BatchJob,
    sink: Result | None = None, cancel: Event | None = None,
) -> list[ChunkOutcome]:
    """Run several chunks in one task (a worker unpickles the scenario once per batch).

    With a ``sink`` (the result itself in this process, or shared memory for worker
    processes) the rows are written straight into it and only the small monthly sums
    travel back. In a worker process (``job.parent_pid`` given) each chunk first checks
    that the parent still lives: an orphaned worker stops instead of computing for nobody
    (see `shared.die_with_parent`). ``cancel`` (threads) stops before the next chunk.
    """
    events: list[tuple[str, float, float]] = []
    own_recorder = job.timed and not timing.recording()
    if own_recorder:  # a worker process: record here, report to the parent
        timing.set_recorder(lambda name, start, end: events.append((name, start, end)))
    # a worker process loads the kernels it calls without numba's registries (0.2 s a
    # worker, see numba_cache.py); this process's were loaded by plan.warm_up
    loading = registries_deferred() if job.parent_pid is not None else nullcontext()
    try:
        outcomes = []
        with loading:
            for index, n in chunks:
                if job.parent_pid is not None and os.getppid() != job.parent_pid:
                    os._exit(1)  # the parent died (reparented): nobody will read these rows
                if cancel is not None and cancel.is_set():
                    break
                chunk = run_chunk(scenario, index, n, seed=job.seed, sampler=job.sampler,
                                  chunk_size=job.chunk_size)
                outcomes.append(_outcome(chunk, job, sink))
    finally:
        if own_recorder:
            timing.set_recorder(None)
    if events and outcomes:
        outcomes[-1] = replace(outcomes[-1], timings=tuple(events))
    return outcomes


def _outcome(chunk: ChunkResult, job: BatchJob, sink: Result | None) -> ChunkOutcome:
    """Place a chunk's rows in the sink (if any) and turn its CS rows into what the run keeps."""
    sums = {oid: option.monthly_cost_sums for oid, option in chunk.options.items()}
    keeps_cumulative = sink is not None and next(iter(sink.options.values())).cumulative is not None
    tallies = cumulative = None
    if not keeps_cumulative and job.brackets is not None:
        with phase("chunk: CS tally"):
            tallies = {oid: Tally.of(_rows(option), job.brackets[oid])
                       for oid, option in chunk.options.items()}
    elif not keeps_cumulative and job.return_cumulative:
        cumulative = {oid: _rows(option) for oid, option in chunk.options.items()}
    if sink is None:
        if tallies is not None or cumulative is not None:  # not shipped twice
            chunk = replace(chunk, options={oid: replace(o, cumulative=None)
                                            for oid, o in chunk.options.items()})
        return ChunkOutcome(chunk.chunk_index, chunk.n_paths, sums, chunk, tallies, cumulative)
    with phase("chunk: placing rows"):
        sink.place(chunk.chunk_index * job.chunk_size, chunk)
    return ChunkOutcome(chunk.chunk_index, chunk.n_paths, sums, None, tallies, cumulative)


def _rows(option: OptionResult) -> np.ndarray:
    """A chunk's CS rows (a chunk always has them; only a run's result may not)."""
    assert option.cumulative is not None
    return option.cumulative


def chunk_plan(first_chunk: int, paths: int, chunk_size: int) -> list[tuple[int, int]]:
    n_chunks = math.ceil(paths / chunk_size)
    return [(first_chunk + i, min(chunk_size, paths - i * chunk_size)) for i in range(n_chunks)]


def batches(plan: list[tuple[int, int]], jobs: int) -> list[list[tuple[int, int]]]:
    # About four batches per worker: enough for load balance and progress updates, few
    # enough that shipping the scenario (~2 MB with its inverse-CDF tables) is amortised
    # (sixteen per worker measured 15% slower at 200k paths).
    # At most 8 chunks (~0.4 s) per batch, so progress moves at least that often.
    size = min(8, max(1, math.ceil(len(plan) / (4 * jobs)))) if jobs > 1 else 1
    return [plan[i:i + size] for i in range(0, len(plan), size)]
