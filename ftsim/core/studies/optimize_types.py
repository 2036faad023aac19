"""What a retraining-policy search returns: frozen dataclasses, their JSON (``to_dict``), a
pandas frame, and the plain sentences that say whether the best policy is distinguishable."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ...format import format_money, format_points, format_probability
from ..metrics import Z95, wilson_interval

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Policy", "PolicyOutcome", "PairedDifference", "SplitCheck", "PolicyOptimization",
           "outcome_of", "paired_difference", "DISTINGUISHABLE_SE"]

DISTINGUISHABLE_SE = 2.0  # a difference is called distinguishable beyond this many se


@dataclass(frozen=True)
class Policy:
    """A maintenance policy. None: the scenario's own law of a random cadence or lag (and,
    with on-drift retraining off, the lag is unused)."""

    retrain_every_months: int | None  # 0 = no schedule
    retrain_on_drift: bool
    detection_lag_months: int | None

    @property
    def label(self) -> str:
        """``no retraining``, ``every 3 months``, ``on drift, lag 1``, ``every 6 months + on
        drift, lag 0``."""
        k, lag = self.retrain_every_months, self.detection_lag_months
        cadence = ("cadence as in the scenario" if k is None else
                   "" if k == 0 else "every month" if k == 1 else f"every {k} months")
        if not self.retrain_on_drift:
            return cadence or "no retraining"
        drift = "on drift, lag as in the scenario" if lag is None else f"on drift, lag {lag}"
        return f"{cadence} + {drift}" if cadence else drift

    def to_dict(self) -> dict[str, Any]:
        return {"retrain_every_months": self.retrain_every_months,
                "retrain_on_drift": self.retrain_on_drift,
                "detection_lag_months": self.detection_lag_months, "label": self.label}


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


@dataclass(frozen=True)
class PolicyOutcome:
    """One policy's results over the paths (money in the scenario currency)."""

    policy: Policy
    is_own: bool  # the scenario's own policy
    npv_mean: float
    npv_se: float  # sd / sqrt(n)
    p_payback_within: float
    p_payback_within_ci95: tuple[float, float]  # Wilson
    retrains_mean: float  # retrains of any kind per path (scheduled, on drift, rebuilds)

    @property
    def npv_ci95(self) -> tuple[float, float]:
        return (self.npv_mean - Z95 * self.npv_se, self.npv_mean + Z95 * self.npv_se)

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.policy.to_dict(), "is_own": self.is_own,
                "npv_mean": _finite(self.npv_mean), "npv_se": _finite(self.npv_se),
                "npv_ci95": [_finite(x) for x in self.npv_ci95],
                "p_payback_within": self.p_payback_within,
                "p_payback_within_ci95": list(self.p_payback_within_ci95),
                "retrains_mean": self.retrains_mean}


def paired_difference(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """Mean of ``a - b`` path by path, its paired standard error sd(a - b)/sqrt(n), and the
    standard error two independent samples of the same sizes would have had."""
    n = a.shape[0]
    if n < 2:
        return float(np.mean(a - b)), math.nan, math.nan
    d = a - b
    paired = float(np.std(d, ddof=1)) / math.sqrt(n)
    unpaired = math.sqrt((float(np.var(a, ddof=1)) + float(np.var(b, ddof=1))) / n)
    return float(np.mean(d)), paired, unpaired


def outcome_of(policy: Policy, is_own: bool, npv: np.ndarray, hits: np.ndarray,
               retrains_mean: float) -> PolicyOutcome:
    """A policy's outcome from its per-path NPVs and payback-within-N indicators."""
    n = npv.shape[0]
    se = float(np.std(npv, ddof=1)) / math.sqrt(n) if n > 1 else math.nan
    count = int(np.count_nonzero(hits))
    return PolicyOutcome(policy, is_own, float(np.mean(npv)), se, count / n,
                         wilson_interval(count, n), float(retrains_mean))


@dataclass(frozen=True)
class PairedDifference:
    """E[metric(a) - metric(b)] on the same paths, with its paired standard error."""

    a: Policy
    b: Policy
    metric: str  # "npv" (money) or "p_payback_within" (probability)
    mean: float
    se: float  # sd(x_a - x_b) / sqrt(n)
    unpaired_se: float  # what independent runs of the same sizes would give
    paths: int

    @classmethod
    def of(cls, a: Policy, b: Policy, metric: str, x_a: np.ndarray,
           x_b: np.ndarray) -> PairedDifference:
        mean, se, unpaired = paired_difference(x_a, x_b)
        return cls(a, b, metric, mean, se, unpaired, int(x_a.shape[0]))

    @property
    def ci95(self) -> tuple[float, float]:
        return (self.mean - Z95 * self.se, self.mean + Z95 * self.se)

    @property
    def distinguishable(self) -> bool:
        """|difference| > 2 paired se (a difference of exactly 0 never is)."""
        return bool(abs(self.mean) > DISTINGUISHABLE_SE * self.se)

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a.to_dict(), "b": self.b.to_dict(), "metric": self.metric,
                "mean": _finite(self.mean), "se": _finite(self.se),
                "ci95": [_finite(x) for x in self.ci95],
                "unpaired_se": _finite(self.unpaired_se), "paths": self.paths,
                "distinguishable": self.distinguishable}


