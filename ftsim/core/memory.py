"""Memory a run needs, by phase, the plan that fits a budget, and what the machine has."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from ..scenario import Scenario
from .plan import KEEP_CUMULATIVE_BYTES, cumulative_bytes
from .quantiles import PILOT_PATHS
from .result import inputs_dtype
from .sampling import random_inputs

__all__ = ["WORKER_BASE_BYTES", "PROCESS_BASE_BYTES", "MemoryPlan", "memory_breakdown",
           "estimate_memory", "fit_memory", "available_memory"]

# A chunk being simulated holds about seven float64 (H, n) arrays of the world and of the
# option recursion at its peak: tracemalloc measured 56 + 4 x options bytes per path-month
# and ~370 + 240 x options bytes per path (support_bot, seed_article, 1-4 options,
# H = 36 and 120). The constants round these up, so the estimate errs on the safe side.
_CHUNK_PER_PATH_MONTH, _CHUNK_PER_INDEX_MONTH, _CHUNK_PER_OPTION_MONTH = 64, 8, 8
_CHUNK_PER_PATH, _CHUNK_PER_OPTION, _CHUNK_PER_INPUT = 1024, 256, 16
# The command's own process with numpy, scipy, numba and its kernel loaded (measured
# ~230 MB resident), and a worker process (backend "processes") on top (~167 MB).
PROCESS_BASE_BYTES = 256 * 2**20
WORKER_BASE_BYTES = 160 * 2**20
# A streamed run keeps, per option, ~8% of its CS values (the brackets of
# `quantiles.Brackets`, 6 standard errors of a 65,536-path pilot each side of five
# percentiles); 16% is budgeted. The pilot's rows are held whole until the brackets exist,
# with the sorted copy `quantiles.Brackets.from_pilot` makes (17 MB measured at 200k paths).
_STREAMED_SHARE = 0.16
# summarize() above the result (support_bot: 2 options, 45 inputs): held through its heavy
# part, per option the value of information's centred net benefit, the NPV ranks and the
# payback indicator (17 bytes a path; 24 budgeted); per summary thread (at most 8) its
# largest task: an input's sort, ranks and EVPPI, a pilot's, a group's inputs as float64
# plus ~8 (40 for 4 inputs) -- 38-41 bytes a path by tracemalloc, 47 in RSS at 10M paths
# (4.23 GiB peak on 2 threads over 3.03 after the simulation; the allocator keeps some) --
# and fixed-size blocks (a group's design, kept CS rows' percentiles: ~13 MB measured).
# tracemalloc: 117 / 178 bytes a path on 1 / 2 threads at 300k paths, fixed blocks included.
_SUMMARY_THREADS, _SUMMARY_PER_THREAD, _SUMMARY_PER_OPTION = 8, 56, 24
_SUMMARY_THREAD_BYTES = 16 * 2**20
# The summary's first phase reads the outcomes but NPV, the CS rows, tokens and requests,
# beside the prepared net benefit (10 bytes a path per option, 8 per thread: a percentile
# copy; kept CS rows of at most 4 x PILOT_PATHS paths partition a copy per option). A
# releasing summary (summarize(result, release=True)) then frees them before its heavy
# part. 10M support_bot paths (RSS peak, 2 threads): 4.46 GiB before (the estimate said
# 3.94), 4.23 not releasing (estimate 4.27), 3.39 releasing (estimate 3.60).
_SUMMARY_FIRST_PER_OPTION, _SUMMARY_FIRST_PER_THREAD = 10, 8
_OUTCOME_BYTES = 40  # per option and path: payback int16, 4 money float64, 2 bools, int32
_NPV_BYTES = 8
# paths file: up to 2 batches of 65,536 rows per thread (at most 4) in flight, ~24 bytes a
# cell (the Arrow value, its text and compressed output; measured for paths.csv.gz).
_WRITER_BATCHES, _WRITER_ROWS, _WRITER_PER_CELL = 8, 65_536, 24


@dataclass(frozen=True)
class MemoryPlan:
    """How a run fits its budget: concurrent chunks, and whether CS rows are kept."""

    workers: int
    keep_cumulative: bool
    bytes: int


def memory_breakdown(
    scenario: Scenario, paths: int, jobs: int, chunk_size: int, *, precision: bool = False,
    write_paths: bool = True, keep_cumulative: bool = True, processes: bool = False,
    release_summary: bool = False,
) -> dict[str, int]:
    """Bytes a run of ``paths`` paths (a --precision run: its cap) needs, by phase (pure).

    ``result`` is held for the whole run: per path the random inputs and the tokens and
    requests per month (float64, float32 beyond `result.COMPACT_INPUTS_ABOVE` paths), and
    per option the outcomes (payback int16, four money float64, two bools, retrains int32:
    40 bytes) plus CS_t as float32 (4 H bytes) when kept. ``process`` is the command itself.
    The other phases come on top, one at a time: ``simulation`` (``min(jobs, chunks)``
    chunks in flight, plus a process per worker with ``processes``; a streamed run's kept
    CS share and its pilot), ``summary`` (``release_summary``: one that frees the arrays it
    has read, `_summary_bytes`) and ``paths_writer``. ``precision`` only says that ``paths``
    is the cap (a precision run writes into one allocation, no concatenation).
    """
    if paths < 1 or jobs < 1 or chunk_size < 1:
        raise ValueError("paths, jobs and chunk_size must be at least 1")
    del precision  # same arrays: the cap is allocated, pages are used as they fill
    horizon, n_options = scenario.horizon_months, len(scenario.options)
    n_inputs = sum(len(group) for group in random_inputs(scenario).values())
    input_bytes = np.dtype(inputs_dtype(paths)).itemsize
    cs = 4 * horizon * n_options
    # inputs, tokens and requests per month; per option 40 bytes of outcomes
    per_path = input_bytes * (n_inputs + 2) + n_options * _OUTCOME_BYTES + (cs if keep_cumulative else 0)
    chunk = min(chunk_size, paths)
    per_chunk = chunk * (
        horizon * (_CHUNK_PER_PATH_MONTH + _CHUNK_PER_INDEX_MONTH * len(scenario.price_indices)
                   + _CHUNK_PER_OPTION_MONTH * n_options)
        + _CHUNK_PER_PATH + _CHUNK_PER_OPTION * n_options + _CHUNK_PER_INPUT * n_inputs)
    workers = min(jobs, math.ceil(paths / chunk_size))
    simulation = workers * (per_chunk + (WORKER_BASE_BYTES if processes and workers > 1 else 0))
    if not keep_cumulative:  # the kept share until the percentiles are read, the pilot
        simulation += math.ceil(_STREAMED_SHARE * cs * paths) + 2 * min(paths, PILOT_PATHS) * cs
    freed = paths * (n_options * (_OUTCOME_BYTES - _NPV_BYTES) + 2 * input_bytes
                     + (cs if keep_cumulative else 0))
    summary = _summary_bytes(scenario, paths, keep_cumulative,
                             freed if release_summary else None)
    columns = 9 + n_inputs  # option, path, inputs, 7 outcomes
    writer_batches = min(_WRITER_BATCHES, n_options * math.ceil(paths / _WRITER_ROWS))
    return {
        "process": PROCESS_BASE_BYTES,
        "result": paths * per_path,
        "simulation": simulation,
        "summary": summary,
        "paths_writer": (writer_batches * min(paths, _WRITER_ROWS) * columns * _WRITER_PER_CELL
                         if write_paths else 0),
    }


def _summary_bytes(scenario: Scenario, paths: int, keep_cumulative: bool,
                   freed: int | None) -> int:
    """Bytes summarize() holds above the result at its peak: the larger of its first phase
    and its heavy part; ``freed``: the bytes a releasing summary frees in between (None:
    it frees nothing)."""
    threads = min(_SUMMARY_THREADS, os.cpu_count() or 1)
    n_options = len(scenario.options)
    group = max((len(g.inputs) for g in scenario.voi_groups), default=0) if scenario.voi_enabled else 0
    per_thread = max(_SUMMARY_PER_THREAD, 8 * group + 16)
    fixed = threads * _SUMMARY_THREAD_BYTES
    # kept CS rows of up to 4 pilots' paths are partitioned whole: a copy per option at once
    small = keep_cumulative and paths <= 4 * PILOT_PATHS
    cs_copies = min(threads, n_options) * 4 * scenario.horizon_months * paths if small else 0
    first = (paths * (n_options * _SUMMARY_FIRST_PER_OPTION + threads * _SUMMARY_FIRST_PER_THREAD)
             + cs_copies + fixed)
    heavy = paths * (n_options * _SUMMARY_PER_OPTION + threads * per_thread) + fixed
    return max(first, heavy - (freed or 0))


def estimate_memory(
    scenario: Scenario, paths: int, jobs: int, chunk_size: int, *, precision: bool = False,
    write_paths: bool = True, keep_cumulative: bool = True, processes: bool = False,
    release_summary: bool = False,
) -> int:
    """Peak bytes of a run: the process and the result, plus the largest of the phases that
    come on top of them (see `memory_breakdown`)."""
    parts = memory_breakdown(scenario, paths, jobs, chunk_size, precision=precision,
                             write_paths=write_paths, keep_cumulative=keep_cumulative,
                             processes=processes, release_summary=release_summary)
    held = parts.pop("process") + parts.pop("result")
    return held + max(parts.values())


def fit_memory(
    scenario: Scenario, paths: int, jobs: int, chunk_size: int, budget: int, *,
    write_paths: bool = True, processes: bool = False, keep_cumulative: bool | None = None,
    release_summary: bool = False,
) -> MemoryPlan | None:
    """The fastest plan within ``budget`` bytes, or None when even one chunk at a time with
    streamed CS rows does not fit. Neither choice changes a number of the result: CS
    percentiles are exact either way and chunks are seeded by index. ``keep_cumulative``
    None: the size rule of `plan.choose_plan`, else streaming. ``release_summary``: the
    run's summary frees the arrays it has read (`memory_breakdown`)."""
    if keep_cumulative is None:  # the size rule of plan.choose_plan first, then streaming
        default = cumulative_bytes(scenario, paths) <= KEEP_CUMULATIVE_BYTES
        keeps = [True, False] if default else [False]
    else:
        keeps = [keep_cumulative]
    for workers in range(max(1, jobs), 0, -1):
        for keep in keeps:
            need = estimate_memory(scenario, paths, workers, chunk_size, write_paths=write_paths,
                                   keep_cumulative=keep, processes=processes,
                                   release_summary=release_summary)
            if need <= budget:
                return MemoryPlan(workers, keep, need)
    return None


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
