"""The leaf records of a run's summary (summary_types.py holds the options, inputs and the
Summary itself; it re-exports everything here).

All frozen dataclasses; sequences are tuples; numbers that may be non-finite or undefined
are ``float | None`` (None = null in JSON). Each has ``to_dict`` (its summary.json entry)
and ``from_dict`` (reads it back).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any

__all__ = ["Spread", "MeanMedian", "PaybackMonths", "FanBands", "SensitivityRow", "Histogram",
           "MonthlyCosts", "NpvStatistics", "TargetProbability", "Quantiles", "DriverRow",
           "CorrelationRow", "OPTION_COST_PARTS", "BASELINE_COST_PARTS", "NPV_PERCENTILES"]

# The parts of an option's monthly cost, in report order, and of the baseline's.
OPTION_COST_PARTS = ("serving", "escalation", "errors", "rag", "maintenance", "retraining",
                     "baseline_while_not_live")
BASELINE_COST_PARTS = ("baseline_api", "baseline_errors", "baseline_rag")


def _flat(record: Any) -> dict[str, Any]:
    """A flat record as a dict, its fields in declaration order."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


@dataclass(frozen=True)
class Spread:
    """Mean and 5th / 50th / 95th percentiles (npv, upfront_cost, volume.*)."""

    mean: float | None
    p5: float | None
    p50: float | None
    p95: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "p5": self.p5, "p50": self.p50, "p95": self.p95}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Spread:
        return cls(d["mean"], d["p5"], d["p50"], d["p95"])


@dataclass(frozen=True)
class MeanMedian:
    """Mean and median (tco.baseline, tco.option)."""

    mean: float | None
    p50: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "p50": self.p50}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> MeanMedian:
        return cls(d["mean"], d["p50"])


@dataclass(frozen=True)
class PaybackMonths:
    """Payback month quantiles; None = not reached within the horizon."""

    p10: int | None
    p50: int | None
    p90: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"p10": self.p10, "p50": self.p50, "p90": self.p90}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PaybackMonths:
        return cls(d["p10"], d["p50"], d["p90"])


