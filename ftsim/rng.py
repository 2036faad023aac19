"""Seed plumbing: (seed, chunk, stream name) -> an independent numpy Generator."""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["stream", "design_stream", "name_key", "U_MIN"]

# The one clip of the samplers' uniforms: u lies in [U_MIN, 1 - U_MIN], strictly inside
# (0, 1), so unbounded laws never return +-inf; a random law's reachable extremes are its
# quantiles there.
U_MIN = 2.0**-53

# spawn_key prefix for streams that must not depend on the chunk (e.g. the Sobol
# scramble, shared by every chunk so that chunks are slices of one sequence).
# Chunk indices are far below it.
_CHUNK_FREE = 2**32 - 1


def name_key(name: str) -> int:
    """A stable 64-bit integer for a stream name (``hash()`` is salted per process)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")


def stream(seed: int, chunk_index: int, name: str) -> np.random.Generator:
    """The generator for stream ``name`` of chunk ``chunk_index``.

    Equivalent to ``SeedSequence(seed).spawn(...)[chunk_index]`` spawning a child per
    name, but rebuilt anywhere with no coordination: a chunk's draws depend only on the
    seed, its index and the name -- never on the worker or the number of workers, and
    adding an option (a new name) leaves every other stream unchanged.
    """
    seq = np.random.SeedSequence(seed, spawn_key=(chunk_index, name_key(name)))
    return np.random.Generator(np.random.PCG64(seq))


def design_stream(seed: int, name: str) -> np.random.Generator:
    """A chunk-independent generator (same in every chunk) for stream ``name``."""
    seq = np.random.SeedSequence(seed, spawn_key=(_CHUNK_FREE, name_key(name)))
    return np.random.Generator(np.random.PCG64(seq))
