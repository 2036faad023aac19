"""Hand-made summary dicts for the figure and report tests (no engine runs): a support
module, not a test module, so test modules never import each other."""

from __future__ import annotations

import numpy as np

__all__ = ["H", "N", "make_summary"]

H, N = 6, 3


def make_summary(horizon: int = H, deadline: int = N, currency: str = "USD") -> dict:
    """A two-option summary with the MODEL.md section 5 keys and the report extras.

    Option ``a`` pays back early (median month 3), option ``b`` late (median month 5);
    the numbers are made up but consistent: p_payback_within = p_payback_by_month[N - 1],
    bands are ordered p5 <= p25 <= p50 <= p75 <= p95; the NPV statistics, quantile function
    and targets are those of one normal law (mean 12k, sd 20k), the P5/P50/P95 of the
    ``npv`` spread included; the drivers hold significant and noise rows, one constant.
    """
    months = np.arange(1, horizon + 1)
    ramp = np.linspace(0.0, 1.0, horizon)

    def option(name: str, by_month: list[float], payback: dict, spearman0: float | None,
               upfront: float, slope: float) -> dict:
        p50 = -upfront + slope * months
        edges = np.linspace(-20_000.0, 60_000.0, 41)
        counts = (1000 * np.exp(-0.5 * ((edges[:-1] - 10_000) / 12_000) ** 2) / 25).astype(int)
        sensitivity = [
            {"input": "traffic.requests_per_month", "spearman": spearman0,
             "p_payback_low": 0.21, "p_payback_high": 0.86},
            {"input": "options.x.serving.throughput_tokens_per_second", "spearman": -0.4,
             "p_payback_low": 0.7, "p_payback_high": 0.3},
        ] + [{"input": f"traffic.extra_{i}", "spearman": 0.3 - 0.02 * i,
              "p_payback_low": 0.5, "p_payback_high": 0.55} for i in range(11)]
        drivers = [
            _driver("options.x.error_rate_gap", "Error-rate gap, Option X", -0.62, 0.02, 0.81,
                    0.19, 0.41, 0.02, 0.33, 0.02, -0.55, True),
            _driver("traffic.requests_per_month", "Requests per month", 0.45, 0.03, 0.21, 0.66,
                    0.12, 0.01, 0.2, 0.01, spearman0, True),
            _driver("options.x.serving.throughput_tokens_per_second",
                    "GPU throughput in tokens per second, Option X", -0.08, 0.03, 0.58, 0.5,
                    0.004, 0.003, 0.01, 0.003, -0.4, True),
            _driver("traffic.extra_0", "Extra 0", 0.04, 0.03, 0.5, 0.54, 0.0, 0.003, 0.0,
                    0.003, 0.3, False),
            _driver("traffic.constant", "Constant", None, None, 0.55, 0.55, 0.0, 0.0, 0.0, 0.0,
                    None, False),
        ]
        report = _npv_report()
        stats = report["npv_statistics"]
        return {
            "name": name,
            "p_payback_within": by_month[deadline - 1],
            "p_payback_within_ci95": [by_month[deadline - 1] - 0.03,
                                      by_month[deadline - 1] + 0.03],
            "p_payback_by_month": by_month,
            "payback_month": payback,
            "p_abandoned": 0.08,
            "npv": {k: stats[k] for k in ("mean", "p5", "p50", "p95")},
            "upfront_cost": {"mean": upfront, "p5": upfront / 2, "p50": upfront,
                             "p95": upfront * 2},
            "tco": {"baseline": {"mean": 600_000.0, "p50": 580_000.0},
                    "option": {"mean": 550_000.0, "p50": 540_000.0}},
            "cumulative_net_savings": {
                "p5": (p50 - 30_000 * ramp - 5_000).tolist(),
                "p25": (p50 - 10_000 * ramp - 1_000).tolist(),
                "p50": p50.tolist(),
                "p75": (p50 + 10_000 * ramp + 1_000).tolist(),
                "p95": (p50 + 30_000 * ramp + 5_000).tolist(),
            },
            "sensitivity": sensitivity,
            "verdict": "uncertain",
            "p_npv_negative": report["npv_targets"][1]["p_below"],
            "p_dips_below_zero_after_payback": 0.013,
            "mean_retrains": 1.0,
            "npv_histogram": {"edges": edges.tolist(), "counts": counts.tolist()},
            "monthly_mean_cost": {
                "baseline": (100_000 + 1_000 * months).tolist(),
                "baseline_api": (98_000 + 1_000 * months).tolist(),
                "baseline_errors": [1_500.0] * horizon,
                "baseline_rag": [500.0] * horizon,
                "serving": [0.0] + [20_000.0] * (horizon - 1),
                "escalation": [0.0] + [3_000.0] * (horizon - 1),
                "errors": [0.0] + [40_000.0] * (horizon - 1),
                "rag": [0.0] + [400.0] * (horizon - 1),
                "maintenance": [0.0] + [1_500.0] * (horizon - 1),
                "retraining": [0.0] * horizon,
                "baseline_while_not_live": [101_000.0] + [0.0] * (horizon - 1),
            },
            **report,
            "drivers": drivers,
        }

    def curve(first_six: list[float], last: float) -> list[float]:
        if horizon <= 6:
            return first_six[:horizon]
        return np.interp(months, [1, 2, 3, 4, 5, 6, horizon], [*first_six, last]).tolist()

    by_a = curve([0.0, 0.3, 0.55, 0.7, 0.8, 0.85], 0.95)
    by_b = curve([0.0, 0.0, 0.1, 0.3, 0.5, 0.6], 0.8)
    return {
        "ftsim_version": "0.1.0",
        "scenario": {"name": "Test scenario", "file": "test.toml", "sha256": "ab" * 32,
                     "currency": currency},
        "simulation": {"paths": 1000, "seed": 7, "sampler": "random",
                       "horizon_months": horizon, "payback_within_months": deadline,
                       "chunk_size": 512, "required_probability": 0.8,
                       "discount_rate_annual": 0.08},
        "baseline": {"name": "Prompted large model"},
        "volume": {"tokens_per_month": {"mean": 6e7, "p5": 1e7, "p50": 5e7, "p95": 2e8},
                   "requests_per_month": {"mean": 3e4, "p5": 5e3, "p50": 2.5e4, "p95": 1e5}},
        "inputs": [
            {"input": "traffic.requests_per_month", "written": "lognormal(p5=5000, p95=1e+05)",
             "random": True, "owner": "world", "p5": 5_000.0, "p50": 25_000.0, "p95": 1e5,
             "label": "Requests per month",
             "source": "Klarna assistant chats, American Banker", "as_of": "2024-02"},
            {"input": "options.a.maintenance.retrain_every_months", "written": "6",
             "random": False, "owner": "a", "p5": 6.0, "p50": 6.0, "p95": 6.0,
             "label": "Retraining interval, Option A, self-hosted", "source": None,
             "as_of": None},
            {"input": "options.b.maintenance.retrain_every_months", "written": "0",
             "random": False, "owner": "b", "p5": 0.0, "p50": 0.0, "p95": 0.0,
             "label": "Retraining interval, Option B via API", "source": "Analyst assumption",
             "as_of": "2026-11"},
        ],
        "options": {
            "a": option("Option A, self-hosted", by_a, {"p10": 2, "p50": 3, "p90": None},
                        0.61, 20_000.0, 9_000.0),
            "b": option("Option B via API", by_b, {"p10": 3, "p50": 5, "p90": None},
                        None, 40_000.0, 8_000.0),
        },
        "correlations": [
            {"a": "traffic.requests_per_month", "b": "traffic.extra_0",
             "a_label": "Requests per month", "b_label": "Extra 0", "spearman": 0.5,
             "source": "Analyst assumption", "as_of": "2026-11"},
        ],
    }


