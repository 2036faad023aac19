"""Memory a run needs, by phase, checked before it starts (and what the machine has)."""

from __future__ import annotations

import math
import os

from ..scenario import Scenario
from .sampling import random_inputs

__all__ = ["WORKER_BASE_BYTES", "memory_breakdown", "estimate_memory", "available_memory"]

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
