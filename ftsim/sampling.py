"""Static inputs: uniform designs (random | lhs | sobol), Gaussian copula, u -> arrays via ppf."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from scipy import special

from .rng import design_stream, stream
from .scenario import Correlation, Input, Scenario

__all__ = [
    "WORLD",
    "SAMPLERS",
    "random_inputs",
    "uniform_design",
    "spearman_to_pearson",
    "correlate_uniforms",
    "sample_static",
    "prepare_laws",
]

WORLD = "world"
SAMPLERS = ("random", "lhs", "sobol")
# Keep u strictly inside (0, 1) so unbounded laws never return +-inf.
_U_EPS = 2.0**-53


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
    within the chunk). sobol: one scrambled Sobol' sequence for the whole run, of which
    chunk i takes points ``i * chunk_size ...``, so chunks are slices of a single design.
    """
    if n_dims == 0:
        return np.empty((n_paths, 0))
    if sampler != "random":
        from scipy.stats import qmc  # 0.4 s of imports that every worker would pay otherwise
    if sampler == "random":
        u = stream(seed, chunk_index, f"{owner}.static").random((n_paths, n_dims))
    elif sampler == "lhs":
        rng = stream(seed, chunk_index, f"{owner}.static")
        u = qmc.LatinHypercube(n_dims, rng=rng).random(n_paths)
    elif sampler == "sobol":
        engine = qmc.Sobol(n_dims, scramble=True, rng=design_stream(seed, f"{owner}.sobol"))
        if chunk_index:  # scipy rejects fast_forward(0)
            engine.fast_forward(chunk_index * chunk_size)
        with warnings.catch_warnings():
            # Balance properties want powers of two; chunk sizes are, a last chunk may not be.
            warnings.filterwarnings("ignore", message=".*balance properties.*")
            u = engine.random(n_paths)
    else:
        raise ValueError(f"unknown sampler {sampler!r}")
    return np.clip(u, _U_EPS, 1.0 - _U_EPS)


def spearman_to_pearson(rho: float | np.ndarray) -> float | np.ndarray:
    """Pearson correlation of a Gaussian copula giving Spearman ``rho``: 2 sin(pi rho / 6)."""
    return 2.0 * np.sin(np.pi * np.asarray(rho) / 6.0)


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
        uniforms[k] = np.clip(correlated[:, i], _U_EPS, 1.0 - _U_EPS)


def sample_static(
    scenario: Scenario, n_paths: int, *, seed: int, chunk_index: int, chunk_size: int,
    sampler: str,
) -> dict[str, np.ndarray]:
    """Every numeric input of the scenario as a (n_paths,) float64 array, keyed by key path.

    Fixed inputs are filled with their value; random ones are ``ppf(u)`` of the design,
    counts rounded with floor(x + 0.5) (MODEL.md section 2).
    """
    uniforms: dict[str, np.ndarray] = {}
    for owner, inputs in random_inputs(scenario).items():
        u = uniform_design(sampler, n_paths, len(inputs), seed=seed, owner=owner,
                           chunk_index=chunk_index, chunk_size=chunk_size)
        for column, item in enumerate(inputs):
            uniforms[item.key_path] = u[:, column]
    correlate_uniforms(uniforms, scenario.correlations)

    values: dict[str, np.ndarray] = {}
    for key, item in scenario.all_inputs().items():
        if key in uniforms:
            x = np.asarray(item.dist.ppf(uniforms[key]), dtype=float)
        else:
            x = np.full(n_paths, float(item.dist.ppf(np.array([0.5]))[0]))
        values[key] = np.floor(x + 0.5) if item.is_count else x
    return values


