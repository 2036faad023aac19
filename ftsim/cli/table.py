"""Terminal text: the run's table, and the sweep and break-even views."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..format import format_money, format_tokens

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..core.summary_types import Summary

__all__ = ["format_table", "breakeven_text", "sweep_text"]


def format_table(summary: Summary) -> str:
    """The terminal view: one block per option with the figures an analyst reads first."""
    sim, cur = summary.simulation, summary.scenario.currency
    within = sim.payback_within_months
    lines = [f"{summary.scenario.name}: {sim.paths:,} paths, seed {sim.seed}, "
             f"{sim.sampler} sampler, {sim.horizon_months} months; baseline: "
             f"{summary.baseline_name}", ""]
    for option_id, o in summary.options.items():
        lo, hi = o.p_payback_within_ci95
        median = o.payback_month.p50
        median_text = str(median) if median is not None else f"not within {sim.horizon_months}"
        npv = o.npv
        drivers = ", ".join(
            f"{row.input} (rho {row.spearman:+.2f})"
            for row in o.sensitivity[:3] if row.spearman is not None) or "none"
        lines += [
            f"{o.name} [{option_id}]: {o.verdict.upper()}",
            f"  P(payback within {within} months)  {o.p_payback_within:.3f}  "
            f"(95% CI {lo:.3f}-{hi:.3f}; required {sim.required_probability:.2f})",
            f"  median payback month             {median_text}",
            f"  NPV P5 / P50 / P95               {format_money(npv.p5, cur)} / "
            f"{format_money(npv.p50, cur)} / {format_money(npv.p95, cur)}",
            f"  expected upfront cost            {format_money(o.upfront_cost.mean, cur)}",
            f"  P(abandoned)                     {o.p_abandoned:.3f}",
            f"  top drivers                      {drivers}",
            "",
        ]
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
