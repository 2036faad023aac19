"""The value of information of a run, as summary.json holds it (``value_of_information``).

Frozen records like the rest of the summary (summary_parts.py): money in the scenario's
currency, each estimate with its Monte Carlo standard error. Decisions are named by option
id, None for keeping the baseline (an option may be called "baseline"). Definitions and
estimators: docs/model.md section 11.2; the computing: voi_summary.py.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal

__all__ = ["ValueEstimate", "InputValue", "GroupFit", "GroupValue", "PilotValue",
           "ValueOfInformation"]


def _flat(record: Any) -> dict[str, Any]:
    return {f.name: getattr(record, f.name) for f in fields(record)}


def _finite(*values: float | None) -> bool:
    """Whether every value is a finite number (a summary.json read back may hold null)."""
    return all(v is not None and math.isfinite(v) for v in values)


@dataclass(frozen=True)
class ValueEstimate:
    """A value in money and its Monte Carlo standard error."""

    value: float
    se: float

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "se": self.se}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ValueEstimate:
        return cls(d["value"], d["se"])


@dataclass(frozen=True)
class InputValue:
    """EVPPI of one random input: what knowing its true value before deciding is worth.
    ``worth_learning``: clear of Monte Carlo noise over the run's family of inputs (Holm's
    step-down at a family-wise 5 % on value / se) and at least 1 % of EVPI."""

    input: str
    label: str
    value: float
    se: float
    worth_learning: bool = False

    def to_dict(self) -> dict[str, Any]:
        return _flat(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> InputValue:
        return cls(d["input"], d["label"], d["value"], d["se"], d.get("worth_learning", False))


@dataclass(frozen=True)
class GroupFit:
    """How well a group's regression fits one option's net benefit (the fit check): the
    model chosen by cross-validation, its number of terms, R^2 in sample and out of fold
    (None when that option's net benefit does not vary)."""

    option: str
    model: str
    terms: int
    r2: float | None
    r2_cv: float | None

    def to_dict(self) -> dict[str, Any]:
        return _flat(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GroupFit:
        return cls(d["option"], d["model"], d["terms"], d["r2"], d["r2_cv"])


@dataclass(frozen=True)
class GroupValue:
    """EVPPI of a ``[[voi.groups]]`` entry (its inputs learnt together), by regression;
    ``value_cross_fitted`` is what the decisions of out-of-fold fits actually gain (below
    the EVPPI in expectation: the two bracket it)."""

    name: str
    inputs: tuple[str, ...]
    labels: tuple[str, ...]
    value: float
    se: float
    value_cross_fitted: float
    se_cross_fitted: float
    fits: tuple[GroupFit, ...]

    def to_dict(self) -> dict[str, Any]:
        d = _flat(self)
        d["inputs"], d["labels"] = list(self.inputs), list(self.labels)
        d["fits"] = [f.to_dict() for f in self.fits]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GroupValue:
        return cls(d["name"], tuple(d["inputs"]), tuple(d["labels"]), d["value"], d["se"],
                   d["value_cross_fitted"], d["se_cross_fitted"],
                   tuple(GroupFit.from_dict(f) for f in d["fits"]))


@dataclass(frozen=True)
class PilotValue:
    """A ``[[pilots]]`` entry priced: "worth ``evsi``, costs ``cost``, net ``net_value``".

    ``evsi`` (and ``se``): the expected value of the pilot's sample information at the
    time of the decision. The rule it implies: go ahead with ``go_option`` when the pilot
    observes a value ``go_when`` ("below" / "above") ``threshold`` (None when the pilot
    cannot change the decision or switches it at several places: ``switch_points`` with
    the ``decisions`` taken below, between and above them). ``discount_factor`` =
    (1 + r)^(-duration / 12); ``delay_cost`` = (1 - discount_factor) x the expected net
    benefit of the best decision now; ``net_value`` = discount_factor x evsi - cost -
    delay_cost, with ``net_value_se``.
    """

    name: str
    input: str
    label: str
    examples: int
    noise_sd_per_example: float
    observation_sd: float
    cost: float
    duration_months: float
    evsi: float
    se: float
    threshold: float | None
    go_when: Literal["below", "above"] | None
    go_option: str | None
    switch_points: tuple[float, ...]
    decisions: tuple[str | None, ...]
    discount_factor: float
    delay_cost: float
    net_value: float
    net_value_se: float
    source: str | None = None
    as_of: str | None = None

    @property
    def worth_today(self) -> float | None:
        """discount_factor x evsi: the pilot's information valued today (None if unknown)."""
        if not _finite(self.discount_factor, self.evsi):
            return None
        return self.discount_factor * self.evsi

    @property
    def total_cost(self) -> float | None:
        """cost + delay_cost: what the pilot takes, money and time (None if unknown)."""
        return self.cost + self.delay_cost if _finite(self.cost, self.delay_cost) else None

    def to_dict(self) -> dict[str, Any]:
        d = _flat(self)
        d["switch_points"], d["decisions"] = list(self.switch_points), list(self.decisions)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PilotValue:
        values: dict[str, Any] = {f.name: d.get(f.name) for f in fields(cls)}
        values["switch_points"] = tuple(d["switch_points"])
        values["decisions"] = tuple(d["decisions"])
        return cls(**values)


@dataclass(frozen=True)
class ValueOfInformation:
    """What is worth learning before deciding (summary.json ``value_of_information``).

    The decision: commit to one option or keep the baseline, whichever has the highest
    expected NPV (the baseline's is 0). ``decision_now``: that decision (None = keep the
    baseline), ``decision_now_name`` its name, ``expected_npv_now`` its expected NPV
    (0 for the baseline). ``evpi``: the expected value of perfect information;
    ``evppi``: of each random input alone, largest first; ``groups`` and ``pilots`` as
    declared in the scenario, in its order.
    """

    decision_now: str | None
    decision_now_name: str
    expected_npv_now: float
    evpi: ValueEstimate
    evppi: tuple[InputValue, ...]
    groups: tuple[GroupValue, ...] = ()
    pilots: tuple[PilotValue, ...] = ()

    def share_of_evpi(self, value: float | None) -> float | None:
        """``value`` / EVPI (None when either is unknown or EVPI is not positive)."""
        if not _finite(value, self.evpi.value) or self.evpi.value <= 0:
            return None
        return float(value) / self.evpi.value  # type: ignore[arg-type]

    def input_value(self, key: str) -> InputValue:
        """The EVPPI row of input ``key`` (KeyError when it has none)."""
        for row in self.evppi:
            if row.input == key:
                return row
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision_now": self.decision_now,
            "decision_now_name": self.decision_now_name,
            "expected_npv_now": self.expected_npv_now,
            "evpi": self.evpi.to_dict(),
            "evppi": [row.to_dict() for row in self.evppi],
            "groups": [g.to_dict() for g in self.groups],
            "pilots": [p.to_dict() for p in self.pilots],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ValueOfInformation:
        return cls(d["decision_now"], d["decision_now_name"], d["expected_npv_now"],
                   ValueEstimate.from_dict(d["evpi"]),
                   tuple(InputValue.from_dict(r) for r in d["evppi"]),
                   tuple(GroupValue.from_dict(g) for g in d.get("groups", ())),
                   tuple(PilotValue.from_dict(p) for p in d.get("pilots", ())))
