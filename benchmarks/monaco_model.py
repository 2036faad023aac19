"""The ftsim model run through the ``monaco`` Monte Carlo library (v0.23), one case per path.

How a monaco user would write it: every random static input is a monaco ``InVar`` drawn
by monaco from a scipy.stats law equal to ftsim's (lognormal, normal, beta/PERT,
uniform, triangular, gamma, choice via ``rv_discrete`` + ``nummap``); ``[[correlations]]``
(which monaco does not model) are imposed with a Gaussian copula on the percentiles,
handed to monaco through ``addInVar(pcts=...)``; laws with no plain scipy equivalent
(truncated non-normal, empirical) fall back to ``vals=`` drawn with ftsim's ppf. Each
case then runs monaco's preprocess / run / postprocess triple: the run function draws
the path's dynamic events from ``random.Random(case.seed)`` and loops over the months
with the reference loop's ``simulate_path`` (benchmarks/reference_loop.py), so the model
is the same one.

Run by hand::

    python benchmarks/monaco_model.py [--cases 1000] [--parallel] [--quick]
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path

import monaco
import numpy as np
from scipy import special, stats

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reference_loop import (  # noqa: E402
    DEFAULT_SCENARIO,
    U_EPS,
    ReferenceModel,
    print_estimates,
)

# ----------------------------------------------------------------- laws -> scipy.stats


def scipy_law(dist):
    """(scipy rv class, kwargs, nummap) equal to an ftsim Distribution, or None (no plain equivalent)."""
    from ftsim import distributions as d

    if isinstance(dist, d.Normal):
        return stats.norm, {"loc": dist.mu, "scale": dist.sigma}, None
    if isinstance(dist, d.LogNormal):
        return stats.lognorm, {"s": dist.sigma, "scale": math.exp(dist.mu)}, None
    if isinstance(dist, d.Uniform):
        return stats.uniform, {"loc": dist.lo, "scale": dist.hi - dist.lo}, None
    if isinstance(dist, d.Triangular):
        return stats.triang, {"c": dist._c, "loc": dist.lo, "scale": dist.hi - dist.lo}, None
    if isinstance(dist, d.Beta):  # also Beta-PERT
        return stats.beta, {"a": dist.a, "b": dist.b, "loc": dist.lo, "scale": dist.hi - dist.lo}, None
    if isinstance(dist, d.Gamma):
        return stats.gamma, {"a": dist.shape, "scale": dist.scale}, None
    if isinstance(dist, d.Choice):
        n = dist.values.size
        nummap = {float(i): float(v) for i, v in enumerate(dist.values)}
        return stats.rv_discrete, {"values": (np.arange(n), dist.probs)}, nummap
    if isinstance(dist, d.Truncated) and isinstance(dist.base, d.Normal):
        mu, sd = dist.base.mu, dist.base.sigma
        return stats.truncnorm, {"a": (dist.lo - mu) / sd, "b": (dist.hi - mu) / sd,
                                 "loc": mu, "scale": sd}, None
    return None


def law_mismatch(scenario) -> tuple[float, str]:
    """Largest |scipy ppf - ftsim ppf| / (ftsim p99 - p1) over the inputs mapped to scipy laws."""
    u = np.linspace(0.001, 0.999, 999)
    worst, where = 0.0, ""
    for key, item in scenario.all_inputs().items():
        law = scipy_law(item.dist) if item.is_random else None
        if law is None:
            continue
        rv, kwargs, nummap = law
        x = rv(**kwargs).ppf(u)
        if nummap is not None:
            x = np.array([nummap[float(i)] for i in x])
        ref = item.dist.ppf(u)
        scale = max(float(ref[-11] - ref[10]), 1e-300)
        err = float(np.max(np.abs(x - ref))) / scale
        if err > worst:
            worst, where = err, key
    return worst, where


def copula_pcts(scenario, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Correlated percentiles (Gaussian copula, Spearman -> Pearson 2 sin(pi rho / 6)) per key."""
    keys = sorted({c.a for c in scenario.correlations} | {c.b for c in scenario.correlations})
    if not keys:
        return {}
    pos = {k: i for i, k in enumerate(keys)}
    matrix = np.eye(len(keys))
    for c in scenario.correlations:
        matrix[pos[c.a], pos[c.b]] = matrix[pos[c.b], pos[c.a]] = 2.0 * math.sin(math.pi * c.rho / 6.0)
    z = rng.standard_normal((n, len(keys))) @ np.linalg.cholesky(matrix).T
    u = np.clip(special.ndtr(z), U_EPS, 1.0 - U_EPS)
    return {k: u[:, i] for k, i in pos.items()}


# ------------------------------------------------------- monaco's three case functions
# Module-level so monaco's multiprocessing workers can unpickle them.

