"""Retraining-policy figure: E[NPV] with 95% intervals against the calendar cadence, one line
for on-drift retraining off and one per detection lag with it on.

Takes the search's result (never runs the engine), draws on the Axes it is given (or a new
pyplot-free Figure when ``ax`` is None) and returns them.
"""

from __future__ import annotations

import io

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..core.studies.optimize_types import Policy, PolicyOptimization, PolicyOutcome
from .style import (
    FIGSIZE,
    LOSS_COLOR,
    house_style,
    index_color,
    money_formatter,
    plain_text,
    study_title,
)
from .text import shorten_line

__all__ = ["STEM", "policy_chart", "policy_svg", "cadence_positions"]

STEM = "optimize"  # the figure's file stem: optimize.png, and its name in the report


def cadence_positions(cadences: list[int]) -> dict[int, int]:
    """x position of each cadence: 1, 2, ... in order, then "never" (0) last, since no
    schedule is the longest cadence of all."""
    ordered = sorted(k for k in cadences if k > 0) + ([0] if 0 in cadences else [])
    return {k: i for i, k in enumerate(ordered)}


def _series(search: PolicyOptimization) -> dict[tuple[bool, int | None], list[PolicyOutcome]]:
    """Outcomes with a fixed cadence, grouped by (on drift, lag): one line each."""
    lines: dict[tuple[bool, int | None], list[PolicyOutcome]] = {}
    for o in search.outcomes:
        p = o.policy
        if p.retrain_every_months is not None:
            key = (p.retrain_on_drift, p.detection_lag_months if p.retrain_on_drift else None)
            lines.setdefault(key, []).append(o)
    return lines


def _line_label(on_drift: bool, lag: int | None) -> str:
    if not on_drift:
        return "calendar only (on-drift retraining off)"
    return "+ on drift, lag as in the scenario" if lag is None else f"+ on drift, lag {lag}"


def _mark(ax: Axes, x: float, o: PolicyOutcome, marker: str, text: str, color: str) -> None:
    ax.plot([x], [o.npv_mean], marker=marker, ms=13, mfc="none", mec=color, mew=1.8, ls="",
            label=f"{text}: {o.policy.label}", zorder=5)


@plain_text
def policy_chart(ax: Axes | None, search: PolicyOptimization) -> Axes:
    """E[NPV] with each policy's own 95% interval against the cadence (a difference between
    two policies is far more precise than these: same paths); the best policy is ringed in
    green, the scenario's own boxed in grey. Lines carry ``gid="off"`` and ``gid="on_<lag>"``."""
    if ax is None:
        ax = Figure(figsize=FIGSIZE, layout="constrained").add_subplot()
    cadences = sorted({o.policy.retrain_every_months for o in search.outcomes
                       if o.policy.retrain_every_months is not None})
    position = cadence_positions(cadences)
    where: dict[Policy, float] = {}
    for index, ((on, lag), rows) in enumerate(_series(search).items()):
        rows = sorted(rows, key=lambda o: position[o.policy.retrain_every_months or 0])
        x = [float(position[o.policy.retrain_every_months or 0]) + (0.06 * index) for o in rows]
        y = [o.npv_mean for o in rows]
        err = [[o.npv_mean - o.npv_ci95[0] for o in rows], [o.npv_ci95[1] - o.npv_mean
                                                            for o in rows]]
        color = index_color(index)
        ax.errorbar(x, y, yerr=err, color=color, lw=1.8, marker="o", ms=4, capsize=2.5,
                    label=_line_label(on, lag), gid="off" if not on else f"on_{lag}")
        where.update({o.policy: xi for o, xi in zip(rows, x, strict=True)})
    best, own = search.outcomes[search.best_npv], search.outcomes[search.own]
    if own.policy not in where:  # a random cadence: a level, not a point
        ax.axhline(own.npv_mean, color="0.45", ls="--", lw=1.2,
                   label=f"scenario's own: {own.policy.label}")
    else:
        _mark(ax, where[own.policy], own, "s", "scenario's own", "0.45")
    if best.policy in where:
        _mark(ax, where[best.policy], best, "o", "best E[NPV]", "#1a7f37")
    ax.axhline(0, color=LOSS_COLOR, lw=0.9, ls=":", zorder=1)
    ax.set_xticks(list(position.values()),
                  [str(k) if k else "never" for k in position])
    ax.set_xlabel("Calendar retraining cadence (months; never = no schedule)")
    ax.yaxis.set_major_formatter(money_formatter(search.currency))
    ax.set_ylabel(f"E[NPV] ({shorten_line(search.currency, 20)}), 95% interval")
    study_title(ax, f"Retraining policy of {search.option_name} [{search.option_id}]",
                f"{search.scenario} · {search.paths:,} paths per policy, same seed "
                "(common random numbers)")
    handles, labels = ax.get_legend_handles_labels()  # the lines first, then the marks
    order = sorted(range(len(labels)), key=lambda i: labels[i].startswith(("best", "scenario")))
    ax.legend([handles[i] for i in order], [labels[i] for i in order], loc="best",
              framealpha=0.9, fontsize=7.5)
    return ax


def policy_svg(search: PolicyOptimization) -> str:
    """The figure as SVG text (text as glyph paths; no date, ids salted: same run, same
    bytes), as the report's figures are drawn (`ftsim.figures.draw_svg`)."""
    with house_style(), matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": STEM}):
        fig = Figure(figsize=FIGSIZE, layout="constrained")
        policy_chart(fig.add_subplot(), search)
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
