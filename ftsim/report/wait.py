"""The report of a wait analysis (``python -m ftsim wait --report``): one Document, rendered by
the report's own renderers as PDF, HTML and Markdown."""

from __future__ import annotations

from datetime import datetime

from ..core.studies.wait_types import WaitAnalysis, WaitRow
from ..figures.wait import STEM
from ..format import format_money, format_probability
from .blocks import (
    Block,
    BulletList,
    Callout,
    Cell,
    Document,
    Figure,
    Heading,
    KeyFacts,
    Table,
    Tone,
    para,
)

__all__ = ["wait_document"]


def _tone(analysis: WaitAnalysis) -> Tone:
    best = analysis.rows[analysis.best]
    if analysis.best == 0:
        return "muted"
    return "good" if best.distinguishable else "warn"


def _month(row: WaitRow) -> str:
    return "now" if row.month == 0 else f"{row.month}"


def _table(analysis: WaitAnalysis) -> Table:
    money = analysis.money
    rows = []
    for i, r in enumerate(analysis.rows):
        lo, hi = r.value_ci95
        best = i == analysis.best
        tone: Tone = "good" if best else None
        interval = "" if r.month == 0 else f"{format_money(lo, '')} to {money(hi)}"
        rows.append((Cell(_month(r), tone=tone, bold=best), money(r.npv_mean),
                     format_probability(r.p_commit), money(r.value),
                     "" if r.month == 0 else money(r.value_se), interval,
                     money(r.perfect_bound), money(r.no_learning_value)))
    return Table(("Decide at month", "E[NPV]", "P(commit)", "Value of waiting", "se",
                  "95% interval", "Perfect-information bound", "Without learning"),
                 tuple(rows), align="lrrrrrrr", widths=(1.1, 1.2, 1.0, 1.3, 1.25, 2.0, 1.5, 1.3),
                 caption="Per decision month: E[NPV] of waiting then deciding (each path "
                         "decided by a rule fitted on the other half of the paths), the share "
                         "of paths that commit, and the value against deciding now with its "
                         "paired standard error.")


def _fits(analysis: WaitAnalysis) -> Table:
    names = dict(analysis.options)
    rows = []
    for r in analysis.rows[1:]:
        committed = dict(r.committed_npv_by_option)
        shares = dict(r.p_commit_by_option)
        for fit in r.fits:
            r2 = "n/a" if fit.r2_out_of_sample is None else f"{fit.r2_out_of_sample:.3f}"
            rows.append((_month(r), names[fit.option_id],
                         analysis.money(committed[fit.option_id]),
                         format_probability(shares[fit.option_id]), " / ".join(fit.models), r2))
    return Table(("Month", "Option", "E[NPV] if committed at k", "P(chosen)",
                  "Models (halves)", "R² out of sample"), tuple(rows), align="llrrlr",
                 widths=(0.8, 3.0, 1.6, 1.0, 2.6, 1.2),
                 caption="How well the history seen by month k predicts each option's NPV "
                         "if committed then: the regression chosen by cross-validation in "
                         "each half of the paths and its R² on the other half.")


def _method(analysis: WaitAnalysis) -> tuple[Block, ...]:
    seen: Block = BulletList(tuple(para(f.label) for f in analysis.features)) if analysis.features \
        else para("Nothing observed varies between the paths.")
    return (
        Heading("How this was computed", 2),
        para("Deciding at month k: the baseline runs alone until month k; then the analyst "
             "commits to an option (its build starts: upfront cost paid and discounted at "
             "month k, training compute at that month's price index, go-live after its lead "
             "time) or keeps the baseline to the horizon. Every decision month is simulated "
             "on the same paths, so the value of waiting is a paired difference path by path."),
        para("What is seen by month k (the options' own inputs, such as the quality gap, stay "
             "unknown" + (" except for the pilot's measurement" if analysis.pilot else "") + "):"),
        seen,
        para("The decision rule regresses each option's NPV if committed at k on these "
             "features (restricted cubic splines and pairwise products, the model chosen by "
             "cross-validation) and commits to the option with the highest predicted NPV when "
             "it is above zero (Longstaff and Schwartz, Review of Financial Studies 14(1), "
             "2001). It is fitted on one half of the paths and applied to the other, and the "
             "other way round, so no path is decided by a rule that saw its outcome: the "
             "value is that of a rule one could follow, not an optimistic in-sample figure. "
             "No rule can beat the perfect-information bound, where every path's NPV at k "
             "is known."),
        para("The standard error is that of the mean per-path difference from deciding "
             "now; it treats the fitted rule as given.", small=True),
    )


def wait_document(analysis: WaitAnalysis, *, command: str, generated_at: datetime) -> Document:
    """The wait analysis as a report: verdict, key figures, the chart, the tables, the method."""
    best = analysis.rows[analysis.best]
    now = analysis.rows[0]
    title = "Decide now" if analysis.best == 0 else f"Wait {best.month} months, then decide"
    facts = [("Deciding now", "keep the baseline" if analysis.now_option is None else
              f"commit to {dict(analysis.options)[analysis.now_option]}"),
             ("E[NPV] deciding now", analysis.money(now.npv_mean)),
             ("EVPI now", analysis.money(analysis.evpi_now))]
    if analysis.best:
        facts.append((f"Value of waiting {best.month} months",
                      f"{analysis.money(best.value)} (se {analysis.money(best.value_se)})"))
    if analysis.pilot:
        facts.append(("Pilot while waiting",
                      f"{analysis.pilot}, {analysis.money(analysis.pilot_cost)}"))
    facts.append(("Paths", f"{analysis.paths:,}, seed {analysis.seed}, {analysis.seconds:.1f} s"))
    blocks = (
        Callout(title, tuple(para(text) for text in analysis.statements()), tone=_tone(analysis)),
        KeyFacts(tuple(facts)),
        Figure(STEM, "Value of waiting k months and then deciding, against deciding now, with "
                     "its 95% interval; what perfect information at k would be worth; and "
                     "waiting without learning anything (the cost of the delay).",
               f"Chart of the value of waiting by decision month; the best is "
               f"{'deciding now' if analysis.best == 0 else f'waiting {best.month} months'}."),
        _table(analysis),
        _fits(analysis),
        *_method(analysis),
    )
    return Document(title=f"The option to wait: {analysis.scenario}",
                    subtitle=f"{analysis.paths:,} paths · {generated_at:%Y-%m-%d %H:%M}",
                    footer=command or "ftsim wait", blocks=blocks)
