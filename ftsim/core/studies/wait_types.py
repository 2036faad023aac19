"""What a wait analysis returns: frozen dataclasses, their JSON (``to_dict``), a pandas frame
and the plain sentences that say whether waiting is worth it (ftsim/core/studies/wait.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...format import format_money, format_probability
from ..metrics import Z95

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["WORTH_SE", "Feature", "OptionFit", "WaitRow", "WaitAnalysis"]

WORTH_SE = 2.0  # a value of waiting is called distinguishable from 0 beyond this many se


def _finite(x: float | None) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


@dataclass(frozen=True)
class Feature:
    """One observed quantity of the world's history through the decision month."""

    key: str  # e.g. "traffic.requests_at_k", "prices.api.index_at_k"
    label: str  # e.g. "Requests in month k"

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label}


@dataclass(frozen=True)
class OptionFit:
    """How well the history predicts one option's NPV if committed at k: per half of the
    paths, the regression model chosen within that half by cross-validation ("constant"
    when the fitted rule did not beat deciding on the means on held-out folds), and the
    R^2 of its predictions on the other half (the paths it decides on; None when the NPV
    does not vary)."""

    option_id: str
    models: tuple[str, str]  # fitted on the first half, on the second half
    r2_out_of_sample: float | None  # pooled over both halves

    def to_dict(self) -> dict[str, Any]:
        return {"option": self.option_id, "models": list(self.models),
                "r2_out_of_sample": _finite(self.r2_out_of_sample)}


@dataclass(frozen=True)
class WaitRow:
    """Deciding after month k (k = 0: decide now, on the expected NPVs alone).

    ``npv_mean``: E[NPV] of the policy "wait k months, then commit to the option whose
    predicted NPV is highest if it is above 0, else keep the baseline" (discounted to
    today, relative to the baseline), each path decided by a rule fitted on the other half
    of the paths. ``value``: the value of waiting, E[NPV of waiting k] - max(E[NPV of
    committing now], 0), paired path by path, with its standard error. ``perfect_bound``:
    the same value had the analyst known every path's NPV at k (E[max(0, NPV_k)] -
    max(E[NPV now], 0), by ``ftsim.core.voi.evpi``): no rule can do better.
    ``no_learning_value``: waiting k months and then deciding on the expected NPVs alone
    (the cost of delay when negative)."""

    month: int
    npv_mean: float
    npv_se: float
    p_commit: float
    p_commit_by_option: tuple[tuple[str, float], ...]
    committed_npv_by_option: tuple[tuple[str, float], ...]  # E[NPV_k] committing regardless
    value: float
    value_se: float
    perfect_bound: float
    no_learning_value: float
    fits: tuple[OptionFit, ...] = ()

    @property
    def value_ci95(self) -> tuple[float, float]:
        return (self.value - Z95 * self.value_se, self.value + Z95 * self.value_se)

    @property
    def distinguishable(self) -> bool:
        """|value| > 2 se (k = 0, whose value is 0 by definition, never is)."""
        return bool(self.month > 0 and abs(self.value) > WORTH_SE * self.value_se)

    def to_dict(self) -> dict[str, Any]:
        return {"month": self.month, "npv_mean": _finite(self.npv_mean),
                "npv_se": _finite(self.npv_se), "p_commit": self.p_commit,
                "p_commit_by_option": dict(self.p_commit_by_option),
                "committed_npv_by_option": {k: _finite(v)
                                            for k, v in self.committed_npv_by_option},
                "value_of_waiting": _finite(self.value), "value_se": _finite(self.value_se),
                "value_ci95": [_finite(x) for x in self.value_ci95],
                "distinguishable": self.distinguishable,
                "perfect_information_bound": _finite(self.perfect_bound),
                "no_learning_value": _finite(self.no_learning_value),
                "fits": [f.to_dict() for f in self.fits]}