def preprocess(case):
    """Case -> (model, static inputs of this path, seed of its dynamic draws)."""
    model: ReferenceModel = case.constvals["model"]
    static = dict(model.fixed)
    invals = case.invals  # a property that rebuilds its dict on every access: read it once
    for key, _, is_count in model.random_inputs:
        x = float(invals[key].val)
        static[key] = float(math.floor(x + 0.5)) if is_count else x
    return (model, static, case.seed)


def run(model: ReferenceModel, static: dict[str, float], seed: int):
    """One path: dynamic events from the case's own seed, then the month loop."""
    events = model.draw_events(static, random.Random(seed))
    outcomes = model.simulate_path(static, events)
    return tuple((o.payback_month, o.npv) for o in outcomes.values())


def postprocess(case, *per_option):
    model: ReferenceModel = case.constvals["model"]
    for option, (payback, npv) in zip(model.options, per_option, strict=True):
        case.addOutVal(f"{option.id}.payback_month", payback)
        case.addOutVal(f"{option.id}.npv", npv)


# ------------------------------------------------------------------------------ a run

def build_sim(scenario, cases: int, seed: int = 1, *, parallel: bool = False,
              ncores: int | None = None):
    """A monaco Sim of ``cases`` paths of the scenario (random sampling, no median case)."""
    model = ReferenceModel(scenario)
    sim = monaco.Sim(
        name="ftsim_model", ndraws=cases,
        fcns={"preprocess": preprocess, "run": run, "postprocess": postprocess},
        firstcaseismedian=False, samplemethod=monaco.SampleMethod.RANDOM, seed=seed,
        singlethreaded=not parallel, ncores=ncores, multiprocessing_method="fork" if parallel else None,
        verbose=False, debug=True,
    )
    sim.addConstVal("model", model)
    rng = np.random.default_rng(seed)
    pcts = copula_pcts(scenario, cases, rng)
    for key, dist, _ in model.random_inputs:
        law = scipy_law(dist)
        if law is None:  # no plain scipy law: draw with ftsim's ppf
            u = pcts.get(key)
            if u is None:
                u = np.clip(rng.random(cases), U_EPS, 1.0 - U_EPS)
            sim.addInVar(name=key, vals=dist.ppf(u).tolist())
            continue
        rv, kwargs, nummap = law
        sim.addInVar(name=key, dist=rv, distkwargs=kwargs, nummap=nummap,
                     pcts=pcts[key].tolist() if key in pcts else None)
    return sim, model


def outcomes(sim, model: ReferenceModel) -> dict[str, dict[str, np.ndarray]]:
    """Option id -> payback_month, npv arrays, read back from monaco's OutVars."""
    out = {}
    for option in model.options:
        out[option.id] = {
            "payback_month": np.asarray(sim.outvars[f"{option.id}.payback_month"].nums, dtype=float),
            "npv": np.asarray(sim.outvars[f"{option.id}.npv"].nums, dtype=float),
        }
    return out


def run_monaco(scenario, cases: int, seed: int = 1, *, parallel: bool = False,
               ncores: int | None = None) -> dict:
    """Build and run the Sim; time set-up (InVar draws) and runSim separately."""
    t0 = time.perf_counter()
    sim, model = build_sim(scenario, cases, seed, parallel=parallel, ncores=ncores)
    t1 = time.perf_counter()
    sim.runSim()
    t2 = time.perf_counter()
    result = outcomes(sim, model)
    sim._cleanup()  # shut down monaco's worker pool, if any
    return {"cases": cases, "parallel": parallel, "seconds_setup": t1 - t0,
            "seconds_run": t2 - t1, "seconds": t2 - t0, "horizon": model.horizon,
            "within": model.within, "options": result,
            "failed": cases - len(sim.casespostprocessed)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--parallel", action="store_true",
                        help="also run monaco's multiprocessing mode (fork, all cores)")
    parser.add_argument("--quick", action="store_true", help="100 cases")
    args = parser.parse_args(argv)
    import ftsim

    scenario = ftsim.load_scenario(args.scenario)
    cases = 100 if args.quick else args.cases
    worst, where = law_mismatch(scenario)
    print(f"scipy laws vs ftsim ppf: largest difference {worst:.2g} of the p1-p99 range ({where})")
    for parallel in ((False, True) if args.parallel else (False,)):
        r = run_monaco(scenario, cases, args.seed, parallel=parallel)
        pm = cases * r["horizon"]
        mode = "multiprocessing" if parallel else "single process"
        print(f"monaco ({mode}): {cases:,} cases in {r['seconds']:.2f} s "
              f"(set-up {r['seconds_setup']:.2f} s, runSim {r['seconds_run']:.2f} s) = "
              f"{cases / r['seconds']:,.0f} cases/s = {pm / r['seconds']:,.0f} path-months/s; "
              f"{r['failed']} failed cases")
        print_estimates(r["options"], r["within"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
