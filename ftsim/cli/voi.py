"""``python -m ftsim voi SCENARIO``: simulate, then print what is worth learning before
deciding (EVPI, each input's EVPPI, the scenario's groups and pilots); no run folder.

The numbers are the summary's ``value_of_information`` (ftsim/core/voi_summary.py),
computed here even when the scenario says ``[voi] enabled = false``.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap

from ..core.runner import simulate
from ..core.summary import json_safe, summarize
from ..core.summary_types import Summary, ValueOfInformation
from ..format import format_count, format_money, format_months, format_probability
from ..report.voi import pilot_rule
from .common import check_memory, load, progress, simulation_kwargs, whole

__all__ = ["add_voi_arguments", "voi_command", "voi_text"]

EXIT_OK = 0
_LABEL_WIDTH = 56


def add_voi_arguments(parser: argparse.ArgumentParser) -> None:
    """``voi``'s own options (the common ones come from common.add_common)."""
    parser.add_argument("--top", type=whole(1, 1000), default=10, metavar="N",
                        help="inputs listed, largest value first (default 10)")
    parser.add_argument("--json", action="store_true",
                        help="print summary.json's value_of_information on stdout instead")


def _pm(value: float, se: float, currency: str) -> str:
    return f"{format_money(value, currency)} ± {format_count(1.96 * se)}"


def _cut(text: str, width: int = _LABEL_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _input_lines(voi: ValueOfInformation, currency: str, top: int) -> list[str]:
    lines = ["", "What each input is worth knowing before deciding (EVPPI, ± 95% error):",
             f"  {'input':<{_LABEL_WIDTH}}  {'EVPPI':>22}  {'of EVPI':>7}"]
    if not voi.evppi:
        lines.append("  none: every input is fixed")
    for row in voi.evppi[:top]:
        share = format_probability(voi.share_of_evpi(row.value))
        mark = "" if row.worth_learning else "  (little or noise)"
        lines.append(f"  {_cut(row.label):<{_LABEL_WIDTH}}  "
                     f"{_pm(row.value, row.se, currency):>22}  {share:>7}{mark}")
    if len(voi.evppi) > top:
        lines.append(f"  ... {len(voi.evppi) - top} more (--top N)")
    return lines


def _group_lines(voi: ValueOfInformation, summary: Summary) -> list[str]:
    currency = summary.scenario.currency
    lines = ["", "Groups (inputs learnt together, by regression):"] if voi.groups else []
    for group in voi.groups:
        fits = "; ".join(f"{f.option} {f.model}, CV R² "
                         f"{'n/a' if f.r2_cv is None else f'{max(f.r2_cv, 0.0):.2f}'}"
                         for f in group.fits)
        lines += [f"  {group.name}: {_pm(group.value, group.se, currency)} (cross-fitted "
                  f"{format_money(group.value_cross_fitted, currency)})",
                  *textwrap.wrap(", ".join(group.labels), 92, initial_indent="    ",
                                 subsequent_indent="    "),
                  *textwrap.wrap(f"fit: {fits}", 92, initial_indent="    ",
                                 subsequent_indent="      ")]
    return lines


def _pilot_lines(voi: ValueOfInformation, summary: Summary) -> list[str]:
    currency = summary.scenario.currency
    lines = ["", "Pilots:"] if voi.pilots else []
    for p in voi.pilots:
        delay = f" + {format_money(p.delay_cost, currency)} for deciding later" \
            if p.delay_cost else ""
        lines += [f"  {p.name}: {p.examples:,} examples over {format_months(p.duration_months)}"
                  f", measures {p.label}",
                  f"    worth {_pm(p.evsi, p.se, currency)} (EVSI), "
                  f"{format_money(p.worth_today, currency)} today; costs "
                  f"{format_money(p.cost, currency)}{delay}; net "
                  f"{format_money(p.net_value, currency)}",
                  f"    {pilot_rule(p, summary)}"]
    return lines


def voi_text(summary: Summary, top: int = 10) -> str:
    """The terminal table of a summary's value of information."""
    voi = summary.value_of_information
    if voi is None:
        return "No value of information: the run has no option or an NPV that is not finite."
    currency = summary.scenario.currency
    sim = summary.simulation
    now = voi.decision_now_name if voi.decision_now is not None else \
        f"keep {voi.decision_now_name}"
    lines = [f"What is worth learning before deciding: {summary.scenario.name}",
             f"({sim.paths:,} paths, seed {sim.seed}, money in {currency})", "",
             f"Decision now: {now} (expected NPV {format_money(voi.expected_npv_now, currency)})",
             f"Knowing everything before deciding (EVPI): {_pm(voi.evpi.value, voi.evpi.se, currency)}",
             *_input_lines(voi, currency, top), *_group_lines(voi, summary),
             *_pilot_lines(voi, summary)]
    return "\n".join(lines)


def voi_command(args: argparse.Namespace, command: str = "") -> int:
    """Simulate the scenario, compute its value of information, print it (or its JSON)."""
    scenario = load(args)
    kwargs = simulation_kwargs(args)
    check_memory(scenario, kwargs, write_paths=False)
    with progress(args, args.quiet or args.json) as bar:
        result = simulate(scenario, progress=bar, **kwargs)
    summary = summarize(result, value_of_information=True)
    if args.json:
        voi = summary.value_of_information
        print(json.dumps(json_safe(None if voi is None else voi.to_dict()), indent=2,
                         allow_nan=False))
    elif not args.quiet:
        print(voi_text(summary, args.top))
    sys.stdout.flush()
    return EXIT_OK