@dataclass(frozen=True)
class WaitAnalysis:
    """A wait analysis: ``rows`` by decision month, k = 0 (decide now) first; ``best``
    indexes the row with the highest value of waiting (0 when no k beats deciding now)."""

    scenario: str
    currency: str
    options: tuple[tuple[str, str], ...]  # (id, name) of the options weighed
    paths: int
    seed: int
    sampler: str
    horizon_months: int
    discount_rate_annual: float
    seconds: float
    now_option: str | None  # the option committed to now (None: keep the baseline)
    evpi_now: float  # EVPI of deciding now: E[max(0, NPV_0)] - max(E[NPV_0], 0)
    features: tuple[Feature, ...]  # observed at k (those varying over the paths)
    rows: tuple[WaitRow, ...]
    best: int
    notes: tuple[str, ...] = ()
    pilot: str | None = None  # the [[pilots]] entry run while waiting, if any
    pilot_cost: float = 0.0  # paid at month 0 by every waiting policy

    def money(self, x: float) -> str:
        return format_money(x, self.currency)

    def _signed(self, x: float) -> str:
        return ("+" if x > 0 else "") + self.money(x)

    def _name(self, option_id: str | None) -> str:
        names = dict(self.options)
        return "the baseline" if option_id is None else f"{names[option_id]} [{option_id}]"

    def statements(self) -> tuple[str, ...]:
        """Plain sentences: the decision now, the value of waiting per month, the best k."""
        now = self.rows[0]
        out = [f"Deciding now: commit to {self._name(self.now_option)}, E[NPV] "
               f"{self.money(now.npv_mean)} (se {self.money(now.npv_se)})."
               if self.now_option else
               f"Deciding now: keep the baseline (no option has a positive expected NPV; "
               f"the best is {self.money(max(v for _, v in now.committed_npv_by_option))})."]
        for row in self.rows[1:]:
            lo, hi = row.value_ci95
            verdict = ("worth more than deciding now" if row.distinguishable and row.value > 0
                       else "worth less than deciding now" if row.distinguishable
                       else "not distinguishable from deciding now at this number of paths")
            unlearnt = row.fits and all(f.models == ("constant", "constant") for f in row.fits)
            if unlearnt:
                verdict += (" (the history seen by then predicted no option's NPV better "
                            "than its mean, so the decision is the same as now's)")
            out.append(f"Waiting {row.month} months: E[NPV] {self.money(row.npv_mean)}, "
                       f"commit on {format_probability(row.p_commit)} of paths; value of "
                       f"waiting {self._signed(row.value)} (se {self.money(row.value_se)}, "
                       f"95% interval {self.money(lo)} to {self.money(hi)}): {verdict}. "
                       f"With perfect information at month {row.month} it would be "
                       f"{self._signed(row.perfect_bound)}; waiting without learning, "
                       f"{self._signed(row.no_learning_value)}.")
        if self.pilot is not None:
            out.append(f"Every waiting policy runs the pilot \"{self.pilot}\" meanwhile: "
                       f"its cost, {self.money(self.pilot_cost)}, is counted in each value "
                       "and its measurement is seen when deciding.")
        best = self.rows[self.best]
        if self.best == 0:
            out.append("Best: decide now (no waiting time tried has a positive value).")
        else:
            sure = ("distinguishable from deciding now" if best.distinguishable else
                    "but not distinguishable from deciding now at this number of paths")
            out.append(f"Best: wait {best.month} months and then decide ({sure}).")
        return tuple(out + list(self.notes))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: NaN and infinities become None."""
        return {
            "scenario": self.scenario, "currency": self.currency,
            "options": [{"id": i, "name": n} for i, n in self.options],
            "paths": self.paths, "seed": self.seed, "sampler": self.sampler,
            "horizon_months": self.horizon_months,
            "discount_rate_annual": self.discount_rate_annual, "seconds": self.seconds,
            "now_option": self.now_option, "evpi_now": _finite(self.evpi_now),
            "pilot": self.pilot, "pilot_cost": self.pilot_cost,
            "features": [f.to_dict() for f in self.features],
            "rows": [r.to_dict() for r in self.rows], "best": self.best,
            "best_month": self.rows[self.best].month,
            "statements": list(self.statements()),
        }

    def records(self) -> list[dict[str, Any]]:
        """One flat record per decision month (the frame's and wait.csv's rows)."""
        out = []
        for i, r in enumerate(self.rows):
            lo, hi = r.value_ci95
            record: dict[str, Any] = {
                "month": r.month, "is_best": i == self.best, "npv_mean": r.npv_mean,
                "npv_se": r.npv_se, "p_commit": r.p_commit, "value_of_waiting": r.value,
                "value_se": r.value_se, "value_ci95_low": lo, "value_ci95_high": hi,
                "perfect_information_bound": r.perfect_bound,
                "no_learning_value": r.no_learning_value}
            for option_id, p in r.p_commit_by_option:
                record[f"p_commit.{option_id}"] = p
            for option_id, v in r.committed_npv_by_option:
                record[f"committed_npv.{option_id}"] = v
            out.append(record)
        return out

    def frame(self) -> pd.DataFrame:
        """One row per decision month, k = 0 first."""
        import pandas as pd  # lazy: only the table-returning calls import pandas

        return pd.DataFrame(self.records())
