"""The typed, frozen summary of a run (``ftsim.summarize(result)``).

All frozen dataclasses; sequences are tuples; numbers that may be non-finite are
``float | None`` (None = null in JSON). ``Summary.to_dict()`` returns exactly the JSON-ready
summary.json dict (minus ``simulation.seconds``, which the CLI's ``RunInfo`` adds);
``Summary.from_dict(d)`` reads it back. The ``*_frame`` methods import pandas lazily.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Spread", "MeanMedian", "PaybackMonths", "FanBands", "SensitivityRow", "Histogram",
           "MonthlyCosts", "OptionSummary", "InputRow", "ScenarioInfo", "SimulationInfo",
           "Summary"]

# The parts of an option's monthly cost, in report order, and of the baseline's.
OPTION_COST_PARTS = ("serving", "escalation", "errors", "rag", "maintenance", "retraining",
                     "baseline_while_not_live")
BASELINE_COST_PARTS = ("baseline_api", "baseline_errors", "baseline_rag")


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


@dataclass(frozen=True)
class OptionSummary:
    """One option's section 5 numbers and the report extras."""

    id: str
    name: str
    p_payback_within: float
    p_payback_within_ci95: tuple[float, float]
    p_payback_by_month: tuple[float, ...]
    payback_month: PaybackMonths
    p_abandoned: float
    npv: Spread
    upfront_cost: Spread
    tco_baseline: MeanMedian
    tco_option: MeanMedian
    cumulative_net_savings: FanBands
    sensitivity: tuple[SensitivityRow, ...]
    verdict: str
    p_npv_negative: float
    p_dips_below_zero_after_payback: float
    mean_retrains: float
    npv_histogram: Histogram
    monthly_mean_cost: MonthlyCosts

    def to_dict(self) -> dict[str, Any]:
        """The summary.json entry (without ``id``: it is the key in ``options``)."""
        return {
            "name": self.name,
            "p_payback_within": self.p_payback_within,
            "p_payback_within_ci95": list(self.p_payback_within_ci95),
            "p_payback_by_month": list(self.p_payback_by_month),
            "payback_month": self.payback_month.to_dict(),
            "p_abandoned": self.p_abandoned,
            "npv": self.npv.to_dict(),
            "upfront_cost": self.upfront_cost.to_dict(),
            "tco": {"baseline": self.tco_baseline.to_dict(), "option": self.tco_option.to_dict()},
            "cumulative_net_savings": self.cumulative_net_savings.to_dict(),
            "sensitivity": [row.to_dict() for row in self.sensitivity],
            "verdict": self.verdict,
            "p_npv_negative": self.p_npv_negative,
            "p_dips_below_zero_after_payback": self.p_dips_below_zero_after_payback,
            "mean_retrains": self.mean_retrains,
            "npv_histogram": self.npv_histogram.to_dict(),
            "monthly_mean_cost": self.monthly_mean_cost.to_dict(),
        }

    @classmethod
    def from_dict(cls, option_id: str, d: Mapping[str, Any]) -> OptionSummary:
        low, high = d["p_payback_within_ci95"]
        return cls(
            id=option_id, name=d["name"], p_payback_within=d["p_payback_within"],
            p_payback_within_ci95=(low, high),
            p_payback_by_month=tuple(d["p_payback_by_month"]),
            payback_month=PaybackMonths.from_dict(d["payback_month"]),
            p_abandoned=d["p_abandoned"], npv=Spread.from_dict(d["npv"]),
            upfront_cost=Spread.from_dict(d["upfront_cost"]),
            tco_baseline=MeanMedian.from_dict(d["tco"]["baseline"]),
            tco_option=MeanMedian.from_dict(d["tco"]["option"]),
            cumulative_net_savings=FanBands.from_dict(d["cumulative_net_savings"]),
            sensitivity=tuple(SensitivityRow.from_dict(r) for r in d["sensitivity"]),
            verdict=d["verdict"], p_npv_negative=d["p_npv_negative"],
            p_dips_below_zero_after_payback=d["p_dips_below_zero_after_payback"],
            mean_retrains=d["mean_retrains"],
            npv_histogram=Histogram.from_dict(d["npv_histogram"]),
            monthly_mean_cost=MonthlyCosts.from_dict(d["monthly_mean_cost"]),
        )


@dataclass(frozen=True)
class InputRow:
    """One scenario input: as written, whether random, its owner, and its 5/50/95 %."""

    input: str
    written: str
    random: bool
    owner: str
    p5: float | None
    p50: float | None
    p95: float | None

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> InputRow:
        return cls(*(d[f.name] for f in fields(cls)))


@dataclass(frozen=True)
class ScenarioInfo:
    name: str
    file: str | None
    sha256: str
    currency: str

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ScenarioInfo:
        return cls(*(d[f.name] for f in fields(cls)))


_PRECISION = ("precision_target", "precision_reached", "precision_half_width")