@dataclass(frozen=True)
class FanBands:
    """Per-month percentiles of cumulative net savings, each of length H."""

    p5: tuple[float, ...]
    p25: tuple[float, ...]
    p50: tuple[float, ...]
    p75: tuple[float, ...]
    p95: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        return {f.name: list(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FanBands:
        return cls(*(tuple(d[f.name]) for f in fields(cls)))

    def items(self) -> Iterator[tuple[str, tuple[float, ...]]]:
        """(``"p5"``, band), ... in percentile order."""
        return ((f.name, getattr(self, f.name)) for f in fields(self))


@dataclass(frozen=True)
class SensitivityRow:
    """One input's Spearman with NPV and P(payback) in its outer deciles."""

    input: str
    spearman: float | None
    p_payback_low: float | None
    p_payback_high: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"input": self.input, "spearman": self.spearman,
                "p_payback_low": self.p_payback_low, "p_payback_high": self.p_payback_high}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SensitivityRow:
        return cls(d["input"], d["spearman"], d["p_payback_low"], d["p_payback_high"])


@dataclass(frozen=True)
class Histogram:
    """Counts between strictly increasing edges (both empty when nothing is finite)."""

    edges: tuple[float, ...]
    counts: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"edges": list(self.edges), "counts": list(self.counts)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Histogram:
        return cls(tuple(d["edges"]), tuple(d["counts"]))


@dataclass(frozen=True)
class MonthlyCosts:
    """Mean cost per month (length H) of the baseline, the option's parts and the baseline's."""

    baseline: tuple[float, ...]
    serving: tuple[float, ...]
    escalation: tuple[float, ...]
    errors: tuple[float, ...]
    rag: tuple[float, ...]
    maintenance: tuple[float, ...]
    retraining: tuple[float, ...]
    baseline_while_not_live: tuple[float, ...]
    baseline_api: tuple[float, ...]
    baseline_errors: tuple[float, ...]
    baseline_rag: tuple[float, ...]

    def components(self) -> dict[str, tuple[float, ...]]:
        """The option's cost parts in report order."""
        return {k: getattr(self, k) for k in OPTION_COST_PARTS}

    def baseline_components(self) -> dict[str, tuple[float, ...]]:
        """The baseline's cost parts (tokens, errors, rag)."""
        return {k: getattr(self, k) for k in BASELINE_COST_PARTS}

    def to_dict(self) -> dict[str, Any]:
        return {f.name: list(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> MonthlyCosts:
        return cls(*(tuple(d[f.name]) for f in fields(cls)))


# NpvStatistics' percentiles, in order (numpy's default linear method, as every percentile
# of the summary except payback_month).
NPV_PERCENTILES = (1, 5, 10, 25, 50, 75, 90, 95, 99)


@dataclass(frozen=True)
class NpvStatistics:
    """The @RISK-style statistics of an option's NPV: mean, sample standard deviation
    (ddof = 1; None below two paths), extremes and percentiles."""

    mean: float | None
    sd: float | None
    min: float | None
    max: float | None
    p1: float | None
    p5: float | None
    p10: float | None
    p25: float | None
    p50: float | None
    p75: float | None
    p90: float | None
    p95: float | None
    p99: float | None

    def to_dict(self) -> dict[str, Any]:
        return _flat(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> NpvStatistics:
        """Missing keys read as None (a summary written before a statistic existed)."""
        return cls(**{f.name: d.get(f.name) for f in fields(cls)})


@dataclass(frozen=True)
class TargetProbability:
    """P(NPV < target) with its Wilson 95 % interval, for one of the scenario's targets."""

    target: float
    p_below: float
    ci95: tuple[float, float]

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "p_below": self.p_below, "ci95": list(self.ci95)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TargetProbability:
        low, high = d["ci95"]
        return cls(d["target"], d["p_below"], (low, high))


@dataclass(frozen=True)
class Quantiles:
    """The NPV quantile function: ``values[i]`` is the linear percentile at ``levels[i]``
    (0 = minimum, 1 = maximum); both empty when no NPV is finite."""

    levels: tuple[float, ...]
    values: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"levels": list(self.levels), "values": list(self.values)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Quantiles:
        return cls(tuple(d["levels"]), tuple(d["values"]))


@dataclass(frozen=True)
class DriverRow:
    """One input's effect on P(payback within N) and on NPV, with Monte Carlo errors.

    ``swing`` = P(payback | input >= its P90) - P(payback | input <= its P10), None for an
    input that never varies; ``swing_se`` its standard error sqrt(p1 q1/n1 + p2 q2/n2).
    ``first_order`` is the bias-corrected share of Var(payback indicator) explained by
    E[payback | input] (equal-count bins, ftsim/core/conditional.py), clipped below at 0,
    with its delta-method standard error; ``npv_first_order`` the same for NPV. Both are
    None when the output does not vary. ``significant``: |swing| > 2 swing_se or
    first_order > 2 first_order_se.
    """

    input: str
    label: str
    swing: float | None
    swing_se: float | None
    p_payback_low: float | None
    p_payback_high: float | None
    low_below: float | None
    high_above: float | None
    first_order: float | None
    first_order_se: float | None
    npv_first_order: float | None
    npv_first_order_se: float | None
    spearman: float | None
    significant: bool

    def to_dict(self) -> dict[str, Any]:
        return _flat(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DriverRow:
        return cls(**{f.name: d[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class CorrelationRow:
    """A rank correlation declared in the scenario between inputs ``a`` and ``b`` (Spearman,
    as written), with the entry's source and date when given."""

    a: str
    b: str
    a_label: str
    b_label: str
    spearman: float
    source: str | None = None
    as_of: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return _flat(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CorrelationRow:
        return cls(d["a"], d["b"], d["a_label"], d["b_label"], d["spearman"],
                   d.get("source"), d.get("as_of"))
