"""The report of a retraining-policy search (``python -m ftsim optimize --report``): one
Document, rendered by the report's own renderers as PDF, HTML and Markdown."""

from __future__ import annotations

from datetime import datetime

from ..core.studies.optimize_types import PolicyOptimization
from ..figures.optimize import STEM
from ..format import format_money, format_probability
from .blocks import Callout, Cell, Document, Figure, Heading, KeyFacts, Table, Tone, para

__all__ = ["optimize_document"]


def _gain_tone(search: PolicyOptimization) -> Tone:
    diff = search.best_vs_own
    if diff is None:
        return "muted"
    return "good" if diff.distinguishable and diff.mean > 0 else "warn"


def _table(search: PolicyOptimization) -> Table:
    money = search.money
    rows = []
    for o, mark in search.by_npv():
        lo, hi = o.npv_ci95
        p_lo, p_hi = o.p_payback_within_ci95
        kinds = mark.split(", ")
        tone: Tone = "good" if "best" in kinds else "muted" if "own" in kinds else None
        rows.append((Cell(o.policy.label, tone=tone, bold=bool(mark)), money(o.npv_mean),
                     f"{format_money(lo, '')} to {money(hi)}",
                     format_probability(o.p_payback_within),
                     f"{format_probability(p_lo)}-{format_probability(p_hi)}",
                     f"{o.retrains_mean:.1f}", mark))
    n = search.payback_within_months
    return Table(("Policy", "E[NPV]", "95% interval", f"P(payback ≤ {n} mo)",
                  "95% interval (Wilson)", "Retrains", ""), tuple(rows), align="lrrrrrl",
                 widths=(3.4, 1.2, 2.2, 1.3, 1.6, 1.0, 1.1),
                 caption="Every policy, by E[NPV]; the intervals are each policy's own, "
                         "the differences between policies (above) are paired and far tighter.")


def optimize_document(search: PolicyOptimization, *, command: str,
                      generated_at: datetime) -> Document:
    """The policy search as a report: verdict, key figures, the chart, the table, the method."""
    best, own = search.outcomes[search.best_npv], search.outcomes[search.own]
    gain = search.best_vs_own
    facts = [("Best by E[NPV]", best.policy.label),
             ("Its E[NPV]", f"{format_money(best.npv_mean, search.currency)} "
                            f"(se {format_money(best.npv_se, search.currency)})"),
             ("Scenario's own policy", own.policy.label)]
    if gain is not None:
        sign = "+" if gain.mean > 0 else ""
        facts.append(("Gain over own (paired se)",
                      f"{sign}{format_money(gain.mean, search.currency)} "
                      f"({format_money(gain.se, search.currency)})"))
    by_p = search.outcomes[search.best_payback]
    facts += [(f"Best by P(payback ≤ {search.payback_within_months} mo)",
               f"{by_p.policy.label}, {format_probability(by_p.p_payback_within)}"),
              ("Policies x paths", f"{len(search.outcomes)} x {search.paths:,}, seed "
                                   f"{search.seed}, {search.seconds:.1f} s")]
    blocks = (
        Callout(f"Best policy: {best.policy.label}",
                tuple(para(text) for text in search.statements()), tone=_gain_tone(search)),
        KeyFacts(tuple(facts)),
        Figure(STEM, "E[NPV] against the calendar cadence, one line with on-drift retraining "
                     "off and one per lag with it on; each policy's own 95% interval.",
               f"Line chart of expected NPV by retraining cadence for {search.option_name}; "
               f"the best policy is {best.policy.label}."),
        _table(search),
        Heading("How this was computed", 2),
        para("Every policy was simulated on the same paths (same seed and draws: traffic, "
             "prices, drift events, base-model updates and the option's inputs), so the "
             "difference of two policies on a path is the policy's effect alone. The "
             "standard error of a mean difference is the standard deviation of the per-path "
             "differences over the square root of the number of paths; a difference beyond "
             "two of them is called distinguishable."),
        para("The best of many policies is chosen on the paths it is measured on, so its "
             "lead is optimistic. The split-sample check chooses on the first half of the "
             "paths and measures on the second half, which is not."),
        para("Scheduled retrains count live months from go-live; on-drift retraining fires "
             "when the oldest unhandled shift is the lag old; a retrain of any kind clears "
             "every shift so far and costs the option's retrain cost (a base-model update "
             "forces a rebuild whatever the policy). Monitoring cost is the option's "
             "maintenance cost as written, the same for every policy.", small=True),
    )
    return Document(
        title=f"Retraining policy: {search.option_name}",
        subtitle=f"{search.scenario} · option {search.option_id} · "
                 f"{generated_at:%Y-%m-%d %H:%M}",
        footer=command or "ftsim optimize", blocks=blocks)
