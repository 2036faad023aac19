"""``python -m ftsim stress SCENARIO``: the top drivers, each confined in turn to percentile
bands (0-10, 10-50, 50-90, 90-100 by default), every other draw unchanged; a table of
P(payback within N) and median NPV per band, and stress.csv / stress.json in a run folder.

The computing is in ftsim/core/studies/stress.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from ..core.result import Result
from ..core.runner import simulate
from ..core.studies.stress import (
    DEFAULT_BANDS,
    StressBand,
    StressStudy,
    check_stress,
    parse_band,
    stress_study,
    top_drivers,
)
from ..core.studies.sweep import DEFAULT_PATHS
from ..core.summary import summarize
from ..errors import ScenarioError
from ..format import format_money, format_number, format_probability
from ..output import atomic_write_text, csv_text, write_scenario_copy
from ..scenario import Scenario
from .common import check_memory, load, simulation_kwargs, staged_output, whole

__all__ = ["add_stress_arguments", "stress_command", "stress_text", "stress_rows"]

DEFAULT_TOP = 5


def _keys(text: str) -> list[str]:
    keys = [k.strip() for k in text.split(",") if k.strip()]
    if not keys:
        raise argparse.ArgumentTypeError(f"expected key paths separated by commas, got {text!r}")
    return keys


def _bands(text: str) -> list[tuple[float, float]]:
    try:
        bands = [parse_band(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if not bands:
        raise argparse.ArgumentTypeError(f"expected bands like 0:10,90:100, got {text!r}")
    return bands


def add_stress_arguments(parser: argparse.ArgumentParser) -> None:
    """``stress``'s own options (the common ones come from common.add_common)."""
    parser.add_argument("--inputs", type=_keys, default=None, metavar="K1,K2",
                        help="random inputs to stress, by key path (default: the top "
                             "drivers of each option, by their decile swing)")
    parser.add_argument("--top", type=whole(1, 50), default=DEFAULT_TOP, metavar="N",
                        help=f"drivers taken from each option (default {DEFAULT_TOP})")
    parser.add_argument("--bands", type=_bands, default=list(DEFAULT_BANDS),
                        metavar="LO:HI,...",
                        help="percentile bands (default 0:10,10:50,50:90,90:100)")


def _reporter(args: argparse.Namespace) -> Callable[[int, int], None] | None:
    if args.quiet or not sys.stderr.isatty():
        return None

    def report(done: int, total: int) -> None:
        print(f"\rband {done}/{total}", end="\n" if done == total else "", file=sys.stderr,
              flush=True)

    return report


def stress_rows(study: StressStudy) -> tuple[list[str], list[list[Any]]]:
    """stress.csv: one row per option and (input, band), the unstressed run first."""
    header = ["input", "label", "band_low", "band_high", "value_min", "value_max", "option",
              "p_payback_within", "p_payback_within_ci95_low", "p_payback_within_ci95_high",
              "change", "change_se", "npv_p50"]
    rows: list[list[Any]] = []
    for oid, o in study.base.items():
        rows.append(["", "unstressed", 0, 100, None, None, oid, o.p_payback, *o.ci95, None,
                     None, o.npv_p50])
    for row in study.rows:
        for oid, o in row.options.items():
            rows.append([row.input, row.label, row.low, row.high, row.value_min, row.value_max,
                         oid, o.p_payback, *o.ci95, o.change, o.change_se, o.npv_p50])
    return header, rows


def _value(x: float) -> str:
    """An input's value in a table cell: three significant digits, no long zero runs."""
    return format_number(x) if x == 0 or abs(x) >= 1e-3 else f"{x:.2g}"


def _aligned(rows: list[list[str]], right: tuple[bool, ...]) -> list[str]:
    """Rows of cells padded to their column's width (right-aligned where asked)."""
    widths = [max(len(row[j]) for row in rows) for j in range(len(rows[0]))]
    return ["  " + "  ".join(cell.rjust(w) if r else cell.ljust(w)
                             for cell, w, r in zip(row, widths, right, strict=True)).rstrip()
            for row in rows]


def stress_text(study: StressStudy, scenario: Scenario) -> str:
    """The terminal table: per option, its unstressed line, then each input's bands."""
    currency, n = scenario.currency, study.payback_within_months
    lines = [f"{scenario.name}: stress analysis",
             f"Each input confined to a percentile band of its law, every other draw unchanged; "
             f"{study.paths:,} paths per run, seed {study.seed} (common random numbers).",
             f"Change: P(payback within {n} months) in the band minus unstressed, paired path "
             "by path, ± its standard error.", ""]
    for oid, name in study.option_names.items():
        base = study.base[oid]
        lines.append(f"{name} [{oid}]: unstressed P(payback within {n}) "
                     f"{format_probability(base.p_payback)}, median NPV "
                     f"{format_money(base.npv_p50, currency)}")
        cells = [["input", "band", "values in the band", "P(payback)", "change",
                  "median NPV"]]
        for row in study.rows:
            o = row.options.get(oid)
            if o is None:
                continue
            assert o.change is not None and o.change_se is not None
            cells.append([row.label, f"P{row.low:g}-P{row.high:g}",
                          f"{_value(row.value_min)} to {_value(row.value_max)}",
                          format_probability(o.p_payback),
                          f"{100 * o.change:+.1f} ± {100 * o.change_se:.1f} pp",
                          format_money(o.npv_p50, currency)])
        lines += [*_aligned(cells, (False, False, True, True, True, True)), ""]
    return "\n".join(lines).rstrip()


def _paths_note(args: argparse.Namespace, scenario: Scenario, kwargs: dict[str, Any]) -> str:
    if args.paths is not None or scenario.paths <= DEFAULT_PATHS:
        return ""
    kwargs["paths"] = DEFAULT_PATHS
    return (f"Using {DEFAULT_PATHS:,} paths per run (the scenario asks for "
            f"{scenario.paths:,}; pass --paths to change).")


def stress_command(args: argparse.Namespace, command: str) -> int:
    """``python -m ftsim stress``: checked before anything runs (keys, bands, memory,
    --out); the unstressed run, then one run per input and band."""
    scenario = load(args)
    kwargs = simulation_kwargs(args)
    note = _paths_note(args, scenario, kwargs)
    if args.inputs is not None:
        issues = check_stress(scenario, [StressBand(k, 0, 100) for k in args.inputs],
                              where="--inputs")
        if issues:
            raise ScenarioError(issues)
    check_memory(scenario, kwargs, write_paths=False)
    with staged_output(args, f"{args.scenario.stem}-stress") as folder:
        started = time.perf_counter()
        write_scenario_copy(folder.path, scenario)

        def run(stressed_scenario: Scenario) -> Result:
            return simulate(stressed_scenario, **kwargs)

        base = run(scenario)
        keys = args.inputs or top_drivers(summarize(base, value_of_information=False),
                                          args.top)
        study = stress_study(scenario, base, keys, args.bands, run, on_point=_reporter(args))
        meta = {"command": command, "scenario": scenario.name, "file": str(args.scenario),
                "bands": [list(b) for b in args.bands], "currency": scenario.currency}
        atomic_write_text(folder.path / "stress.csv", csv_text(*stress_rows(study)))
        atomic_write_text(folder.path / "stress.json", json.dumps(
            {**meta, **study.to_dict()}, indent=2, allow_nan=False) + "\n")
        run_dir = folder.commit()
    if not args.quiet:
        if note:
            print(note)
        print(stress_text(study, scenario))
        print(f"Wrote {run_dir} in {time.perf_counter() - started:.1f} s")
    return 0