@dataclass(frozen=True)
class SimulationInfo:
    paths: int
    seed: int
    sampler: str
    horizon_months: int
    payback_within_months: int
    chunk_size: int
    required_probability: float
    discount_rate_annual: float
    precision_target: float | None = None
    precision_reached: bool | None = None
    precision_half_width: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The summary.json ``simulation`` table; ``precision_*`` only when set."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name not in _PRECISION or getattr(self, f.name) is not None}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SimulationInfo:
        return cls(**{f.name: d[f.name] for f in fields(cls) if f.name in d})


@dataclass(frozen=True)
class Summary:
    """The MODEL.md section 5 summary of a run, with the report extras."""

    ftsim_version: str
    scenario: ScenarioInfo
    simulation: SimulationInfo
    baseline_name: str
    tokens_per_month: Spread
    requests_per_month: Spread
    inputs: tuple[InputRow, ...]
    options: Mapping[str, OptionSummary]

    def __post_init__(self) -> None:  # a read-only view: nothing mutates a summary
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))

    def option(self, option_id: str) -> OptionSummary:
        return self.options[option_id]

    def to_dict(self) -> dict[str, Any]:
        """Exactly the summary.json dict (without ``simulation.seconds``)."""
        return {
            "ftsim_version": self.ftsim_version,
            "scenario": self.scenario.to_dict(),
            "simulation": self.simulation.to_dict(),
            "baseline": {"name": self.baseline_name},
            "volume": {"tokens_per_month": self.tokens_per_month.to_dict(),
                       "requests_per_month": self.requests_per_month.to_dict()},
            "inputs": [row.to_dict() for row in self.inputs],
            "options": {oid: o.to_dict() for oid, o in self.options.items()},
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Summary:
        """Read a summary.json dict back (``simulation.seconds`` and unknown keys ignored)."""
        return cls(
            ftsim_version=d["ftsim_version"],
            scenario=ScenarioInfo.from_dict(d["scenario"]),
            simulation=SimulationInfo.from_dict(d["simulation"]),
            baseline_name=d["baseline"]["name"],
            tokens_per_month=Spread.from_dict(d["volume"]["tokens_per_month"]),
            requests_per_month=Spread.from_dict(d["volume"]["requests_per_month"]),
            inputs=tuple(InputRow.from_dict(r) for r in d["inputs"]),
            options={oid: OptionSummary.from_dict(oid, o) for oid, o in d["options"].items()},
        )

    def options_frame(self) -> pd.DataFrame:
        """One row per option: the headline numbers (index: option id)."""
        import pandas as pd

        rows = []
        for oid, o in self.options.items():
            low, high = o.p_payback_within_ci95
            rows.append({
                "option": oid, "name": o.name, "verdict": o.verdict,
                "p_payback_within": o.p_payback_within,
                "p_payback_within_ci95_low": low, "p_payback_within_ci95_high": high,
                "payback_month_p10": o.payback_month.p10,
                "payback_month_p50": o.payback_month.p50,
                "payback_month_p90": o.payback_month.p90,
                "p_abandoned": o.p_abandoned,
                "npv_mean": o.npv.mean, "npv_p5": o.npv.p5, "npv_p50": o.npv.p50,
                "npv_p95": o.npv.p95, "p_npv_negative": o.p_npv_negative,
                "upfront_cost_mean": o.upfront_cost.mean, "upfront_cost_p50": o.upfront_cost.p50,
                "tco_baseline_mean": o.tco_baseline.mean, "tco_option_mean": o.tco_option.mean,
                "p_dips_below_zero_after_payback": o.p_dips_below_zero_after_payback,
                "mean_retrains": o.mean_retrains,
            })
        return pd.DataFrame(rows).set_index("option")

    def monthly_frame(self) -> pd.DataFrame:
        """Per option and month: percentiles of cumulative net savings and mean monthly
        costs (the monthly.csv frame)."""
        import pandas as pd

        rows = []
        for option_id, option in self.options.items():
            cost = option.monthly_mean_cost
            for j in range(len(option.p_payback_by_month)):
                row: dict[str, Any] = {"option": option_id, "month": j + 1}
                for q, values in option.cumulative_net_savings.items():
                    row[f"cumulative_net_savings_{q}"] = values[j]
                row["mean_baseline_cost"] = cost.baseline[j]
                for k, part in cost.baseline_components().items():
                    row[f"mean_{k}"] = part[j]
                parts = cost.components()
                row["mean_option_cost"] = sum(part[j] for part in parts.values())
                for k, part in parts.items():
                    row[f"mean_option_{k}"] = part[j]
                row["p_payback_by_month"] = option.p_payback_by_month[j]
                rows.append(row)
        return pd.DataFrame(rows)

    def inputs_frame(self) -> pd.DataFrame:
        """One row per scenario input: as written, random or not, owner, 5/50/95 %."""
        import pandas as pd

        return pd.DataFrame([row.to_dict() for row in self.inputs],
                            columns=[f.name for f in fields(InputRow)])
