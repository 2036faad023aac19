"""Cross-check ftsim's engine against the plain per-path loop (benchmarks/reference_loop.py).

Two checks, both on the same scenario:

* ``exact`` (default on): the loop is fed ftsim's own draws for chunk 0 (static inputs
  from ``ftsim.core.sampling.sample_static``, the traffic noise, price events, drift events and
  base-model updates from the same ``ftsim.rng`` streams that ``ftsim.core.chunk.run_chunk``
  uses) and must reproduce ftsim's per-path outcomes up to floating-point rounding
  (MODEL.md preamble: "two correct implementations agree on every path ... given the
  same sampled inputs"). This pins a formula disagreement to individual paths.
* ``stat``: each implementation draws its own paths (different random streams); the
  means of P(payback <= N), NPV, upfront, TCO, retrains and P(abandoned) must agree
  within Monte Carlo error. Reported as the difference in standard errors of the
  difference (|z| <= 4 expected for every figure).

Run by hand::

    python benchmarks/check_reference.py [--quick] [--loop-paths 20000] [--ftsim-paths 200000]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import reference_loop  # noqa: E402
from reference_loop import DEFAULT_SCENARIO, PathEvents, ReferenceModel  # noqa: E402

FIELDS = ("payback_month", "npv", "upfront", "tco_baseline", "tco_option", "abandoned", "retrains")


# --------------------------------------------------------------------------- exact check
def ftsim_draws(scenario, n_paths: int, seed: int, chunk_size: int):
    """ftsim's static inputs and dynamic events of chunk 0, rebuilt from its streams.

    Mirrors ftsim.core.chunk.run_chunk (stream names and draw order); if those change, the
    exact check reports mismatches on every path rather than silently passing.
    """
    from ftsim.core.dynamics import poisson_counts
    from ftsim.core.sampling import sample_static
    from ftsim.rng import U_MIN, stream

    h = scenario.horizon_months
    static = sample_static(scenario, n_paths, seed=seed, chunk_index=0, chunk_size=chunk_size,
                           sampler="random")
    # ftsim draws month-major (H, paths); transpose to one row per path for the loop
    z = stream(seed, 0, "world.traffic").standard_normal((h, n_paths)).T
    index_events = {}
    for name, spec in scenario.price_indices.items():
        rng = stream(seed, 0, f"world.prices.{name}")
        counts = poisson_counts(rng, static[f"prices.{name}.events_per_year"], h)
        u = np.clip(rng.random(int(counts.sum())), U_MIN, 1.0 - U_MIN)
        mult = spec.event_multiplier.ppf(u)
        ends = np.cumsum(counts.ravel())  # multipliers follow the (month, path) cell order
        starts = ends - counts.ravel()
        cells = [mult[a:b].tolist() for a, b in zip(starts, ends, strict=True)]
        index_events[name] = [[cells[j * n_paths + i] for j in range(h)] for i in range(n_paths)]
    drift = poisson_counts(stream(seed, 0, "world.drift"), static["drift.events_per_year"], h).T
    updates = {oid: poisson_counts(stream(seed, 0, f"option.{oid}.base_model_updates"),
                                   static[f"options.{oid}.maintenance.base_model_updates_per_year"],
                                   h).T
               for oid in scenario.options}
    per_path = []
    for i in range(n_paths):
        s = {k: float(v[i]) for k, v in static.items()}
        ev = PathEvents(z=z[i].tolist(),
                        index_events={name: cells[i] for name, cells in index_events.items()},
                        drift_counts=drift[i].tolist(),
                        updates={oid: u[i].tolist() for oid, u in updates.items()})
        per_path.append((s, ev))
    return per_path


def exact_check(scenario, n_paths: int, seed: int) -> bool:
    from ftsim.core.chunk import run_chunk

    chunk_size = max(n_paths, 1)
    chunk = run_chunk(scenario, 0, n_paths, seed=seed, sampler="random", chunk_size=chunk_size)
    model = ReferenceModel(scenario)
    loop = reference_loop.collect([model.simulate_path(s, ev)
                                   for s, ev in ftsim_draws(scenario, n_paths, seed, chunk_size)],
                                  list(scenario.options))
    print(f"\n## Exact check: loop fed ftsim's draws, {n_paths:,} paths (seed {seed}, chunk 0)\n")
    print("| option | field | mismatching paths | max abs diff | max rel diff |")
    print("|---|---|---:|---:|---:|")
    ok = True
    for oid, opt in chunk.options.items():
        for field in FIELDS:
            a = np.asarray(getattr(opt, field), dtype=float)
            b = loop[oid][field].astype(float)
            diff = np.abs(a - b)
            rel = diff / np.maximum(np.abs(a), 1.0)
            if field in ("payback_month", "abandoned", "retrains"):
                bad = diff > 0
            else:
                bad = rel > 1e-9
            ok &= not bad.any()
            print(f"| {oid} | {field} | {int(bad.sum())} | {diff.max():.3g} | {rel.max():.3g} |")
            if bad.any():
                idx = np.flatnonzero(bad)[:5]
                print(f"|  | first paths | {idx.tolist()} | ftsim {a[idx].tolist()} | "
                      f"loop {b[idx].tolist()} |")
    print(f"\nexact check: {'PASS' if ok else 'FAIL'}")
    return ok


# --------------------------------------------------------------------- statistical check
def _mean_se(x: np.ndarray) -> tuple[float, float]:
    x = np.asarray(x, dtype=float)
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(x.size))


def ftsim_fields(result) -> dict[str, dict[str, np.ndarray]]:
    return {oid: {f: np.asarray(getattr(opt, f)) for f in FIELDS} for oid, opt in result.options.items()}


def compare(a: dict[str, dict[str, np.ndarray]], b: dict[str, dict[str, np.ndarray]], within: int,
            label_a: str, label_b: str) -> float:
    """Print a table of per-option figures of two independent runs; return the largest |z|."""
    print(f"| option | figure | {label_a} | {label_b} | diff | z = diff / SE |")
    print("|---|---|---:|---:|---:|---:|")
    worst = 0.0
    for oid in a:
        fa, fb = a[oid], b[oid]
        figures = {
            f"P(payback <= {within})": lambda f: ((f["payback_month"] > 0)
                                                 & (f["payback_month"] <= within)).astype(float),
            "P(payback <= 6)": lambda f: ((f["payback_month"] > 0)
                                          & (f["payback_month"] <= 6)).astype(float),
            "P(payback <= H)": lambda f: (f["payback_month"] > 0).astype(float),
            "P(abandoned)": lambda f: f["abandoned"].astype(float),
            "mean NPV": lambda f: f["npv"],
            "mean upfront": lambda f: f["upfront"],
            "mean TCO baseline": lambda f: f["tco_baseline"],
            "mean TCO option": lambda f: f["tco_option"],
            "mean retrains": lambda f: f["retrains"].astype(float),
        }
        for name, fn in figures.items():
            ma, sa = _mean_se(fn(fa))
            mb, sb = _mean_se(fn(fb))
            se = math.hypot(sa, sb)
            z = (ma - mb) / se if se > 0 else (0.0 if ma == mb else math.inf)
            worst = max(worst, abs(z))
            flag = "" if abs(z) <= 4 else " **"
            print(f"| {oid} | {name} | {ma:,.4g} | {mb:,.4g} | {ma - mb:+,.4g} | {z:+.2f}{flag} |")
    return worst


def stat_check(scenario, loop_paths: int, ftsim_paths: int, seed: int, jobs: int) -> bool:
    import ftsim

    t0 = time.perf_counter()
    res = ftsim.simulate(scenario, paths=ftsim_paths, seed=seed, jobs=jobs)
    t1 = time.perf_counter()
    loop = reference_loop.run(scenario, loop_paths, seed=seed + 1)
    print(f"\n## Statistical check: ftsim {ftsim_paths:,} paths ({t1 - t0:.1f} s) vs loop "
          f"{loop_paths:,} paths ({loop.seconds:.1f} s), independent streams\n")
    worst = compare(ftsim_fields(res), loop.options, scenario.payback_within_months,
                    "ftsim", "loop")
    ok = worst <= 4.0
    print(f"\nstatistical check: largest |z| = {worst:.2f} -> {'PASS' if ok else 'FAIL'} "
          "(|z| <= 4 expected; ** marks |z| > 4)")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument("--loop-paths", type=int, default=20_000)
    parser.add_argument("--ftsim-paths", type=int, default=200_000)
    parser.add_argument("--exact-paths", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--skip-exact", action="store_true")
    parser.add_argument("--skip-stat", action="store_true")
    parser.add_argument("--quick", action="store_true",
                        help="exact 1,000 paths; loop 2,000 vs ftsim 50,000")
    args = parser.parse_args(argv)
    if args.quick:
        args.loop_paths, args.ftsim_paths, args.exact_paths = 2_000, 50_000, 1_000
    import ftsim

    scenario = ftsim.load_scenario(args.scenario)
    print(f"scenario: {args.scenario}")
    ok = True
    if not args.skip_exact:
        ok &= exact_check(scenario, args.exact_paths, args.seed)
    if not args.skip_stat:
        ok &= stat_check(scenario, args.loop_paths, args.ftsim_paths, args.seed, args.jobs)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
