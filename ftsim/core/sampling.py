"""Static inputs: uniform designs (random | lhs | sobol), Gaussian copula, u -> arrays via ppf."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence

import numpy as np
from scipy import special

from ..distributions import spearman_to_pearson
from ..rng import U_MIN, design_stream, stream
from ..scenario import Correlation, Input, Scenario
from .supplied import PathValues

__all__ = [
    "WORLD",
    "SAMPLERS",
    "random_inputs",
    "uniform_design",
    "SOBOL_BITS",
    "sobol_scramble",
    "sobol_design",
    "design_order",
    "static_uniforms",
    "spearman_to_pearson",
    "correlate_uniforms",
    "sample_static",
    "prepare_laws",
]

WORLD = "world"
SAMPLERS = ("random", "lhs", "sobol")


def random_inputs(scenario: Scenario) -> dict[str, list[Input]]:
    """Random static inputs grouped by owner ("world" or an option id), sorted by key path.

    Sorting makes the column order (and so the draws) independent of file order.
    """
    groups = {WORLD: sorted((i for i in scenario.inputs.values() if i.is_random),
                            key=lambda i: i.key_path)}
    for option_id, option in scenario.options.items():
        groups[option_id] = sorted((i for i in option.inputs.values() if i.is_random),
                                   key=lambda i: i.key_path)
    return groups


def prepare_laws(scenario: Scenario) -> None:
    """Evaluate every law once, so inverse-CDF tables built lazily on first use exist now.

    Call before shipping the scenario to workers: the tables then travel with the pickled
    scenario instead of being rebuilt for every batch (about 0.1 s per batch for
    support_bot, some 40% of a worker's time at 200k paths).
    """
    laws = [i.dist for i in scenario.all_inputs().values() if i.is_random]
    laws += [spec.event_multiplier for spec in scenario.price_indices.values()]
    for law in laws:
        law.ppf(np.array([0.5]))


def uniform_design(
    sampler: str, n_paths: int, n_dims: int, *, seed: int, owner: str,
    chunk_index: int, chunk_size: int,
) -> np.ndarray:
    """Uniforms of shape (n_paths, n_dims) for one owner's static inputs in one chunk.

    random: iid from the chunk's stream. lhs: a Latin hypercube per chunk (stratified
    within the chunk). Designs of different owners come from different keyed streams, so
    they are independent: for iid draws that is the law itself, and for LHS two
    independently permuted hypercubes are jointly uniform (each pair of inputs across
    owners fills a rank grid like iid draws), so per-owner designs are correct and adding
    an option leaves the world's draws unchanged. sobol is not per owner: see
    ``sobol_design`` and ``static_uniforms``.
    """
    if n_dims == 0:
        return np.empty((n_paths, 0))
    if sampler == "random":
        u = stream(seed, chunk_index, f"{owner}.static").random((n_paths, n_dims))
    elif sampler == "lhs":
        from scipy.stats import qmc  # 0.4 s of imports that every worker would pay otherwise
        rng = stream(seed, chunk_index, f"{owner}.static")
        u = qmc.LatinHypercube(n_dims, rng=rng).random(n_paths)
    elif sampler == "sobol":
        u = sobol_design(n_paths, n_dims, seed=seed, first_point=chunk_index * chunk_size)
    else:
        raise ValueError(f"unknown sampler {sampler!r}")
    return np.clip(u, U_MIN, 1.0 - U_MIN)


# Sobol' digits kept: up to 2**32 points (paths are at most 1e9). 32, not more, because
# scipy's fast_forward fails for its 64-bit engines (scipy 1.17: "Buffer dtype mismatch").
SOBOL_BITS = 32


def sobol_scramble(dim: int, seed: int) -> tuple[np.ndarray, int]:
    """Dimension ``dim``'s linear matrix scramble and digital shift, from its own stream.

    Returns (masks, shift): ``masks[b]`` is column b of a random lower-triangular binary
    matrix with unit diagonal, as an integer -- input bit b (2**b) flips output bit b and a
    random subset of the less significant bits, so the matrix is invertible and keeps each
    point set's stratification (the (t, m, s)-net property); ``shift`` is XORed afterwards.
    This is scipy's LMS + shift scrambling, but drawn per dimension from a stream named by
    the dimension's index: scipy draws every dimension's bits from one generator in an
    order that depends on the number of dimensions, so adding an option would change the
    world's points.
    """
    rng = design_stream(seed, f"sobol.dim.{dim}")
    below = rng.integers(0, 2 ** np.arange(SOBOL_BITS, dtype=np.uint64), dtype=np.uint64)
    masks = below | (np.uint64(1) << np.arange(SOBOL_BITS, dtype=np.uint64))
    shift = int(rng.integers(0, 2**SOBOL_BITS, dtype=np.uint64))
    return masks, shift


def sobol_design(n_paths: int, n_dims: int, *, seed: int, first_point: int) -> np.ndarray:
    """Points ``first_point ...`` of one scrambled Sobol' sequence over ``n_dims`` dimensions.

    The same sequence serves the whole run (chunk i takes points i * chunk_size, ...), and
    dimension j's scramble depends only on (seed, j), so the first k columns are the same
    whatever n_dims is. Uniforms are the cell midpoints (y + 1/2) / 2**32, which lie in
    [2**-33, 1 - 2**-33], inside (0, 1).
    """
    from scipy.stats import qmc  # 0.4 s of imports that every worker would pay otherwise

    if n_dims == 0:
        return np.empty((n_paths, 0))
    engine = qmc.Sobol(n_dims, scramble=False, bits=SOBOL_BITS)
    if first_point:  # scipy rejects fast_forward(0)
        engine.fast_forward(first_point)
    with warnings.catch_warnings():
        # Balance properties want powers of two; chunk sizes are, a last chunk may not be.
        warnings.filterwarnings("ignore", message=".*balance properties.*")
        points = engine.random(n_paths)
    # Unscrambled points are integers / 2**32 exactly (float64 holds 53 bits).
    digits = (points * 2.0**SOBOL_BITS).astype(np.uint32)
    tables, shifts = _scramble_tables(seed, n_dims)
    return (_scrambled(digits, tables, shifts) + 0.5) * 2.0**-SOBOL_BITS


@functools.lru_cache(maxsize=8)
def _scramble_tables(seed: int, n_dims: int) -> tuple[np.ndarray, np.ndarray]:
    """Byte lookup tables of every dimension's scramble, (4, n_dims, 256) uint32, and the
    shifts (n_dims,): tables[k, j, v] is the XOR of masks[8k + b] of dimension j over the set
    bits b of byte value v. Cached: every chunk of a run uses the same ones."""
    scrambles = [sobol_scramble(j, seed) for j in range(n_dims)]
    masks = np.stack([m for m, _ in scrambles]).astype(np.uint32)  # (n_dims, SOBOL_BITS)
    shifts = np.array([s for _, s in scrambles], np.uint32)
    byte_values = np.arange(256, dtype=np.uint32)
    tables = np.zeros((SOBOL_BITS // 8, n_dims, 256), np.uint32)
    for k in range(SOBOL_BITS // 8):
        for bit in range(8):
            has_bit = ((byte_values >> bit) & 1).astype(bool)
            tables[k] ^= np.where(has_bit, masks[:, 8 * k + bit, None], np.uint32(0))
    tables.flags.writeable = shifts.flags.writeable = False
    return tables, shifts


def _scrambled(x: np.ndarray, tables: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """Per column j: XOR of masks[j, b] over the set bits b of x[:, j], then XOR shifts[j]
    (a GF(2) matrix-vector product); x is (n, n_dims) uint32, returned as float.

    A byte at a time through the tables of ``_scramble_tables``: four lookups per value
    instead of 32 bit tests.
    """
    n, n_dims = x.shape
    flat = tables.reshape(-1)
    # byte k of each value, least significant first (a little-endian byte view, no copy)
    x_bytes = np.ascontiguousarray(x, dtype="<u4").view(np.uint8).reshape(n, n_dims, 4)
    base = np.arange(n_dims, dtype=np.intp) * 256
    y = np.broadcast_to(shifts, (n, n_dims)).copy()
    for k in range(SOBOL_BITS // 8):
        y ^= flat.take(x_bytes[:, :, k] + (base + k * n_dims * 256))
    return y.astype(float)


def design_order(scenario: Scenario) -> list[Input]:
    """The random inputs in joint-design column order: the world's, then each option's
    in sorted option id order (like ``random_inputs``, independent of file order).

    World columns come first so that adding or removing an option never moves them.
    """
    groups = random_inputs(scenario)
    return [item for owner in (WORLD, *sorted(scenario.options)) for item in groups[owner]]


def static_uniforms(
    scenario: Scenario, n_paths: int, *, seed: int, chunk_index: int, chunk_size: int,
    sampler: str,
) -> dict[str, np.ndarray]:
    """Independent uniforms for every random static input, keyed by key path.

    random and lhs: one design per owner from the owner's keyed stream (see
    ``uniform_design``). sobol: ONE design over every dimension (``design_order``): matching
    separate Sobol' sequences point by point, as before, made an option's input a nearly
    deterministic function of the world's input in the same column (up to 240 of 256
    cells of a 16 x 16 rank grid empty, against none for iid draws).
    """
    if sampler == "sobol":
        inputs = design_order(scenario)
        u = uniform_design(sampler, n_paths, len(inputs), seed=seed, owner="",
                           chunk_index=chunk_index, chunk_size=chunk_size)
        return {item.key_path: u[:, column] for column, item in enumerate(inputs)}
    uniforms: dict[str, np.ndarray] = {}
    for owner, inputs in random_inputs(scenario).items():
        u = uniform_design(sampler, n_paths, len(inputs), seed=seed, owner=owner,
                           chunk_index=chunk_index, chunk_size=chunk_size)
        for column, item in enumerate(inputs):
            uniforms[item.key_path] = u[:, column]
    return uniforms


def correlate_uniforms(
    uniforms: dict[str, np.ndarray], correlations: Sequence[Correlation]
) -> None:
    """Impose rank correlations on independent uniforms in place (Gaussian copula).

    ``uniforms`` maps key path -> (paths,) array. Only the inputs named in a correlation
    change; each keeps its uniform marginal.
    """
    if not correlations:
        return
    keys = sorted({c.a for c in correlations} | {c.b for c in correlations})
    index = {k: i for i, k in enumerate(keys)}
    matrix = np.eye(len(keys))
    for c in correlations:
        r = spearman_to_pearson(c.rho)
        matrix[index[c.a], index[c.b]] = matrix[index[c.b], index[c.a]] = r
    lower = np.linalg.cholesky(matrix)
    z = special.ndtri(np.column_stack([uniforms[k] for k in keys]))
    correlated = special.ndtr(z @ lower.T)
    for k, i in index.items():
        uniforms[k] = np.clip(correlated[:, i], U_MIN, 1.0 - U_MIN)


def sample_static(
    scenario: Scenario, n_paths: int, *, seed: int, chunk_index: int, chunk_size: int,
    sampler: str,
) -> dict[str, np.ndarray]:
    """Every numeric input of the scenario as a (n_paths,) float64 array, keyed by key path.

    Fixed inputs are filled with their value; random ones are ``ppf(u)`` of the design,
    counts rounded with floor(x + 0.5) (docs/model.md section 10). Inputs supplied path by path
    (``--inputs``, `supplied.PathValues`) take their rows of this chunk instead; their
    uniforms are drawn all the same, so the other inputs' draws do not change.
    """
    uniforms = static_uniforms(scenario, n_paths, seed=seed, chunk_index=chunk_index,
                               chunk_size=chunk_size, sampler=sampler)
    correlate_uniforms(uniforms, scenario.correlations)

    values: dict[str, np.ndarray] = {}
    for key, item in scenario.all_inputs().items():
        if isinstance(item.dist, PathValues):
            x = item.dist.rows(chunk_index * chunk_size, n_paths)
        elif key in uniforms:
            x = np.asarray(item.dist.ppf(uniforms[key]), dtype=float)
        else:
            x = np.full(n_paths, float(item.dist.ppf(np.array([0.5]))[0]))
        values[key] = np.floor(x + 0.5) if item.is_count else x
    return values


