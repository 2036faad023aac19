"""Loading numba's cached kernels without first setting up its compiler.

Why: numba's cache load (``Cache.load_overload``) first calls the CPU target's
``refresh()``, which imports and installs every lowering registry numba has -- arrays,
strings, typed containers, random, linalg (importing scipy.linalg for its BLAS), ...: on
this 2-core machine 0.2 s of a 0.27 s load of the run's kernels, on the default run's
critical path. Loading machine code from the cache needs none of it, only numba's runtime
(NRT), which the kernels allocate with. Compiling does need the registries, and numba
refreshes them itself where it compiles (``CompilerBase``) or looks up a lowering it lacks
(``BaseContext.get_function``): a cache miss or a new signature, inside this block or after
it, compiles as usual. The machine code loaded is the same, so results are too.

Where numba's cache class lacks a member this relies on (another numba version), the
normal load is used: slower, never wrong.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["registries_deferred"]

_lock = threading.RLock()
_REQUIRED = ("_load_overload", "_guard_against_spurious_io_errors")


def _light_load_overload(self: Any, sig: Any, target_context: Any) -> Any:
    """``Cache.load_overload`` without ``target_context.refresh()``: the runtime, then the
    cached overload (None on a miss, which numba then compiles)."""
    from numba.core.runtime import rtsys

    rtsys.initialize(target_context)
    with self._guard_against_spurious_io_errors():
        return self._load_overload(sig, target_context)
    return None  # the guard swallowed an error (Windows only): a miss


@contextmanager
def registries_deferred() -> Iterator[bool]:
    """Within the block, numba's cached kernels load without its registries (see the
    module). Yields whether that is in effect (False: numba loads as usual). One block
    at a time; the normal load is restored when it ends."""
    from numba.core import caching

    cache_class: Any = getattr(caching, "Cache", None)
    if (cache_class is None or "load_overload" not in vars(cache_class)
            or not all(hasattr(cache_class, name) for name in _REQUIRED)):
        yield False
        return
    with _lock:
        original = vars(cache_class)["load_overload"]
        cache_class.load_overload = _light_load_overload
        try:
            yield True
        finally:
            cache_class.load_overload = original
