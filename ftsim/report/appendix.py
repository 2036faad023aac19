"""The report's closing sections: what is and is not simulated, how to reproduce the run,
and the appendix (input keys behind the labels; the documents that define the model)."""

from __future__ import annotations

from datetime import datetime

from ..core.summary_types import Summary
from .blocks import Block, BulletList, Heading, Table, para

__all__ = ["methodology_blocks", "reproducibility_blocks", "appendix_blocks", "REFERENCES"]

# The repository's own documents (relative to its root), cited by the appendix.
REFERENCES = (
    ("docs/model.md", "the model as implemented: formulas with units, sampling, the summary "
                      "statistics (section 11) and every summary.json key (section 12)"),
    ("docs/scenario.md", "every scenario key: meaning, unit, default, hard and plausible "
                         "range, example"),
)


def _bullets(texts: tuple[str, ...]) -> BulletList:
    return BulletList(tuple(para(text, small=True) for text in texts))


def methodology_blocks(summary: Summary) -> list[Block]:
    sim = summary.simulation
    currency = summary.scenario.currency
    simulated = (
        f"{sim.paths:,} Monte Carlo paths ({sim.sampler} sampling) over months 1 to "
        f"{sim.horizon_months}. Each path draws every static input once (the assumptions "
        "table) and, month by month, traffic noise, price-index jump events, drift events and "
        "base-model updates.",
        "Monthly costs follow docs/model.md sections 6 and 7: the baseline's API cost, RAG and "
        "the business cost of errors; each option's serving (whole GPUs, or per-token API "
        "prices), escalations to the baseline, errors (with drift), maintenance, retraining "
        "and rebuilds, and the upfront build cost at month 0 (section 8). While an option is "
        "built (lead time) or once it is abandoned (quality gap above the acceptable "
        "maximum), traffic stays on the baseline.",
        "Options are compared under common random numbers: the world's draws (traffic, "
        "prices, drift events, quality) are shared by every option.",
        "Payback is the first month in which cumulative net savings reach zero; NPV discounts "
        f"monthly at {sim.discount_rate_annual:.1%} a year (section 9).",
        "Intervals (P(payback), P(NPV < target)) are Wilson's 95% intervals and cover Monte "
        "Carlo error only, not whether the input distributions are right.",
        "Drivers: the swing is P(payback) among paths where the input lies in its top tenth "
        "minus among those in its bottom tenth, with its Monte Carlo standard error; the "
        "first-order share is Var(E[payback | input]) / Var(payback) over equal-count bins, "
        "bias-corrected, with its standard error (section 11). An effect is significant when "
        "it exceeds twice its standard error. These are associations under the declared "
        "correlations, not proof of cause.",
    )
    limits = (
        "No forced API migrations or deprecations of the baseline model, no change of "
        "provider.",
        "No serving-policy changes: routing, caching, batching and escalation shares stay as "
        "entered for the whole horizon.",
        "Static inputs are drawn once per path and stay fixed: nothing is learnt or revised "
        "during a path.",
        "Monthly granularity: no timing within a month; GPUs are paid for whole months.",
        "Events (drift, price jumps, base-model updates) are Poisson with constant yearly "
        "rates; drift acts only on the error rate.",
        "A price index only declines smoothly, plus jump events; there are no gradual price "
        "rises.",
        "Inputs are independent apart from the declared rank correlations.",
        f"Money is nominal {currency}: no taxes, financing or exchange rates, and no value "
        "after the horizon.",
    )
    return [
        Heading("Methodology and limits", 2),
        Heading("What is simulated", 3),
        _bullets(simulated),
        Heading("What is not simulated", 3),
        _bullets(limits),
    ]


def reproducibility_blocks(summary: Summary, *, command: str, seconds: float,
                           generated_at: datetime) -> list[Block]:
    sim, scen = summary.simulation, summary.scenario
    rows = (
        ("ftsim version", summary.ftsim_version),
        ("scenario file", scen.file if scen.file is not None else "(built in memory)"),
        ("scenario SHA-256", scen.sha256 or "(none)"),
        ("seed", str(sim.seed)),
        ("paths", f"{sim.paths:,} (chunk size {sim.chunk_size:,})"),
        ("sampler", sim.sampler),
        ("command", command),
        ("date", generated_at.isoformat(timespec="seconds")),
        ("simulation run time", f"{seconds:.1f} s"),
    )
    return [
        Heading("Reproducibility", 2),
        para("The same scenario file (same SHA-256), seed, paths, sampler and chunk size "
             "reproduce every number, whatever the number of workers.", small=True,
             tone="muted"),
        Table(("Item", "Value"), rows, widths=(0.22, 0.78), mono_columns=(1,)),
    ]


def appendix_blocks(summary: Summary) -> list[Block]:
    """The key behind every label, and the repository documents that define the model."""
    rows = tuple((row.label or row.input, row.input) for row in summary.inputs)
    return [
        Heading("Appendix: input keys", 2),
        para("The scenario key of every input named by its label in this report (for "
             "--set overrides and sweeps).", small=True, tone="muted"),
        Table(("Label", "Key"), rows, widths=(0.45, 0.55), mono_columns=(1,)),
        Heading("Appendix: references", 2),
        _bullets(tuple(f"{path}: {what}." for path, what in REFERENCES)),
        para("The decision checklist follows the “Practical decision check” of the article "
             "“Fine-tuning economics: when training a custom model pays back” (checked "
             "2026-05-25).", small=True),
    ]
