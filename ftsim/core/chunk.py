"""One chunk of paths (sample, draw events, add up cash flows) and a batch of chunks as one task."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..rng import stream
from ..scenario import Scenario
from .dynamics import poisson_counts, price_index, traffic
from .engine import World, baseline_costs, index_or_one, simulate_option
from .inputs import build_inputs
from .result import OptionResult, Result
from .sampling import random_inputs, sample_static

__all__ = ["DEFAULT_CHUNK_SIZE", "ChunkResult", "ChunkOutcome", "run_chunk", "run_batch",
           "chunk_plan", "batches"]

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
    inputs = build_inputs(static, scenario.options.values(), scenario.price_indices)
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
    world = World(requests=requests, baseline_cost_per_request=q_b, baseline_cost=cost_b,
                  drift_counts=drift, indices=indices)
    options = {}
    for option_id, option in scenario.options.items():
        updates = poisson_counts(
            stream(seed, chunk_index, f"option.{option_id}.base_model_updates"),
            inputs.options[option_id].maintenance.base_model_updates_per_year, horizon)
        paths = simulate_option(option, inputs, world, updates, horizon_months=horizon,
                                discount_rate_annual=scenario.discount_rate_annual)
        options[option_id] = OptionResult.from_paths(paths)
    tokens = (t.input_tokens + inputs.rag.context_tokens
              + inputs.baseline.prompt_overhead_tokens + t.output_tokens)
    mean_requests = requests.mean(axis=0)
    random_keys = [i.key_path for group in random_inputs(scenario).values() for i in group]
    return ChunkResult(chunk_index=chunk_index, n_paths=n_paths,
                       inputs={k: static[k] for k in random_keys},
                       tokens_per_month=mean_requests * tokens, requests_per_month=mean_requests,
                       options=options)


@dataclass(frozen=True)
class ChunkOutcome:
    """What a task hands back per chunk: its monthly sums, and its rows unless already placed."""

    chunk_index: int
    n_paths: int
    sums: dict[str, dict[str, np.ndarray]]
    chunk: ChunkResult | None


def run_batch(
    scenario: Scenario, chunks: Sequence[tuple[int, int]], seed: int, sampler: str,
    chunk_size: int, sink: Result | None = None, first_chunk: int = 0,
    parent_pid: int | None = None,
) -> list[ChunkOutcome]:
    """Run several chunks in one task (a worker unpickles the scenario once per batch).

    With a shared-memory ``sink`` the rows are written straight into it and only the small
    monthly sums travel back, instead of pickling every path through a pipe. In a worker
    process (``parent_pid`` given) each chunk first checks that the parent still lives:
    an orphaned worker stops instead of computing for nobody (see `shared.die_with_parent`).
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
