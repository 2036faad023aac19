"""What value of information costs on top of a run, and what it says for support_bot (issue 12).

Per size (default 100,000 and 1,000,000 paths): simulate ``scenarios/support_bot.toml``
(jobs 1 and the default) and summarise it (the run a user waits for), then, from the run's
own per-path arrays, time

* EVPI (``ftsim.core.voi.evpi``, with preparing the net benefit);
* EVPPI of the first 20 random inputs (``evppi_single``), twice: sorting each input itself,
  and given each input's ``metrics.SortedSample`` (the summary already sorts every input
  once for its drivers: the wiring can hand those over);
* EVSI of two pilots (200 and 1,000 examples) on the error-rate gap of the option whose gap
  is worth most (``evsi_pilot``; one new argsort each);
* EVPPI of one group (``evppi_group``: the two price indices' declines and the volume).

and prints EVPI, the top five EVPPIs, the pilots' EVSI and decision rule, in the scenario's
currency. The pilot's per-example noise: the paired difference of two models' misses on
one labelled example, each missing about 10 % of answers independently: sqrt(2 x 0.1 x 0.9)
= 0.42 (support_bot's baseline_error_rate is 0.10).

Run by hand on an idle machine; note the load average printed first::

    python benchmarks/voi.py                     # 100k and 1M, best of 3
    python benchmarks/voi.py --quick             # 20k, once: checks the script works
    python benchmarks/voi.py --sizes 100000 --repeat 5 --json voi.json
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SCENARIO, fmt_s, print_machine, table, write_json  # noqa: E402

import ftsim  # noqa: E402
from ftsim.core.metrics import sort_sample  # noqa: E402
from ftsim.core.voi import evpi, evppi_single, evsi_pilot, net_benefit_sample  # noqa: E402
from ftsim.core.voi_group import evppi_group  # noqa: E402

PILOT_EXAMPLES = (200, 1000)
NOISE_PER_EXAMPLE = math.sqrt(2 * 0.1 * 0.9)
N_INPUTS = 20
GROUP = ("prices.api.annual_decline", "prices.gpu.annual_decline", "traffic.requests_per_month")


def _best_of(repeat: int, call: Callable[[], object]) -> tuple[float, object]:
    """Least wall time of ``repeat`` calls, and the last call's result."""
    best, result = math.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    return best, result


def _measure(paths: int, repeat: int, seed: int) -> dict[str, object]:
    scenario = ftsim.load_scenario(SCENARIO)
    run_s, result = _best_of(1, lambda: ftsim.simulate(scenario, paths=paths, seed=seed))
    summary_s, _ = _best_of(1, lambda: ftsim.summarize(result))
    nb = np.column_stack([np.zeros(paths)] + [o.npv for o in result.options.values()])
    option_ids = list(result.options)
    keys = list(result.inputs)[:N_INPUTS]
    inputs = {k: np.asarray(result.inputs[k], dtype=np.float64) for k in keys}
    sorted_inputs = {k: sort_sample(v) for k, v in inputs.items()}
    t_evpi, (sample, total) = _best_of(repeat, lambda: (s := net_benefit_sample(nb), evpi(s)))
    t_sorting, _ = _best_of(repeat, lambda: {k: evppi_single(v, sample) for k, v in inputs.items()})
    t_given, evppis = _best_of(repeat, lambda: {k: evppi_single(v, sample)
                                                for k, v in sorted_inputs.items()})
    all_evppi = {k: evppi_single(v, sample) for k, v in result.inputs.items()}
    gaps = [f"options.{o}.error_rate_gap" for o in option_ids]
    gap = max(gaps, key=lambda k: all_evppi[k].value)
    truth = np.asarray(result.inputs[gap], dtype=np.float64)
    t_pilots, pilots = _best_of(repeat, lambda: [
        evsi_pilot(truth, NOISE_PER_EXAMPLE, n, sample, np.random.default_rng(seed + n))
        for n in PILOT_EXAMPLES])
    group_xs = np.column_stack([np.asarray(result.inputs[k], dtype=np.float64) for k in GROUP])
    t_group, group = _best_of(repeat, lambda: evppi_group(group_xs, sample))
    assert isinstance(evppis, dict) and isinstance(pilots, list)
    top = sorted(all_evppi.items(), key=lambda kv: -kv[1].value)[:5]
    return {
        "paths": paths, "run_s": run_s, "summary_s": summary_s, "evpi_s": t_evpi,
        "evppi20_sorting_s": t_sorting, "evppi20_given_sorted_s": t_given, "pilots_s": t_pilots,
        "group_s": t_group, "decisions": ["baseline"] + option_ids, "best_now": sample.best,
        "evpi": (total.value, total.se), "top_evppi": [(k, r.value, r.se) for k, r in top],
        "evppi_inputs": len(evppis), "pilot_input": gap,
        "pilots": [(n, p.value, p.se, p.threshold, p.go_when) for n, p in
                   zip(PILOT_EXAMPLES, pilots, strict=True)],
        "group": (GROUP, group.value, group.se, group.value_cross_fitted,
                  [(f.model, f.r2, f.r2_cv) for f in group.fits]),
    }


