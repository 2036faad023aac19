"""ftsim vs a plain per-path Python loop vs the monaco library, in one run, on one scenario.

All three implement the same model (MODEL.md section 4) on the same scenario file:

* ftsim: ``ftsim.simulate`` (vectorised over paths, chunked; jobs 1 and 2);
* loop: benchmarks/reference_loop.py, one path at a time, scalar draws, Python floats;
* monaco: benchmarks/monaco_model.py, monaco 0.23 ``Sim`` with one case per path
  (monaco draws the static inputs vectorised; each case runs the reference month loop),
  single process and (``--monaco-parallel``) monaco's multiprocessing mode.

Each runs at a size that takes a few seconds, ``--repeat`` times (median reported), and
throughput is path-months per second (paths x H / seconds; every implementation computes
every option of the scenario). The same-model claim is checked in the same run: each
implementation's P(payback <= N) and mean NPV are printed with their standard errors
and the difference from ftsim in standard errors (|z| <= 4 expected).

Run by hand::

    python benchmarks/bench_compare.py [--quick] [--monaco-parallel]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import monaco_model  # noqa: E402
import reference_loop  # noqa: E402
from _common import SCENARIO, fmt_rate, fmt_s, print_machine, table, write_json  # noqa: E402


def _median(xs: list[float]) -> float:
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=SCENARIO)
    parser.add_argument("--quick", action="store_true",
                        help="loop 300 paths, monaco 200 cases, ftsim 50,000 paths, 1 run each")
    parser.add_argument("--loop-paths", type=int, default=2_000)
    parser.add_argument("--monaco-cases", type=int, default=2_000)
    parser.add_argument("--ftsim-paths", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--monaco-parallel", action="store_true",
                        help="also run monaco's multiprocessing mode (all cores)")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.loop_paths, args.monaco_cases, args.ftsim_paths, args.repeat = 300, 200, 50_000, 1

    import ftsim

    info = print_machine("ftsim vs per-path loop vs monaco (bench_compare.py)")
    scenario = ftsim.load_scenario(args.scenario)
    h, within = scenario.horizon_months, scenario.payback_within_months
    print(f"scenario {args.scenario.name}: H = {h}, {len(scenario.options)} options; "
          f"{args.repeat} run(s) each, median reported\n")

    # Warm-up: imports, distribution tables, loky workers (start-up is not throughput).
    ftsim.summarize(ftsim.simulate(scenario, paths=8192, seed=args.seed, jobs=1))
    ftsim.simulate(scenario, paths=4 * 8192, seed=args.seed, jobs=2)
    reference_loop.run(scenario, 20, seed=0)
    monaco_model.run_monaco(scenario, 20, seed=0)

    rows: list[dict] = []
    outcomes: dict[str, dict] = {}

    def record(name: str, paths: int, seconds: list[float], extra: dict | None = None) -> dict:
        med = _median(seconds)
        row = {"implementation": name, "paths": paths, "seconds_median": med,
               "seconds_all": seconds, "path_months_per_s": paths * h / med, **(extra or {})}
        rows.append(row)
        print(f"  {name}: {paths:,} paths, {fmt_s(med)} s -> "
              f"{fmt_rate(row['path_months_per_s'])} path-months/s", flush=True)
        return row

    # 1. the per-path loop
    loops = [reference_loop.run(scenario, args.loop_paths, seed=args.seed + i)
             for i in range(args.repeat)]
    record("per-path Python loop", args.loop_paths, [r.seconds for r in loops])
    months_only = [r.seconds_events + r.seconds_months for r in loops]
    record("  (loop without its static draws)", args.loop_paths, months_only,
           {"note": "events + month loops only"})
    outcomes["loop"] = loops[0].options
    last = loops[-1]
    share_static = last.seconds_static / last.seconds

    # 2. monaco, single process (and parallel)
    runs = [monaco_model.run_monaco(scenario, args.monaco_cases, seed=args.seed + i)
            for i in range(args.repeat)]
    record("monaco 0.23, single process", args.monaco_cases, [r["seconds"] for r in runs],
           {"failed_cases": runs[0]["failed"]})
    outcomes["monaco"] = runs[0]["options"]
    if args.monaco_parallel:
        runs = [monaco_model.run_monaco(scenario, args.monaco_cases, seed=args.seed + i,
                                        parallel=True) for i in range(args.repeat)]
        record("monaco 0.23, multiprocessing (all cores)", args.monaco_cases,
               [r["seconds"] for r in runs])

    # 3. ftsim
    ftsim_rows = {}
    for jobs in (1, 2):
        seconds, summaries = [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            res = ftsim.simulate(scenario, paths=args.ftsim_paths, seed=args.seed, jobs=jobs)
            t1 = time.perf_counter()
            ftsim.summarize(res)
            summaries.append(time.perf_counter() - t1)
            seconds.append(t1 - t0)
        ftsim_rows[jobs] = record(f"ftsim, jobs={jobs}", args.ftsim_paths, seconds,
                                  {"summary_seconds_median": _median(summaries)})
    outcomes["ftsim"] = {oid: {"payback_month": o.payback_month, "npv": o.npv}
                         for oid, o in res.options.items()}

    print("\n## Throughput (median of runs)\n")
    f1, f2 = ftsim_rows[1]["path_months_per_s"], ftsim_rows[2]["path_months_per_s"]
    print(table(["implementation", "paths", "seconds", "path-months/s", "ftsim jobs=1 / this",
                 "ftsim jobs=2 / this"],
                [[r["implementation"], f"{r['paths']:,}", fmt_s(r["seconds_median"]),
                  fmt_rate(r["path_months_per_s"]), f"{f1 / r['path_months_per_s']:,.0f}x",
                  f"{f2 / r['path_months_per_s']:,.0f}x"] for r in rows]))
    loop_pm = rows[0]["path_months_per_s"]
    mon_pm = next(r for r in rows if r["implementation"].startswith("monaco"))["path_months_per_s"]
    ratios = {"ftsim_jobs1_over_loop": f1 / loop_pm, "ftsim_jobs2_over_loop": f2 / loop_pm,
              "ftsim_jobs1_over_monaco": f1 / mon_pm, "ftsim_jobs2_over_monaco": f2 / mon_pm}
    print(f"\nratios: ftsim/loop = {ratios['ftsim_jobs2_over_loop']:,.0f}x (jobs=2), "
          f"{ratios['ftsim_jobs1_over_loop']:,.0f}x (jobs=1, core for core); ftsim/monaco = "
          f"{ratios['ftsim_jobs2_over_monaco']:,.0f}x (jobs=2), "
          f"{ratios['ftsim_jobs1_over_monaco']:,.0f}x (jobs=1). The loop spends "
          f"{100 * share_static:.0f}% of its time drawing static inputs (scalar ppf calls).")

    print("\n## Same model: P(payback within N) and mean NPV per implementation\n")
    summ = {name: reference_loop.summarize(o, within) for name, o in outcomes.items()}
    tab = []
    for oid in scenario.options:
        ref = summ["ftsim"][oid]
        for name in ("ftsim", "loop", "monaco"):
            s = summ[name][oid]
            zp = (s["p_payback_within"] - ref["p_payback_within"]) / math.hypot(
                s["p_payback_within_se"], ref["p_payback_within_se"]) if name != "ftsim" else 0.0
            zn = (s["npv_mean"] - ref["npv_mean"]) / math.hypot(
                s["npv_mean_se"], ref["npv_mean_se"]) if name != "ftsim" else 0.0
            tab.append([oid, name, f"{s['n']:,}",
                        f"{s['p_payback_within']:.4f} +- {s['p_payback_within_se']:.4f}",
                        "" if name == "ftsim" else f"{zp:+.2f}",
                        f"{s['npv_mean']:,.0f} +- {s['npv_mean_se']:,.0f}",
                        "" if name == "ftsim" else f"{zn:+.2f}"])
    print(table(["option", "implementation", "paths", f"P(payback <= {within}) +- SE",
                 "z vs ftsim", "mean NPV +- SE", "z vs ftsim"], tab, "lllrrrr"))
    write_json(args.json, {"machine": info, "rows": rows, "ratios": ratios,
                           "loop_static_share": share_static, "same_model": summ})
    return 0


if __name__ == "__main__":
    sys.exit(main())
