"""The typed, frozen summary of a run (``ftsim.summarize(result)``).

All frozen dataclasses; sequences are tuples; numbers that may be non-finite are
``float | None`` (None = null in JSON). ``Summary.to_dict()`` returns exactly the JSON-ready
summary.json dict (minus ``simulation.seconds``, which the CLI's ``RunInfo`` adds);
``Summary.from_dict(d)`` reads it back, including a summary.json written before the
report statistics existed (their fields then read as empty or None). The ``*_frame``
methods import pandas lazily.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .summary_parts import (
    BASELINE_COST_PARTS,
    NPV_PERCENTILES,
    OPTION_COST_PARTS,
    CorrelationRow,
    DriverRow,
    FanBands,
    Histogram,
    MeanMedian,
    MonthlyCosts,
    NpvStatistics,
    PaybackMonths,
    Quantiles,
    SensitivityRow,
    Spread,
    TargetProbability,
)
from .voi_types import (
    GroupFit,
    GroupValue,
    InputValue,
    PilotValue,
    ValueEstimate,
    ValueOfInformation,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Spread", "MeanMedian", "PaybackMonths", "FanBands", "SensitivityRow", "Histogram",
           "MonthlyCosts", "NpvStatistics", "TargetProbability", "Quantiles", "DriverRow",
           "CorrelationRow", "OptionSummary", "InputRow", "ScenarioInfo", "SimulationInfo",
           "Summary", "OPTION_COST_PARTS", "BASELINE_COST_PARTS", "NPV_PERCENTILES",
           "ValueEstimate", "InputValue", "GroupFit", "GroupValue", "PilotValue",
           "ValueOfInformation"]


@dataclass(frozen=True)
class OptionSummary:
    """One option's section 5 numbers and the report extras.

    The fields after ``monthly_mean_cost`` come after it in summary.json too (added keys,
    old ones unchanged): NPV statistics and quantile function, E[-NPV | NPV < 0] (None when
    no path loses money), P(NPV < t) per scenario target, and the drivers ranked by
    |swing| (significant ones first).
    """

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
    npv_statistics: NpvStatistics
    npv_quantiles: Quantiles
    expected_loss_given_loss: float | None
    npv_targets: tuple[TargetProbability, ...]
    drivers: tuple[DriverRow, ...]

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
            "npv_statistics": self.npv_statistics.to_dict(),
            "npv_quantiles": self.npv_quantiles.to_dict(),
            "expected_loss_given_loss": self.expected_loss_given_loss,
            "npv_targets": [t.to_dict() for t in self.npv_targets],
            "drivers": [row.to_dict() for row in self.drivers],
        }

    @classmethod
    def from_dict(cls, option_id: str, d: Mapping[str, Any]) -> OptionSummary:
        """Read an entry back; one written before the report statistics gets the NPV
        statistics its ``npv`` spread holds (the rest None) and no quantiles, targets or
        drivers."""
        low, high = d["p_payback_within_ci95"]
        statistics = d.get("npv_statistics", d["npv"])
        quantiles = d.get("npv_quantiles", {"levels": [], "values": []})
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
            npv_statistics=NpvStatistics.from_dict(statistics),
            npv_quantiles=Quantiles.from_dict(quantiles),
            expected_loss_given_loss=d.get("expected_loss_given_loss"),
            npv_targets=tuple(TargetProbability.from_dict(t) for t in d.get("npv_targets", ())),
            drivers=tuple(DriverRow.from_dict(r) for r in d.get("drivers", ())),
        )


@dataclass(frozen=True)
class InputRow:
    """One scenario input: as written, whether random, its owner, its 5/50/95 %, its human
    label and where its figure comes from (``source``, ``as_of``; None when not given)."""

    input: str
    written: str
    random: bool
    owner: str
    p5: float | None
    p50: float | None
    p95: float | None
    label: str = ""
    source: str | None = None
    as_of: str | None = None

    def __post_init__(self) -> None:  # a row built without a label is named by its key
        if not self.label:
            object.__setattr__(self, "label", self.input)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> InputRow:
        """Missing ``label`` reads as the key, missing ``source`` / ``as_of`` as None."""
        return cls(d["input"], d["written"], d["random"], d["owner"], d["p5"], d["p50"],
                   d["p95"], label=d.get("label", ""), source=d.get("source"),
                   as_of=d.get("as_of"))


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
    """The docs/model.md sections 11-12 summary of a run, with the report extras; the value of
    information when computed (None when ``[voi] enabled = false``, for a run without
    options, or for a summary.json written before it existed)."""

    ftsim_version: str
    scenario: ScenarioInfo
    simulation: SimulationInfo
    baseline_name: str
    tokens_per_month: Spread
    requests_per_month: Spread
    inputs: tuple[InputRow, ...]
    options: Mapping[str, OptionSummary]
    correlations: tuple[CorrelationRow, ...] = ()
    value_of_information: ValueOfInformation | None = None

    def __post_init__(self) -> None:  # a read-only view: nothing mutates a summary
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle with the options as a plain dict (a read-only view does not pickle): the
        command line sends its summary to the report process (cli/report_process.py)."""
        return type(self), tuple(dict(value) if f.name == "options" else value
                                 for f in fields(self) for value in (getattr(self, f.name),))

    def option(self, option_id: str) -> OptionSummary:
        return self.options[option_id]

    def to_dict(self) -> dict[str, Any]:
        """Exactly the summary.json dict (without ``simulation.seconds``); the key
        ``value_of_information`` only when computed (before ``correlations``)."""
        voi = self.value_of_information
        return {
            "ftsim_version": self.ftsim_version,
            "scenario": self.scenario.to_dict(),
            "simulation": self.simulation.to_dict(),
            "baseline": {"name": self.baseline_name},
            "volume": {"tokens_per_month": self.tokens_per_month.to_dict(),
                       "requests_per_month": self.requests_per_month.to_dict()},
            "inputs": [row.to_dict() for row in self.inputs],
            "options": {oid: o.to_dict() for oid, o in self.options.items()},
            **({} if voi is None else {"value_of_information": voi.to_dict()}),
            "correlations": [row.to_dict() for row in self.correlations],
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
            correlations=tuple(CorrelationRow.from_dict(r) for r in d.get("correlations", ())),
            value_of_information=(None if d.get("value_of_information") is None else
                                  ValueOfInformation.from_dict(d["value_of_information"])),
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
