"""How a run executes: in this thread, on a pool of threads, in worker processes or on Dask,
and whether it keeps every CS row or streams them -- chosen by size, never changing a number.

Why threads by default: the chunk work is numpy and a compiled kernel that both release
the GIL, so threads of one process run chunks in parallel with no process start (a loky
worker re-imports numpy, scipy and numba and reloads the kernels: ~1.5 s on the 2-core
reference machine, more than simulating 100,000 paths) and write their rows straight into
the result. Worker processes remain for GIL-bound sites (``backend="processes"``).
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from ..scenario import Scenario
from .timing import phase

__all__ = ["BACKENDS", "Plan", "choose_plan", "thread_pool", "warm_up", "resolved_jobs",
           "single_threaded"]

# "auto": threads (or this thread alone when one suffices); "loky" is the old name of
# "processes" (worker processes through joblib/loky).
BACKENDS = ("auto", "threads", "processes", "loky", "dask")


@dataclass(frozen=True)
class Plan:
    kind: str  # "serial" | "threads" | "processes" | "dask"
    workers: int  # chunks simulated at once
    keep_cumulative: bool  # store CS rows (else stream them into their percentiles)


def resolved_jobs(jobs: int | None) -> int:
    """``jobs`` as a worker count: None, 0 or -1 mean every core."""
    return (os.cpu_count() or 1) if jobs in (None, 0, -1) else int(jobs)


def choose_plan(
    scenario: Scenario, paths: int, *, jobs: int | None, backend: str, chunk_size: int,
    keep_cumulative: bool | None = None,
) -> Plan:
    """The plan of a run of ``paths`` paths (the cap of a --precision run).

    One chunk, or one job, runs in this thread. ``keep_cumulative`` None keeps CS rows
    when they take at most `KEEP_CUMULATIVE_BYTES` (streaming gives the same percentiles;
    the memory guard may ask for it on smaller runs).
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    workers = max(1, min(resolved_jobs(jobs), math.ceil(paths / chunk_size)))
    if keep_cumulative is None:
        keep_cumulative = cumulative_bytes(scenario, paths) <= KEEP_CUMULATIVE_BYTES
    if backend == "dask":
        return Plan("dask", workers, keep_cumulative)
    if workers == 1:
        return Plan("serial", 1, keep_cumulative)
    kind = "processes" if backend in ("processes", "loky") else "threads"
    return Plan(kind, workers, keep_cumulative)


# CS rows up to this size are kept (support_bot: 36 months x 2 options, 288 bytes a path,
# so up to ~930,000 paths); beyond, streamed into their exact percentiles, which costs
# about as much time as reading them from kept rows and saves their memory.
KEEP_CUMULATIVE_BYTES = 256 << 20


def cumulative_bytes(scenario: Scenario, paths: int) -> int:
    """Bytes of every option's CS rows, float32 (H, paths)."""
    return 4 * paths * scenario.horizon_months * len(scenario.options)


_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_warm: Future[None] | None = None


def thread_pool(workers: int) -> ThreadPoolExecutor:
    """The process's chunk threads, reused by every run, sweep point and --precision batch
    (recreated only to grow)."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < workers:
            if _pool is not None:
                _pool.shutdown(wait=False)
            with phase("worker start"):
                _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ftsim")
            _pool_size = workers
        return _pool


def single_threaded() -> bool:
    """Whether this process runs one OS thread only, so a fork copies no lock another
    thread holds: Python's threads, and native ones too (Typst's workers after a compile,
    BLAS threads), which ``threading.active_count`` does not see. False where that cannot
    be known (no /proc)."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def warm_up(jobs: int | None = None) -> None:
    """Start the chunk threads and load the run's kernels in one of them, now.

    Why: importing numba and loading the cached machine code takes ~0.3 s (numba's import
    0.2 s of it; the kernels load without numba's compiler set-up, see numba_cache.py);
    started before the scenario is loaded and sampled, it overlaps that work instead of
    following it. Idempotent. The chunks' kernels (price indices and event counts, the
    option recursion) and the summary's (its sort, its CS percentiles) are loaded in the
    signatures a run calls them with, so none is loaded mid-run; the percentile kernel
    goes unused below 20,000 kept paths (~10 ms).
    """
    global _warm
    pool = thread_pool(max(1, resolved_jobs(jobs)))
    with _pool_lock:
        if _warm is None:
            _warm = pool.submit(_load_kernel)


def _load_kernel() -> None:
    from .numba_cache import registries_deferred

    with phase("kernel load"), registries_deferred():  # 0.27 -> 0.07 s (numba_cache.py)
        from .kernel import load_dynamics_kernels, load_option_kernel
        from .quantiles import load_tally_kernel
        from .radix import load_sort_kernel

        load_dynamics_kernels()  # the first a chunk calls
        load_option_kernel()
        # the summary's kernels, off its path: its sorts and its CS percentiles
        load_sort_kernel()
        load_tally_kernel()
