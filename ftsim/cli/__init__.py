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

from .main import build_parser, main  # noqa: E402 - after the BLAS thread setting

# (cli.main.run, the program entry point, is not re-exported: ftsim.cli.run is the module of
# the run command)
__all__ = ["main", "build_parser"]