def _print(rows: list[dict[str, object]]) -> None:
    timing = []
    for r in rows:
        base = float(r["run_s"]) + float(r["summary_s"])  # type: ignore[arg-type]
        core = float(r["evpi_s"]) + float(r["evppi20_sorting_s"]) + float(r["pilots_s"])  # type: ignore[arg-type]
        given = float(r["evpi_s"]) + float(r["evppi20_given_sorted_s"]) + float(r["pilots_s"])  # type: ignore[arg-type]
        timing.append([f"{r['paths']:,}", fmt_s(base), fmt_s(float(r["evpi_s"])),  # type: ignore[arg-type]
                       fmt_s(float(r["evppi20_sorting_s"])), fmt_s(float(r["evppi20_given_sorted_s"])),  # type: ignore[arg-type]
                       fmt_s(float(r["pilots_s"])), fmt_s(core), f"{100 * core / base:.1f} %",  # type: ignore[arg-type]
                       f"{100 * given / base:.1f} %", fmt_s(float(r["group_s"]))])  # type: ignore[arg-type]
    print(table(["paths", "simulate + summary s", "EVPI s", "20 EVPPI s (sorting)",
                 "20 EVPPI s (sorted inputs given)", "2 pilots s", "EVPI + 20 EVPPI + 2 pilots s",
                 "share of run", "share, sorted inputs given", "1 group of 3 s"], timing))
    for r in rows:
        print(f"\n## support_bot, {r['paths']:,} paths\n")
        value, se = r["evpi"]  # type: ignore[misc]
        decisions = r["decisions"]
        print(f"- best now: {decisions[r['best_now']]}; EVPI {value:,.0f} (se {se:,.0f})\n")  # type: ignore[index]
        print(table(["input", "EVPPI", "se"], [[k, f"{v:,.0f}", f"{s:,.0f}"]
                                               for k, v, s in r["top_evppi"]]))  # type: ignore[attr-defined]
        print(f"\npilots on {r['pilot_input']} (noise {NOISE_PER_EXAMPLE:.2f} per example):\n")
        print(table(["examples", "EVSI", "se", "threshold g*", "go when"],
                    [[n, f"{v:,.0f}", f"{s:,.0f}", "none" if t is None else f"{t:.4f}", w or "-"]
                     for n, v, s, t, w in r["pilots"]]))  # type: ignore[attr-defined]
        names, gv, gse, gcf, fits = r["group"]  # type: ignore[misc]
        print(f"\ngroup {', '.join(names)}: EVPPI {gv:,.0f} (se {gse:,.0f}), cross-fitted {gcf:,.0f}; "
              f"fits {fits}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--quick", action="store_true", help="20k paths, once")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    sizes, repeat = ([20_000], 1) if args.quick else (args.sizes, args.repeat)
    info = print_machine("Value of information: cost and figures (benchmarks/voi.py)")
    rows = [_measure(n, repeat, args.seed) for n in sizes]
    _print(rows)
    write_json(args.json, {"machine": info, "rows": rows})


if __name__ == "__main__":
    main()