def _driver(key: str, label: str, swing: float | None, swing_se: float | None, low: float,
            high: float, share: float, share_se: float, npv_share: float, npv_share_se: float,
            spearman: float | None, significant: bool) -> dict:
    """A drivers entry; deciles of the input made up as 10 and 90."""
    return {"input": key, "label": label, "swing": swing, "swing_se": swing_se,
            "p_payback_low": low, "p_payback_high": high, "low_below": 10.0,
            "high_above": 90.0, "first_order": share, "first_order_se": share_se,
            "npv_first_order": npv_share, "npv_first_order_se": npv_share_se,
            "spearman": spearman, "significant": significant}


def _npv_report(mean: float = 12_000.0, sd: float = 20_000.0) -> dict:
    """NPV statistics, quantile function (levels 0.01..0.99 from the normal law, the
    extremes at +-4 sd), targets and expected loss of a Normal(mean, sd) NPV."""
    from statistics import NormalDist

    law = NormalDist(mean, sd)
    levels = [i / 100 for i in range(101)]
    values = [mean - 4 * sd] + [law.inv_cdf(q) for q in levels[1:-1]] + [mean + 4 * sd]
    stats = {"mean": mean, "sd": sd, "min": values[0], "max": values[-1]}
    stats.update({f"p{q}": values[q] for q in (1, 5, 10, 25, 50, 75, 90, 95, 99)})
    z = -mean / sd  # E[-X | X < 0] = sd phi(z) / Phi(z) - mean for X ~ N(mean, sd)
    loss = sd * NormalDist().pdf(z) / NormalDist().cdf(z) - mean
    targets = [{"target": t, "p_below": law.cdf(t),
                "ci95": [law.cdf(t) - 0.01, law.cdf(t) + 0.01]} for t in (-20_000.0, 0.0)]
    return {"npv_statistics": stats, "npv_quantiles": {"levels": levels, "values": values},
            "expected_loss_given_loss": loss, "npv_targets": targets}
