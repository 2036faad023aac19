"""Command line: argv -> scenario -> simulation -> terminal table and run folder; exit codes.

The command line is a program that runs its own threads (chunks, the summary's statistics,
the per-path writer), so it asks numpy's BLAS for one thread per caller before numpy loads:
OpenBLAS's own threads spin on cores those threads need (measured on 2 cores: a 100,000-long
dot product 26 ms instead of 0.1 ms, the summary 1.5-1.9 s of CPU instead of 0.6-0.7 s), and
a single thread sums in one order on every machine. A variable the user set is kept; a
library user who imported numpy first is not affected.
"""

from __future__ import annotations

import os

for _variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")


def _defer_unused_numpy_submodules() -> None:
    """Make numpy.f2py and numpy.testing lazy modules (``importlib.util.LazyLoader``): loaded
    on first attribute access, not before.

    Why: scipy.special (1.17) copies numpy's namespace for its array-API layer, touching
    every submodule numpy loads on demand; f2py and testing alone cost 70-80 ms (f2py
    imports charset_normalizer) on every run, which uses neither. Only these two, which no
    run touches from any thread (Python 3.11's lazy loading is not thread-safe), and only
    when numpy has not loaded them already.
    """
    import importlib.util
    import sys

    import numpy

    for name in ("numpy.f2py", "numpy.testing"):
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            continue
        spec.loader = importlib.util.LazyLoader(spec.loader)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        setattr(numpy, name.rpartition(".")[2], module)  # as an import would


_defer_unused_numpy_submodules()

from .main import build_parser, main  # noqa: E402 - after the BLAS thread setting

# (cli.main.run, the program entry point, is not re-exported: ftsim.cli.run is the module of
# the run command)
__all__ = ["main", "build_parser"]