@dataclass(frozen=True)
class SplitCheck:
    """The best policy chosen on the first half of the paths, its gains measured on the
    second half: an honest estimate, free of the selection's optimism."""

    chosen: Policy
    agrees: bool  # the same policy as the best on all paths
    choose_paths: int
    measure_paths: int
    vs_own: PairedDifference | None  # None when the chosen policy is the scenario's own
    vs_runner_up: PairedDifference  # against the first half's runner-up

    def to_dict(self) -> dict[str, Any]:
        return {"chosen": self.chosen.to_dict(), "agrees_with_best": self.agrees,
                "choose_paths": self.choose_paths, "measure_paths": self.measure_paths,
                "vs_own": None if self.vs_own is None else self.vs_own.to_dict(),
                "vs_runner_up": self.vs_runner_up.to_dict()}


def _verdict(diff: PairedDifference) -> str:
    return ("distinguishable" if diff.distinguishable else
            "not distinguishable at this number of paths")


@dataclass(frozen=True)
class PolicyOptimization:
    """A policy search's results. ``outcomes`` in grid order; the fields ``own``,
    ``best_npv``, ``runner_up`` and ``best_payback`` are indices into it."""

    scenario: str
    option_id: str
    option_name: str
    currency: str
    paths: int
    seed: int
    sampler: str
    horizon_months: int
    payback_within_months: int
    discount_rate_annual: float
    seconds: float
    outcomes: tuple[PolicyOutcome, ...]
    own: int
    best_npv: int
    runner_up: int | None  # second by E[NPV]; None with a single policy
    best_payback: int  # by P(payback within N), ties broken by E[NPV]
    best_vs_own: PairedDifference | None  # NPV; None when the best is the scenario's own
    best_vs_runner_up: PairedDifference | None
    payback_vs_own: PairedDifference | None  # P(payback) of the best by it, minus the own's
    split: SplitCheck | None  # None below 200 paths or with one policy
    notes: tuple[str, ...] = ()

    def money(self, x: float) -> str:
        return format_money(x, self.currency)

    def _signed(self, x: float) -> str:
        return ("+" if x > 0 else "") + self.money(x)

    def _npv_sentence(self, what: str, diff: PairedDifference) -> str:
        lo, hi = diff.ci95
        return (f"Against {what} ({diff.b.label}): {self._signed(diff.mean)} E[NPV] "
                f"(paired se {self.money(diff.se)}, 95% interval {self.money(lo)} to "
                f"{self.money(hi)}; independent runs would give se "
                f"{self.money(diff.unpaired_se)}): {_verdict(diff)}.")

    def statements(self) -> tuple[str, ...]:
        """Plain sentences: the best policies, whether the best is distinguishable from the
        scenario's own and from the runner-up, and the split-sample check."""
        best, own = self.outcomes[self.best_npv], self.outcomes[self.own]
        out = [f"Best by E[NPV]: {best.policy.label}, {self.money(best.npv_mean)} "
               f"(se {self.money(best.npv_se)}), {best.retrains_mean:.1f} retrains a path."]
        if self.best_vs_own is None:
            out.append(f"It is the scenario's own policy ({own.policy.label}).")
        else:
            out.append(self._npv_sentence("the scenario's own policy", self.best_vs_own))
        if self.best_vs_runner_up is not None:
            out.append(self._npv_sentence("the runner-up", self.best_vs_runner_up))
            if len(self.outcomes) > 2:
                out.append(f"The best of {len(self.outcomes)} policies was picked on the "
                           "same paths it is measured on, so its lead over the runner-up is "
                           "optimistic (a selection effect); the split-sample check below "
                           "is not.")
        out += self._split_sentences()
        by_p = self.outcomes[self.best_payback]
        p_text = (f"Best by P(payback within {self.payback_within_months} months): "
                  f"{by_p.policy.label}, {format_probability(by_p.p_payback_within)}")
        if self.payback_vs_own is None:
            out.append(p_text + " (the scenario's own policy).")
        else:
            d = self.payback_vs_own
            out.append(p_text + f", {format_points(d.mean)} against the scenario's own "
                       f"(paired se {format_points(d.se, signed=False)}): {_verdict(d)}.")
        return tuple(out + list(self.notes))

    def _split_sentences(self) -> list[str]:
        s = self.split
        if s is None:
            return []
        same = ("the same policy" if s.agrees else
                "not the best on all paths: the ranking at the top is not stable")
        gains = [f"{self._signed(d.mean)} against {what} ({d.b.label}; se "
                 f"{self.money(d.se)}, {_verdict(d)})"
                 for what, d in (("the scenario's own", s.vs_own),
                                 ("the first half's runner-up", s.vs_runner_up))
                 if d is not None]
        own = " It is the scenario's own policy." if s.vs_own is None else ""
        return [f"Split-sample check: chosen on the first {s.choose_paths:,} paths, the best "
                f"is {s.chosen.label} ({same}); on the other {s.measure_paths:,} paths it "
                f"gains {' and '.join(gains)}.{own}"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: NaN and infinities become None."""
        def opt(x: PairedDifference | SplitCheck | None) -> Any:
            return None if x is None else x.to_dict()

        return {
            "scenario": self.scenario, "option": self.option_id, "name": self.option_name,
            "currency": self.currency, "paths": self.paths, "seed": self.seed,
            "sampler": self.sampler, "horizon_months": self.horizon_months,
            "payback_within_months": self.payback_within_months,
            "discount_rate_annual": self.discount_rate_annual, "seconds": self.seconds,
            "policies": [o.to_dict() for o in self.outcomes],
            "own": self.own, "best_npv": self.best_npv, "runner_up": self.runner_up,
            "best_payback": self.best_payback, "best_vs_own": opt(self.best_vs_own),
            "best_vs_runner_up": opt(self.best_vs_runner_up),
            "payback_vs_own": opt(self.payback_vs_own), "split": opt(self.split),
            "statements": list(self.statements()),
        }

    def by_npv(self) -> list[tuple[PolicyOutcome, str]]:
        """Outcomes by E[NPV], highest first, each with its marks ("best", "own", "best P"
        for the best by P(payback), joined by ", ")."""
        marks: dict[int, list[str]] = {}
        for index, mark in ((self.best_npv, "best"), (self.own, "own"),
                            (self.best_payback, "best P")):
            marks.setdefault(index, []).append(mark)
        order = sorted(range(len(self.outcomes)), key=lambda i: -self.outcomes[i].npv_mean)
        return [(self.outcomes[i], ", ".join(marks.get(i, []))) for i in order]

    def rows(self) -> list[dict[str, Any]]:
        """One flat record per policy (the frame's and optimize.csv's rows)."""
        rows = []
        for i, o in enumerate(self.outcomes):
            lo, hi = o.npv_ci95
            p_lo, p_hi = o.p_payback_within_ci95
            rows.append({
                "retrain_every_months": o.policy.retrain_every_months,
                "retrain_on_drift": o.policy.retrain_on_drift,
                "detection_lag_months": o.policy.detection_lag_months,
                "label": o.policy.label, "is_own": o.is_own, "is_best_npv": i == self.best_npv,
                "is_best_payback": i == self.best_payback, "npv_mean": o.npv_mean,
                "npv_se": o.npv_se, "npv_ci95_low": lo, "npv_ci95_high": hi,
                "p_payback_within": o.p_payback_within, "p_payback_within_ci95_low": p_lo,
                "p_payback_within_ci95_high": p_hi, "retrains_mean": o.retrains_mean})
        return rows

    def frame(self) -> pd.DataFrame:
        """One row per policy, in grid order (cadence and lag as nullable integers)."""
        import pandas as pd  # lazy: only the table-returning calls import pandas

        frame = pd.DataFrame(self.rows())
        for column in ("retrain_every_months", "detection_lag_months"):
            frame[column] = frame[column].astype("Int64")
        return frame
