"""The report page "What is worth learning before deciding" (issue 12): the decision best
now, what knowing everything would be worth (EVPI), each input and group alone (EVPPI),
and each pilot's worth against its cost, with the rule it implies; then the figure."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..core.summary_types import GroupValue, PilotValue, Summary, ValueOfInformation
from ..format import format_count, format_money, format_months, format_probability
from .blocks import Block, Cell, Figure, Heading, PageBreak, Table, Tone, para
from .sentences import input_value_text

if TYPE_CHECKING:  # pragma: no cover
    from ..figures.registry import FigureSpec

__all__ = ["voi_blocks", "VOI_TABLE_ROWS", "pilot_rule", "worth_learning"]

VOI_TABLE_ROWS = 8  # inputs listed (the figure shows as many)
TITLE = "What is worth learning before deciding"


def _known(*values: float | None) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


def _pm(value: float | None, se: float | None, currency: str) -> str:
    """``346k USD ± 18.4k`` (the half-width of a 95 % interval, three digits)."""
    half = 1.96 * se if se is not None and _known(se) else None
    return f"{format_money(value, currency)} ± {format_count(half)}"


def worth_learning(value: float | None, se: float | None, evpi: float | None) -> bool:
    """A group worth naming: clear of Monte Carlo noise (above 2 se: a group is a question
    asked in advance, not one of a family) and at least 1 % of EVPI. Inputs carry their own
    flag (``InputValue.worth_learning``, judged over the family of inputs)."""
    if value is None or se is None or evpi is None or not _known(value, se, evpi):
        return False
    return value > 2 * se and value >= 0.01 * evpi


def sign_tone(value: float | None, se: float | None) -> Tone:
    """good / bad when clear of noise (beyond 2 se) on either side of 0, else warn."""
    if value is None or se is None or not _known(value, se):
        return "warn"
    return "good" if value > 2 * se else "bad" if value < -2 * se else "warn"


def _months(value: float | None) -> str:
    return format_months(value) if value is not None and _known(value) else "n/a months"


def _decision_name(decision: str | None, summary: Summary) -> str:
    if decision is None:
        return f"keep {summary.baseline_name}"
    return summary.options[decision].name if decision in summary.options else decision


def pilot_rule(pilot: PilotValue, summary: Summary) -> str:
    """The decision rule a pilot implies, in words."""
    currency = summary.scenario.currency
    if pilot.threshold is None or pilot.go_option is None:
        if len(set(pilot.decisions)) <= 1:
            now = _decision_name(pilot.decisions[0] if pilot.decisions else None, summary)
            return f"No result it can show changes the decision ({now})."
        points = ", ".join(input_value_text(pilot.input, p, currency) for p in pilot.switch_points)
        return f"The best decision changes at several measured values ({points})."
    go = summary.options[pilot.go_option].name if pilot.go_option in summary.options \
        else pilot.go_option
    return (f"Go with {go} if the pilot measures {pilot.go_when} "
            f"{input_value_text(pilot.input, pilot.threshold, currency)}; otherwise keep "
            f"{summary.baseline_name}.")


def _input_rows(voi: ValueOfInformation, currency: str) -> tuple[tuple[str | Cell, ...], ...]:
    rows: list[tuple[str | Cell, ...]] = []
    for row in voi.evppi[:VOI_TABLE_ROWS]:
        worth = row.worth_learning
        tone: Tone = None if worth else "muted"
        share = format_probability(voi.share_of_evpi(row.value))
        rows.append((Cell(row.label, tone=tone), Cell(_pm(row.value, row.se, currency), tone=tone,
                                                      bold=worth),
                     Cell(share, tone=tone),
                     Cell("worth learning" if worth else "little or within noise", tone=tone)))
    return tuple(rows)


def _fit_text(group: GroupValue, summary: Summary) -> str:
    """Per option the model kept and its cross-validated R^2: the fit check."""
    parts = []
    for fit in group.fits:
        r2 = "n/a" if fit.r2_cv is None else f"{max(fit.r2_cv, 0.0):.2f}"
        name = summary.options[fit.option].name if fit.option in summary.options else fit.option
        parts.append(f"{name}: {fit.model}, CV R² {r2}")
    return "; ".join(parts) or "n/a"


def _group_blocks(voi: ValueOfInformation, summary: Summary) -> list[Block]:
    if not voi.groups:
        return []
    currency = summary.scenario.currency
    rows = []
    for g in voi.groups:
        tone: Tone = None if worth_learning(g.value, g.se, voi.evpi.value) else "muted"
        rows.append((Cell(g.name, bold=True, tone=tone), Cell(", ".join(g.labels), tone=tone),
                     Cell(_pm(g.value, g.se, currency), tone=tone),
                     Cell(format_money(g.value_cross_fitted, currency), tone=tone),
                     Cell(_fit_text(g, summary), tone=tone)))
    return [Table(("Group", "Inputs learnt together", "Value (EVPPI)", "Cross-fitted",
                   "Fit check"), tuple(rows), align="llrrl", caption="Groups of inputs",
                  widths=(0.14, 0.3, 0.16, 0.12, 0.28)),
            para("A group is valued by regressing each option's NPV on its inputs (splines, "
                 "products of pairs), the model chosen by 5-fold cross-validation; the "
                 "cross-fitted value, what decisions made by fits that never saw a path gain "
                 "on it, lies below the true value in expectation, the regression value "
                 "above: together they bracket it. A low CV R² with a value near 0 means the "
                 "group barely moves the decision.", small=True, tone="muted")]


def _pilot_blocks(voi: ValueOfInformation, summary: Summary) -> list[Block]:
    if not voi.pilots:
        return []
    currency = summary.scenario.currency
    rows = []
    for p in voi.pilots:
        tone = sign_tone(p.net_value, p.net_value_se)
        rows.append((Cell(p.name, bold=True), p.label, f"{p.examples:,}",
                     _pm(p.evsi, p.se, currency),
                     format_money(p.total_cost, currency),
                     Cell(format_money(p.net_value, currency), tone=tone, bold=True),
                     pilot_rule(p, summary)))
    notes = [para(f"{p.name}: worth {format_money(p.evsi, currency)} (EVSI) at the decision, "
                  f"{format_money(p.worth_today, currency)} today after "
                  f"{_months(p.duration_months)}; costs {format_money(p.cost, currency)}"
                  + (f" plus {format_money(p.delay_cost, currency)} for deciding later"
                     if p.delay_cost else "")
                  + f"; net {format_money(p.net_value, currency)}.", small=True)
             for p in voi.pilots]
    return [Table(("Pilot", "Measures", "Examples", "Worth (EVSI)", "Cost", "Net value",
                   "Rule"), tuple(rows), align="llrrrrl", caption="Pilots",
                  widths=(0.13, 0.17, 0.08, 0.14, 0.1, 0.1, 0.28)),
            *notes]


def voi_blocks(summary: Summary, specs: Sequence[FigureSpec] = ()) -> list[Block]:
    """The page, or nothing for a summary without value of information. The figure of
    ``specs`` whose kind is "voi" closes it."""
    voi = summary.value_of_information
    if voi is None:
        return []
    currency = summary.scenario.currency
    now = voi.decision_now_name if voi.decision_now is not None else \
        f"keep {voi.decision_now_name}"
    worth = [r.label for r in voi.evppi if r.worth_learning]
    lead = (f"On what is known today the best decision is: {now} (expected NPV "
            f"{format_money(voi.expected_npv_now, currency)}). Knowing every uncertain input "
            f"before deciding would be worth {_pm(voi.evpi.value, voi.evpi.se, currency)} "
            "(EVPI): the most any study could be worth. ")
    lead += (f"Worth learning most: {'; '.join(worth[:3])}." if worth else
             "No single input is worth learning beyond Monte Carlo noise.")
    blocks: list[Block] = [
        PageBreak(), Heading(TITLE, 2), para(lead),
        Table(("Input", "Value of knowing it (EVPPI)", "Share of EVPI", "Verdict"),
              _input_rows(voi, currency), align="lrrl", caption="What each input is worth "
              "knowing before deciding", widths=(0.4, 0.26, 0.14, 0.2)),
        para("EVPPI: the expected gain from choosing after learning the input's true value "
             "instead of now, everything else still uncertain; ± is the 95 % Monte Carlo "
             "error. An input is worth learning when its value is clear of noise across all "
             "the inputs (Holm's correction at 5 %) and at least 1 % of EVPI. Values do not "
             "add up: inputs learnt together are worth at least the largest of them and at "
             "most EVPI.", small=True, tone="muted"),
        *_group_blocks(voi, summary),
        *_pilot_blocks(voi, summary),
    ]
    blocks += [Figure(s.stem, s.caption, s.alt) for s in specs if s.kind == "voi"]
    return blocks
