"""Terminal text: the run's table, and the sweep and break-even views."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..format import format_money, format_points, format_probability, format_tokens
from ..report.sentences import VERDICT_WORDS, short_label, significant_drivers, verdict_reason

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..core.summary_types import OptionSummary, Summary

__all__ = ["format_table", "files_text", "breakeven_text", "sweep_text"]


_WIDTH = 92  # the why sentence is wrapped to this many columns
_REPORT_FILES = ("report.pdf", "report.html")


def _drivers_text(option: OptionSummary) -> str:
    """The three inputs that move P(payback) most, beyond Monte Carlo noise, with their swing
    (top tenth minus bottom tenth of the input's draws)."""
    rows = significant_drivers(option)[:3]
    return ", ".join(f"{short_label(row, option)} ({format_points(row.swing)})"
                     for row in rows) or "none beyond Monte Carlo noise"


def _option_lines(option: OptionSummary, summary: Summary) -> list[str]:
    """One option's block: the verdict and why, then the figures an analyst reads first,
    labels in one column and long values wrapped under their value column."""
    sim, cur = summary.simulation, summary.scenario.currency
    lo, hi = option.p_payback_within_ci95
    median = option.payback_month.p50
    npv = option.npv
    rows = [
        (f"P(payback within {sim.payback_within_months} months)",
         f"{format_probability(option.p_payback_within)}  (95% interval "
         f"{format_probability(lo)}–{format_probability(hi)}; required "
         f"{format_probability(sim.required_probability)})"),
        ("median payback month",
         str(median) if median is not None else f"not within {sim.horizon_months}"),
        ("NPV mean / P5", f"{format_money(npv.mean, cur)} / {format_money(npv.p5, cur)}"),
        ("NPV P50 / P95", f"{format_money(npv.p50, cur)} / {format_money(npv.p95, cur)}"),
        ("P(NPV < 0)", format_probability(option.p_npv_negative)),
        ("expected upfront cost", format_money(option.upfront_cost.mean, cur)),
        ("P(abandoned)", format_probability(option.p_abandoned)),
        ("top drivers of P(payback)", _drivers_text(option)),
    ]
    column = 2 + max(len(label) for label, _ in rows) + 2
    lines = [f"{option.name} [{option.id}]: {VERDICT_WORDS.get(option.verdict, option.verdict)}",
             *textwrap.wrap(verdict_reason(option, summary), _WIDTH, initial_indent="  ",
                            subsequent_indent="  ", break_on_hyphens=False)]
    for label, value in rows:
        lines += textwrap.wrap(value, _WIDTH, initial_indent=f"  {label}".ljust(column),
                               subsequent_indent=" " * column, break_on_hyphens=False)
    return lines


def format_table(summary: Summary) -> str:
    """The terminal view: a header line, then one block per option."""
    sim = summary.simulation
    lines = [f"{summary.scenario.name}: {sim.paths:,} paths, seed {sim.seed}, "
             f"{sim.sampler} sampler, {sim.horizon_months} months; baseline: "
             f"{summary.baseline_name}", ""]
    for option in summary.options.values():
        lines += [*_option_lines(option, summary), ""]
    return "\n".join(lines)


def files_text(run_dir: Path, written: Mapping[str, Path], *, seconds: float,
               simulation_seconds: float) -> str:
    """Where the run went: report.pdf and report.html when a report was written, and the
    folder with the time taken."""
    reports = [run_dir / name for name in _REPORT_FILES if name in written]
    lines = [f"{'Report' if i == 0 else '':<7}{path}" for i, path in enumerate(reports)]
    lines.append(f"Wrote {run_dir} in {seconds:.1f} s (simulation {simulation_seconds:.1f} s)")
    return "\n".join(lines)


def _describe_crossing(c: dict[str, Any], label: str, tokens: Sequence[float],
                       probabilities: Sequence[float]) -> str:
    lo, hi = format_tokens(tokens[0]), format_tokens(tokens[-1])
    if c["status"] == "below_grid":
        return (f"P reaches {label} at or below {lo} tokens/month (the grid's lowest point, "
                f"P = {probabilities[0]:.3f})")
    if c["status"] == "not_reached":
        best = int(np.argmax(probabilities))
        return (f"P never reaches {label} between {lo} and {hi} tokens/month (highest "
                f"P = {probabilities[best]:.3f} at {format_tokens(tokens[best])})")
    a, b = c["bracket"]
    text = (f"P reaches {label} at {format_tokens(c['tokens_per_month'])} tokens/month")
    if c["requests_per_month"]:
        text += f" (~{format_tokens(c['requests_per_month'])} requests/month)"
    text += (f", between {format_tokens(a['tokens_per_month'])} (P = {a['p']:.3f}) and "
             f"{format_tokens(b['tokens_per_month'])} (P = {b['p']:.3f})")
    if c["crossings"] > 1:
        text += f"; P crosses {label} {c['crossings']} times, the first is given"
    return text


def breakeven_text(curve: dict[str, Any]) -> str:
    """The terminal view of a break-even curve: the grid table and each option's break-evens."""
    n = curve["payback_within_months"]
    ids = list(curve["options"])
    lines = [f"{curve['scenario']}: break-even volume",
             f"P(payback within {n} months) against median tokens per month; "
             f"{curve['paths']:,} paths per point, seed {curve['seed']} at every point "
             "(common random numbers)", ""]
    header = f"{'tokens/month':>12}  {'requests/month':>14}" + "".join(f"  {i:>22}" for i in ids)
    lines.append(header)
    for j, tokens in enumerate(curve["tokens_per_month"]):
        row = f"{format_tokens(tokens):>12}  {format_tokens(curve['requests_per_month'][j]):>14}"
        row += "".join(f"  {curve['options'][i]['p_payback_within'][j]:>22.3f}" for i in ids)
        lines.append(row)
    own = curve["scenario_volume"]
    lines += ["", f"At the scenario's own volume (median {format_tokens(own['tokens_per_month'])}"
                  f" tokens/month): " + ", ".join(f"{i} {own['p_payback_within'][i]:.3f}"
                                                   for i in ids), ""]
    for option_id, option in curve["options"].items():
        p = option["p_payback_within"]
        lines.append(f"{option['name']} [{option_id}]")
        lines.append("  " + _describe_crossing(option["p50"], "0.5", curve["tokens_per_month"], p))
        lines.append("  " + _describe_crossing(
            option["required"], f"{curve['required_probability']:g} (required)",
            curve["tokens_per_month"], p))
    lo, hi = curve["marks"]
    lines += ["", f"The article puts break-even at {format_tokens(lo)}-{format_tokens(hi)} "
                  "tokens/month."]
    return "\n".join(lines)


def sweep_text(frame: pd.DataFrame, param: str, meta: dict[str, Any]) -> str:
    """The terminal view of a sweep: one line per value x option."""
    import pandas as pd  # lazy: pandas is heavy to import

    n = meta["payback_within_months"]
    lines = [f"{meta['scenario']}: sweep of {param} over {len(meta['values'])} values",
             f"{meta['paths']:,} paths per point, seed {meta['seed']} at every point "
             "(common random numbers)", ""]
    lines.append(f"{'value':>12}  {'option':<24} {'P(<= ' + str(n) + ' mo)':>11}  "
                 f"{'95% CI':>13}  {'median NPV':>12}  {'median payback':>14}  verdict")
    for row in frame.itertuples(index=False):
        month = "-" if pd.isna(row.payback_month_p50) else str(row.payback_month_p50)
        lines.append(
            f"{row.value!s:>12}  {row.option:<24} {row.p_payback_within:>11.3f}  "
            f"{row.p_payback_within_ci95_low:>6.3f}-{row.p_payback_within_ci95_high:<6.3f}  "
            f"{format_money(row.npv_p50, meta['currency']):>12}  {month:>14}  {row.verdict}")
    return "\n".join(lines)
