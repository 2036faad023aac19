"""An optional phase-timing hook: off (one global test) unless a benchmark installs a recorder.

Why: benchmarks/phases.py reports where a command's wall time goes (sampling, dynamics,
option recursion, ...) inside the real code path, without the core printing anything or
paying for timers when nobody listens.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["Recorder", "set_recorder", "recording", "phase", "record"]

# recorder(name, start, end): perf_counter() seconds (CLOCK_MONOTONIC on Linux, comparable
# between the processes of one machine).
Recorder = Callable[[str, float, float], None]
_recorder: Recorder | None = None


def set_recorder(recorder: Recorder | None) -> Recorder | None:
    """Install ``recorder`` (None: timing off); returns the previous one."""
    global _recorder
    previous, _recorder = _recorder, recorder
    return previous


def recording() -> bool:
    """Whether a recorder is installed (workers are then asked to time their chunks)."""
    return _recorder is not None


def record(name: str, start: float, end: float) -> None:
    """Report a phase timed elsewhere (e.g. in a worker process); nothing when off."""
    if _recorder is not None:
        _recorder(name, start, end)


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Time the block as phase ``name`` when a recorder is installed."""
    if _recorder is None:
        yield
        return
    start = time.perf_counter()
    try:
        yield
    finally:
        record(name, start, time.perf_counter())
