"""ftsim engine throughput: path-months per second at 10k / 100k / 1M paths, jobs 1 and 2,
and a chunk-size sweep that justifies runner.DEFAULT_CHUNK_SIZE.

Calls ``ftsim.simulate`` directly and times ``simulate`` and ``ftsim.summarize(result)``
(percentiles, payback curve, sensitivity) separately. Warm-up first: one serial run
(imports, distribution tables) and two small ``jobs=2`` runs, whose difference is
reported as the worker start-up cost (loky keeps its workers between calls, so the timed
runs below do not pay it).

Throughput units: path-months/s = paths x H / seconds (the whole scenario, all options
computed); option path-months/s = paths x H x options / seconds.

Run by hand::

    python benchmarks/bench_engine.py            # 10k, 100k, 1M; sweep at 200k
    python benchmarks/bench_engine.py --quick    # 10k, 100k; sweep at 50k
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import SCENARIO, best_median, fmt_rate, fmt_s, print_machine, table, write_json  # noqa: E402

CHUNK_SIZES = (2048, 4096, 8192, 16384, 32768)


def timed_run(scenario, paths: int, jobs: int, chunk_size: int, seed: int) -> dict[str, float]:
    import ftsim

    cpu0 = time.process_time()
    t0 = time.perf_counter()
    result = ftsim.simulate(scenario, paths=paths, seed=seed, jobs=jobs, chunk_size=chunk_size)
    t1 = time.perf_counter()
    ftsim.summarize(result)
    t2 = time.perf_counter()
    return {"simulate": t1 - t0, "summary": t2 - t1, "cpu_main": time.process_time() - cpu0}


def warm_up(scenario, seed: int, chunk_size: int) -> dict[str, float]:
    """Serial warm-up, then the first (cold: spawns loky workers) and second jobs=2 runs."""
    import ftsim

    t0 = time.perf_counter()
    ftsim.summarize(ftsim.simulate(scenario, paths=chunk_size, seed=seed, jobs=1, chunk_size=chunk_size))
    t1 = time.perf_counter()
    n = 4 * chunk_size
    cold = timed_run(scenario, n, 2, chunk_size, seed)["simulate"]
    warm = min(timed_run(scenario, n, 2, chunk_size, seed)["simulate"] for _ in range(2))
    return {"serial_first_run": t1 - t0, "jobs2_cold": cold, "jobs2_warm": warm,
            "worker_startup": cold - warm, "paths": n}


def throughput(scenario, sizes: list[int], jobs_list: list[int], repeat: int, seed: int,
               chunk_size: int) -> list[dict]:
    h, n_opt = scenario.horizon_months, len(scenario.options)
    rows = []
    for paths in sizes:
        for jobs in jobs_list:
            runs = [timed_run(scenario, paths, jobs, chunk_size, seed) for _ in range(repeat)]
            sim_best, sim_med = best_median([r["simulate"] for r in runs])
            sum_best, sum_med = best_median([r["summary"] for r in runs])
            rows.append({"paths": paths, "jobs": jobs, "repeat": repeat,
                         "simulate_best": sim_best, "simulate_median": sim_med,
                         "summary_best": sum_best, "summary_median": sum_med,
                         "cpu_main_median": best_median([r["cpu_main"] for r in runs])[1],
                         "path_months_per_s": paths * h / sim_med,
                         "option_path_months_per_s": paths * h * n_opt / sim_med,
                         "end_to_end_path_months_per_s": paths * h / (sim_med + sum_med)})
            r = rows[-1]
            print(f"  {paths:>9,} paths, jobs {jobs}: simulate {fmt_s(sim_med)} s, "
                  f"summary {fmt_s(sum_med)} s -> {fmt_rate(r['path_months_per_s'])} path-months/s",
                  flush=True)
    return rows


def sweep(scenario, paths: int, jobs: int, repeat: int, seed: int) -> list[dict]:
    h = scenario.horizon_months
    rows = []
    for chunk in CHUNK_SIZES:
        runs = [timed_run(scenario, paths, jobs, chunk, seed) for _ in range(repeat)]
        best, med = best_median([r["simulate"] for r in runs])
        rows.append({"chunk_size": chunk, "paths": paths, "jobs": jobs, "simulate_best": best,
                     "simulate_median": med, "path_months_per_s": paths * h / med,
                     # one (chunk, H) float64 array; the engine holds a few dozen at once
                     "mb_per_chunk_array": chunk * h * 8 / 1e6})
        print(f"  chunk {chunk:>6}: simulate {fmt_s(med)} s", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=SCENARIO)
    parser.add_argument("--quick", action="store_true", help="10k and 100k paths; sweep at 50k")
    parser.add_argument("--sizes", type=int, nargs="+", default=None)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=3, help="runs per cell (median reported)")
    parser.add_argument("--sweep-paths", type=int, default=None)
    parser.add_argument("--sweep-jobs", type=int, default=1)
    parser.add_argument("--no-sweep", action="store_true")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--json", type=Path, default=None, help="also write raw results here")
    args = parser.parse_args(argv)
    sizes = args.sizes or ([10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000])
    sweep_paths = args.sweep_paths or (50_000 if args.quick else 200_000)
    repeat = 2 if args.quick and args.repeat == 3 else args.repeat

    import ftsim
    from ftsim.core.runner import DEFAULT_CHUNK_SIZE

    info = print_machine("ftsim engine throughput (bench_engine.py)")
    scenario = ftsim.load_scenario(args.scenario)
    h, n_opt = scenario.horizon_months, len(scenario.options)
    print(f"scenario {args.scenario.name}: H = {h} months, {n_opt} options; "
          f"chunk size {DEFAULT_CHUNK_SIZE}; {repeat} runs per cell\n")

    w = warm_up(scenario, args.seed, DEFAULT_CHUNK_SIZE)
    print(f"warm-up: first serial run {fmt_s(w['serial_first_run'])} s; jobs=2 on {w['paths']:,} "
          f"paths: first {fmt_s(w['jobs2_cold'])} s, then {fmt_s(w['jobs2_warm'])} s -> worker "
          f"start-up about {fmt_s(w['worker_startup'])} s (paid once per process)\n")

    rows = throughput(scenario, sizes, args.jobs, repeat, args.seed, DEFAULT_CHUNK_SIZE)
    print("\n## Throughput (median of runs)\n")
    print(table(
        ["paths", "jobs", "simulate s", "summary s", "path-months/s", "option path-months/s",
         "path-months/s incl. summary", "paths/s"],
        [[f"{r['paths']:,}", r["jobs"], fmt_s(r["simulate_median"]), fmt_s(r["summary_median"]),
          fmt_rate(r["path_months_per_s"]), fmt_rate(r["option_path_months_per_s"]),
          fmt_rate(r["end_to_end_path_months_per_s"]), fmt_rate(r["path_months_per_s"] / h)]
         for r in rows]))

    sweep_rows = []
    if not args.no_sweep:
        print(f"\nchunk-size sweep at {sweep_paths:,} paths, jobs={args.sweep_jobs}:")
        sweep_rows = sweep(scenario, sweep_paths, args.sweep_jobs, repeat, args.seed)
        print(f"\n## Chunk-size sweep ({sweep_paths:,} paths, jobs={args.sweep_jobs}, median)\n")
        print(table(["chunk size", "simulate s", "path-months/s", "MB per (chunk, H) float64 array"],
                    [[f"{r['chunk_size']}{' (default)' if r['chunk_size'] == DEFAULT_CHUNK_SIZE else ''}",
                      fmt_s(r["simulate_median"]), fmt_rate(r["path_months_per_s"]),
                      f"{r['mb_per_chunk_array']:.1f}"] for r in sweep_rows]))
    write_json(args.json, {"machine": info, "warm_up": w, "throughput": rows, "sweep": sweep_rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
