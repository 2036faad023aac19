"""MODEL.md section 4 formulas against hand calculations (domain_figures.md section 13)."""

from __future__ import annotations

import numpy as np
import pytest
from support import make_option, make_static, make_world, month_major

import ftsim
from ftsim.core.engine import World, simulate_option
from ftsim.core.inputs import build_inputs

H8 = 8


def run(option, static, world, updates=None, rate=0.0):
    """Simulate one option; ``updates`` given path-major like the other test inputs.
    Per-month outputs come back month-major (H, paths)."""
    updates = np.zeros(world.requests.shape, np.int64) if updates is None else month_major(updates)
    return simulate_option(option, build_inputs(static, [option]), world, updates,
                           horizon_months=world.requests.shape[0], discount_rate_annual=rate)


# --- baseline cost per request: V1, V2, V3, V4 -------------------------------------------
@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # V1: 3,500 in @ $2 + 270 out @ $8 = (7,000 + 2,160) / 1e6
        ({}, 0.00916),
        # V2: 3,500 @ $3 + 270 @ $15 = (10,500 + 4,050) / 1e6
        ({"baseline__price_input_per_mtok": 3, "baseline__price_output_per_mtok": 15}, 0.01455),
        # V3: 3,500 @ $2.50 + 270 @ $15 = (8,750 + 4,050) / 1e6
        ({"baseline__price_input_per_mtok": 2.5, "baseline__price_output_per_mtok": 15}, 0.0128),
        # V4: 2,000 task + 1,500 prefix fully cached at 25%: (2,000*2 + 1,500*0.5 + 270*8) / 1e6
        ({"traffic__input_tokens": 2000, "baseline__prompt_overhead_tokens": 1500,
          "baseline__cached_share": 1.0, "baseline__cached_price_factor": 0.25}, 0.00691),
        # half the prefix cached: billed input = 2,000 + 1,500 * (1 - 0.5 + 0.5 * 0.25) = 2,937.5
        ({"traffic__input_tokens": 2000, "baseline__prompt_overhead_tokens": 1500,
          "baseline__cached_share": 0.5, "baseline__cached_price_factor": 0.25},
         (2937.5 * 2 + 270 * 8) / 1e6),
        # RAG context is billed at the full input price: (3,500 + 1,200) * 2 + 270 * 8
        ({"rag__context_tokens": 1200}, (4700 * 2 + 2160) / 1e6),
    ],
)
def test_baseline_cost_per_request(values, expected):
    static = make_static(**values)
    world = make_world(static, np.full((1, 3), 1000.0))
    assert world.baseline_cost_per_request == pytest.approx(np.full((3, 1), expected), rel=1e-12)


def test_baseline_monthly_cost_adds_rag_and_errors():
    # C^B = R q + rag_m + R e_B c_err = 1000 * 0.00916 + 400 + 1000 * 0.06 * 2 = 529.16
    static = make_static(rag__monthly_cost=400, quality__baseline_error_rate=0.06,
                         quality__cost_per_error=2)
    world = make_world(static, np.full((1, 2), 1000.0))
    assert world.baseline_cost == pytest.approx(np.full((2, 1), 529.16), rel=1e-12)


# --- option serving -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "per_request"),
    [
        # V5: Together LoRA $0.18, 80% of a 1,800-token prefix removed: (3,500 - 1,440 + 270) * 0.18
        ({"traffic__input_tokens": 2060 - 360, "prompt_overhead_tokens": 360}, 2330 * 0.18 / 1e6),
        # V6: ft:gpt-4.1-mini, 2,060 @ $0.80 + 270 @ $3.20 = 0.002512
        ({"traffic__input_tokens": 2060, "serving__price_input_per_mtok": 0.8,
          "serving__price_output_per_mtok": 3.2}, 0.002512),
        # V7: ft:gpt-4o-mini, 2,060 @ $0.30 + 270 @ $1.20 = 0.000942
        ({"traffic__input_tokens": 2060, "serving__price_input_per_mtok": 0.3,
          "serving__price_output_per_mtok": 1.2}, 0.000942),
        # caching on the option's overhead + output ratio 0.5:
        # (1,000 + 400 * (1 - 0.5 + 0.5 * 0.1)) * 1 + 0.5 * 270 * 4 = 1,220 + 540
        ({"traffic__input_tokens": 1000, "prompt_overhead_tokens": 400,
          "serving__cached_share": 0.5, "serving__cached_price_factor": 0.1,
          "serving__price_input_per_mtok": 1.0, "serving__price_output_per_mtok": 4.0,
          "output_token_ratio": 0.5}, 1760 / 1e6),
    ],
)
def test_api_serving_cost(values, per_request):
    static = make_static(**values)
    world = make_world(static, np.full((1, 2), 1e6))
    out = run(make_option("api"), static, world)
    # Only serving differs from zero on the option side; savings = baseline - serving.
    assert out.monthly_cost_sums["serving"] == pytest.approx(np.full(2, 1e6 * per_request), rel=1e-12)


def test_option_without_rag_skips_context_tokens():
    static = make_static(rag__context_tokens=1000, traffic__input_tokens=1000, traffic__output_tokens=0,
                         serving__price_input_per_mtok=1.0)
    world = make_world(static, np.full((1, 1), 1e6))
    with_rag = run(make_option("api", uses_rag=True), static, world)
    without = run(make_option("api", uses_rag=False), static, world)
    # 1e6 requests * 2,000 vs 1,000 tokens * $1 / 1e6
    assert with_rag.monthly_cost_sums["serving"][0] == pytest.approx(2000.0)
    assert without.monthly_cost_sums["serving"][0] == pytest.approx(1000.0)


def test_gpu_sizing_by_tokens_uses_ceil():
    # Capacity per GPU-month = 1,000 tok/s * 3,600 * 730 * 0.5 = 1.314e9 tokens.
    # Need 1e6 requests * (1,730 + 270) tokens = 2e9 -> 1.52 -> ceil = 2 GPUs.
    # Cost = 2 * $2.50 * 730 = $3,650 (V9/V12: one H100-month at $2.50 = $1,825).
    static = make_static(traffic__input_tokens=1730, serving__utilization=0.5)
    world = make_world(static, np.full((1, 1), 1e6))
    out = run(make_option("gpu", capacity="tokens"), static, world)
    assert out.monthly_cost_sums["serving"][0] == pytest.approx(3650.0)
    # min_gpus = 3 is a floor above the ceil: 3 * 1,825
    static = make_static(traffic__input_tokens=1730, serving__utilization=0.5, serving__min_gpus=3)
    out = run(make_option("gpu", capacity="tokens"), static, world)
    assert out.monthly_cost_sums["serving"][0] == pytest.approx(5475.0)


def test_gpu_sizing_by_requests_per_second():
    # One GPU at 1 req/s, 35% utilisation: 3,600 * 730 * 0.35 = 919,800 requests/month.
    # 2,000,000 requests -> 2.17 -> 3 GPUs; min_gpus 2 is below. 3 * 2.5 * 730 = 5,475.
    static = make_static(serving__utilization=0.35, serving__min_gpus=2)
    world = make_world(static, np.array([[2_000_000.0, 919_800.0, 10.0]]))
    out = run(make_option("gpu", capacity="requests"), static, world)
    # month 2: exactly one GPU's capacity -> 1, floor 2; month 3: tiny traffic -> floor 2.
    assert out.monthly_cost_sums["serving"] == pytest.approx([5475.0, 3650.0, 3650.0])


def test_escalation_and_error_penalty_v13():
    # V13: 220k requests, gap +1 pp, cost per error = 0.6 * $6 = $3.60 -> $7,920/month more
    # errors than the baseline. Escalation 10% of requests also pays the baseline price:
    # esc = 0.1 * 220,000 * 0.00916 = 201.52, and the effective error rate is
    # 0.9 * (e_B + gap) + 0.1 * e_B.
    static = make_static(quality__baseline_error_rate=0.05, quality__cost_per_error=3.6,
                         error_rate_gap=0.01)
    world = make_world(static, np.full((1, 1), 220_000.0))
    out = run(make_option("api"), static, world)
    assert out.monthly_cost_sums["errors"][0] - out.monthly_cost_sums["baseline"][0] + 220_000 * 0.00916 \
        == pytest.approx(7920.0)
    static = make_static(quality__baseline_error_rate=0.05, quality__cost_per_error=3.6,
                         error_rate_gap=0.01, escalation_rate=0.1)
    out = run(make_option("api"), static, world)
    assert out.monthly_cost_sums["escalation"][0] == pytest.approx(0.1 * 220_000 * 0.00916)
    assert out.monthly_cost_sums["errors"][0] == pytest.approx(220_000 * (0.9 * 0.06 + 0.1 * 0.05) * 3.6)


# --- drift state and retraining -------------------------------------------------------------
DRIFT = np.array([[0, 1, 1, 0, 0, 2, 0, 0]])  # world events in months 2, 3 and 6 (two)
DRIFT_VALUES = dict(quality__baseline_error_rate=0.05, quality__cost_per_error=2.0,
                    drift__error_increase=0.01, drift__max_error_increase=0.3,
                    maintenance__retrain_cost=500.0)


def test_scheduled_retrains_reset_drift():
    # K = 4 from S = 1: retrains in months 4 and 8. Error cost 1000 * (0.05 + X_t) * 2:
    # X = 0, .01, .02, .02 (retrain), 0, .02, .02, .02 (retrain)
    static = make_static(**DRIFT_VALUES, maintenance__retrain_every_months=4)
    world = make_world(static, np.full((1, H8), 1000.0), drift_counts=DRIFT)
    out = run(make_option(), static, world)
    assert out.monthly_cost_sums["errors"] == pytest.approx([100, 120, 140, 140, 100, 140, 140, 140])
    assert out.monthly_cost_sums["retraining"] == pytest.approx([0, 0, 0, 500, 0, 0, 0, 500])
    assert out.retrains.tolist() == [2]


def test_retrain_on_drift_with_detection_lag():
    # D = 1: the month-2 event is seen in month 3 (retrain handles months 2-3), the month-6
    # events in month 7.
    static = make_static(**DRIFT_VALUES, maintenance__detection_lag_months=1)
    world = make_world(static, np.full((1, H8), 1000.0), drift_counts=DRIFT)
    out = run(make_option(retrain_on_drift=True), static, world)
    assert out.monthly_cost_sums["errors"] == pytest.approx([100, 120, 140, 100, 100, 140, 140, 100])
    assert out.monthly_cost_sums["retraining"] == pytest.approx([0, 0, 500, 0, 0, 0, 500, 0])
    # D = 0: retrain in the event's own month, after its error cost.
    static = make_static(**DRIFT_VALUES)
    out = run(make_option(retrain_on_drift=True), static, world)
    assert out.monthly_cost_sums["errors"] == pytest.approx([100, 120, 120, 100, 100, 140, 100, 100])
    assert out.retrains.tolist() == [3]
    # Without monitoring the state only grows, capped at max_error_increase = 0.03 here:
    static = make_static(**{**DRIFT_VALUES, "drift__max_error_increase": 0.03})
    out = run(make_option(retrain_on_drift=False), static, world)
    assert out.monthly_cost_sums["errors"] == pytest.approx([100, 120, 140, 140, 140, 160, 160, 160])


def test_base_model_update_forces_rebuild_at_indexed_price():
    # Rebuild = trials * (gpu_hours * hourly * I_gpu,t + eval_cost_per_run) = 2 * (3 * 2 * 0.5 + 10) = 26.
    # Month 4 is also a scheduled retrain (K = 4): only the rebuild is paid.
    static = make_static(**DRIFT_VALUES, maintenance__retrain_every_months=4, build__trials=2,
                         build__gpu_hours=3, build__training_gpu_hourly_cost=2,
                         build__eval_cost_per_run=10, build__examples=100,
                         build__data_cost_per_example=1, build__eval_setup_cost=1000,
                         build__engineering_cost=2000)
    gpu = np.array([[1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5]])
    world = make_world(static, np.full((1, H8), 1000.0), drift_counts=DRIFT, indices={"gpu": gpu})
    updates = np.array([[0, 0, 0, 1, 0, 1, 0, 0]])
    out = run(make_option(), static, world, updates)
    assert out.monthly_cost_sums["retraining"] == pytest.approx([0, 0, 0, 26, 0, 26, 0, 500])
    # month 6's rebuild resets the two events of month 6 after their cost
    assert out.monthly_cost_sums["errors"] == pytest.approx([100, 120, 140, 140, 100, 140, 100, 100])
    # U = examples * data + trials * (compute + eval) + setup + engineering = 100 + 2 * 16 + 3000
    assert out.upfront.tolist() == [3132.0]


def test_training_compute_defaults_to_the_serving_gpu_draw_and_api_pricing():
    # gpu training, no training_gpu_hourly_cost: the serving draw ($2.50) is used: 4 h * 2.5 = 10
    static = make_static(build__gpu_hours=4, serving__gpu_hourly_cost=2.5)
    world = make_world(static, np.full((1, 1), 1.0))
    out = run(make_option("gpu", capacity="requests", gpu_cost_from_serving=True), static, world)
    assert out.upfront.tolist() == [10.0]
    # api training: 5,000 examples * 2,000 tokens * 3 epochs = 30M tokens * $0.48 (V8) = 14.40
    static = make_static(build__examples=5000, build__tokens_per_example=2000, build__epochs=3,
                         build__training_price_per_mtok=0.48)
    out = run(make_option("api", training_mode="api"), static, world)
    assert out.upfront == pytest.approx([14.4])


def test_lead_time_keeps_traffic_on_baseline_and_shifts_schedule():
    # L = 2 -> S = 3: months 1-2 cost the baseline; events before S are not the option's;
    # K = 2 counts from S: retrains in months 4, 6, 8.
    static = make_static(**DRIFT_VALUES, lead_time_months=2, maintenance__retrain_every_months=2,
                         maintenance__monthly_cost=50)
    world = make_world(static, np.full((1, H8), 1000.0), drift_counts=DRIFT)
    out = run(make_option(), static, world)
    sums = out.monthly_cost_sums
    assert sums["baseline_while_not_live"][:2] == pytest.approx(world.baseline_cost[:2, 0])
    assert sums["maintenance"].tolist() == [0, 0, 50, 50, 50, 50, 50, 50]
    assert sums["retraining"].tolist() == [0, 0, 0, 500, 0, 500, 0, 500]
    # month 3: X = 0.01 (month 3's event only) -> 120; month 4 X = 0.01 -> 120, then reset;
    # month 6: two events -> 140, reset by that month's scheduled retrain; months 7-8: 100
    assert sums["errors"][2:] == pytest.approx([120, 120, 100, 140, 100, 100])
    assert out.start_month.tolist() == [3]
    # L beyond the horizon is clamped: never live
    static = make_static(lead_time_months=20)
    out = run(make_option(), static, make_world(static, np.full((1, 4), 1000.0)))
    assert out.payback_month.tolist() == [0] and out.start_month.tolist() == [5]


def test_abandoned_option_pays_baseline_and_never_pays_back():
    static = make_static(error_rate_gap=0.05, max_acceptable_gap=0.04, build__engineering_cost=1000,
                         maintenance__monthly_cost=10, maintenance__retrain_every_months=1)
    world = make_world(static, np.full((1, 4), 1e6))
    out = run(make_option(), static, world)
    assert out.abandoned.tolist() == [True]
    assert out.cumulative[:, 0].tolist() == [-1000.0] * 4
    assert out.payback_month.tolist() == [0]
    assert out.retrains.tolist() == [0]
    assert out.tco_option[0] == pytest.approx(1000 + world.baseline_cost.sum())


# --- payback, NPV ---------------------------------------------------------------------------
def _savings_world(savings: np.ndarray, maintenance: float = 10.0):
    """A world with no traffic, so the option costs only its maintenance: s_t = C^B_t - m.
    ``savings`` is path-major (paths, H); returns (static, world) with C^B_t = s_t + m."""
    n_paths, horizon = savings.shape
    static = make_static(n_paths, maintenance__monthly_cost=maintenance)
    zeros = np.zeros((horizon, n_paths))
    world = World(requests=zeros, baseline_cost_per_request=zeros,
                  baseline_cost=month_major(savings + maintenance),
                  drift_counts=np.zeros((horizon, n_paths), np.int64), indices={})
    return static, world


def test_payback_month_is_first_crossing_from_start():
    # Wanted CS_t per path -> U and s_t (CS_t = sum s - U):
    #   [-10, -5, 0, 3]: crosses exactly at 0 in month 3          U = 10, s = [0, 5, 5, 3]
    #   [0, 0, 1, 2]: zero upfront, S = 1 -> month 1              U = 0,  s = [0, 0, 1, 1]
    #   [0, 0, 1, 2]: zero upfront, S = 3 -> month 3 (not before S; months 1-2 cost C^B)
    #   [-1, 1, -1, -1]: crosses in month 2, dips later: month 2  U = 1,  s = [0, 2, -2, 0]
    #   [-5, -4, -3, -2]: never                                   U = 5,  s = [0, 1, 1, 1]
    savings = np.array([[0.0, 5, 5, 3], [0, 0, 1, 1], [0, 0, 1, 1], [0, 2, -2, 0], [0, 1, 1, 1]])
    static, world = _savings_world(savings)
    static["options.ft.build.engineering_cost"] = np.array([10.0, 0, 0, 1, 5])
    static["options.ft.lead_time_months"] = np.array([0.0, 0, 2, 0, 0])
    out = run(make_option(), static, world)
    assert out.cumulative.T.tolist() == [[-10, -5, 0, 3], [0, 0, 1, 2], [0, 0, 1, 2],
                                         [-1, 1, -1, -1], [-5, -4, -3, -2]]
    assert out.payback_month.tolist() == [3, 1, 3, 2, 0]
    assert out.dips_after_payback.tolist() == [False, False, False, True, False]
    # abandoned (gap > max_acceptable_gap): never pays back, whatever the savings would be
    static["options.ft.error_rate_gap"] = np.full(5, 0.02)
    static["options.ft.max_acceptable_gap"] = np.full(5, 0.01)
    assert run(make_option(), static, world).payback_month.tolist() == [0] * 5


def test_dip_after_payback_is_flagged():
    # Option serving is free: saving 0.00916 per request minus 300 maintenance.
    # Month 1: 1e5 requests -> s = 616, U = 600 -> CS_1 = 16 >= 0: payback in month 1.
    # Month 2: no traffic -> s = -300 -> CS_2 = -284 < 0: a dip after payback.
    static = make_static(serving__price_input_per_mtok=0, serving__price_output_per_mtok=0,
                         maintenance__monthly_cost=300, build__engineering_cost=600)
    world = make_world(static, np.array([[1e5, 0.0]]))
    out = run(make_option(), static, world)
    assert out.cumulative[:, 0] == pytest.approx([16.0, -284.0])
    assert out.payback_month.tolist() == [1]
    assert out.dips_after_payback.tolist() == [True]


def test_npv_discounts_monthly_at_the_annual_rate():
    static, world = _savings_world(np.array([[100.0, 100.0, -50.0]]), maintenance=50.0)
    static["options.ft.build.engineering_cost"] = np.array([150.0])
    # r_m = 1.12^(1/12) - 1, so the month-t factor is 1.12^(-t/12)
    expected = -150 + 100 * 1.12 ** (-1 / 12) + 100 * 1.12 ** (-2 / 12) - 50 * 1.12 ** (-3 / 12)
    assert run(make_option(), static, world, rate=0.12).npv == pytest.approx([expected], rel=1e-12)
    assert run(make_option(), static, world, rate=0.0).npv == pytest.approx([0.0])


def test_deterministic_option_end_to_end_by_hand():
    # Baseline: 1e5 requests * (2,060 * 2 + 270 * 8) / 1e6 = 628/month + rag 400. Option (api):
    # 1e5 * 2,330 tokens * 0.18 / 1e6 = 41.94 serving + 400 rag + 300 maintenance
    # -> saving 286.06/month. U = 1,000 -> CS_t = -1000 + 286.06 t: -713.94, -427.88,
    # -141.82, +144.24 -> payback in month 4.
    static = make_static(traffic__input_tokens=2060, rag__monthly_cost=400,
                         maintenance__monthly_cost=300, build__engineering_cost=1000)
    world = make_world(static, np.full((1, 4), 1e5))
    out = run(make_option(), static, world, rate=0.0)
    saving = 1e5 * (2060 * 2 + 270 * 8) / 1e6 - 1e5 * 2330 * 0.18 / 1e6 - 300
    assert out.cumulative[:, 0] == pytest.approx([-1000 + saving * t for t in (1, 2, 3, 4)])
    assert saving == pytest.approx(286.06)
    assert out.payback_month.tolist() == [4]
    assert out.npv == pytest.approx([144.24])
    assert out.tco_baseline == pytest.approx([4 * (628 + 400)])


# --- hard-range corners: finite money, no warnings (issue 9 item 3) -------------------------

EXTREME = """
[scenario]
horizon_months = 600
payback_within_months = 600
discount_rate_annual = {rate}

[simulation]
paths = 300
seed = 9

[traffic]
requests_per_month = 1e12
monthly_growth = 1
monthly_volatility = 2
input_tokens = 1e7
output_tokens = 1e7

[rag]
context_tokens = 1e7
monthly_cost = 1e12

[quality]
baseline_error_rate = 1
cost_per_error = 1e12

[drift]
events_per_year = 365
error_increase = 1
max_error_increase = 1

[prices.api]
annual_decline = 0
events_per_year = 52
event_multiplier = 100

[prices.gpu]
annual_decline = 0.999999
events_per_year = 52
event_multiplier = {{ dist = "uniform", min = 1e-9, max = 100 }}

[baseline]
price_input_per_mtok = 1e6
price_output_per_mtok = 1e6
prompt_overhead_tokens = 1e7
price_index = "api"

[options.api]
output_token_ratio = 100
prompt_overhead_tokens = 1e7
[options.api.serving]
mode = "api"
price_input_per_mtok = 1e6
price_output_per_mtok = 1e6
[options.api.build]
training_mode = "api"
examples = 1e10
tokens_per_example = 1e7
epochs = 1e4
trials = 1e4
training_price_per_mtok = 1e6
data_cost_per_example = 1e12
eval_setup_cost = 1e12
eval_cost_per_run = 1e12
engineering_cost = 1e12
[options.api.maintenance]
monthly_cost = 1e12
retrain_every_months = 1
retrain_cost = 1e12
base_model_updates_per_year = 52

[options.gpu_tokens]
output_token_ratio = 100
prompt_overhead_tokens = 1e7
[options.gpu_tokens.serving]
mode = "gpu"
gpu_hourly_cost = 1e5
throughput_tokens_per_second = 1e-3
utilization = 1e-3
min_gpus = 1e6
hours_per_month = 744
price_index = "gpu"
[options.gpu_tokens.build]
training_mode = "gpu"
gpu_hours = 1e9
training_gpu_hourly_cost = 1e5
trials = 1e4
[options.gpu_tokens.maintenance]
retrain_on_drift = true
base_model_updates_per_year = 52

[options.gpu_requests]
[options.gpu_requests.serving]
mode = "gpu"
gpu_hourly_cost = 1e5
requests_per_second = 1e-6
utilization = 1e-3
min_gpus = 1e6
hours_per_month = 1
price_index = "gpu"
[options.gpu_requests.build]
training_mode = "gpu"
gpu_hours = 1e9
trials = 1e4
"""


@pytest.mark.parametrize("rate", [-0.5, 10])
def test_hard_range_corner_gives_finite_money_without_warnings(rate):
    # Every stated value at its hard-range edge (notes/ranges.md): traffic 1e12 doubling
    # every month for 600 months with sigma 2, x100 price events 52 times a year, 365 drift
    # events a year, the largest prices, token counts and money amounts. Unclamped, R_t
    # reaches 1e12 * 2^599 (~1e192) and the API index 100^2600: money overflows to inf and
    # numpy warns. The clamps (R_t <= 1e15, index in [1e-9, 1e9], CS_t saturating at
    # float32's largest value) keep every output finite.
    import json
    import warnings

    from ftsim.core.kernel import CS_LIMIT
    from ftsim.scenario import parse_scenario

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scenario = parse_scenario(EXTREME.format(rate=rate))
        result = ftsim.simulate(scenario, jobs=1)
        summary = ftsim.summarize(result).to_dict()
    json.dumps(summary, allow_nan=False)
    assert np.isfinite(result.requests_per_month).all()
    assert result.requests_per_month.max() <= 1e15
    for option_id, option in result.options.items():
        for name in ("npv", "upfront", "tco_baseline", "tco_option"):
            values = getattr(option, name)
            assert values.dtype == np.float64, (option_id, name)  # money per path: float64
            assert np.isfinite(values).all(), (option_id, name)
        assert option.cumulative.dtype == np.float32  # by design (OptionResult)
        assert np.isfinite(option.cumulative).all() and np.abs(option.cumulative).max() <= CS_LIMIT
        for name, sums in option.monthly_cost_sums.items():
            assert np.isfinite(sums).all(), (option_id, name)
        npv = summary["options"][option_id]["npv"]
        assert all(npv[k] is not None for k in ("mean", "p5", "p50", "p95")), option_id


def test_price_index_is_clamped_to_its_safety_range():
    # x100 every month for 12 months would be 1e24; a decline of 99.9999 % a year for 600
    # months would be 1e-3000: the index stays within [1e-9, 1e9], and once the clamp lets
    # go the index moves by the factors again (1e9 * 0.01 = 1e7).
    from ftsim.core.dynamics import index_from_events
    counts = np.ones((14, 1), np.int64)
    multipliers = np.array([100.0] * 12 + [0.01, 0.01])
    out = index_from_events(np.array([0.0]), counts, multipliers)[:, 0]
    np.testing.assert_array_equal(out[:4], [1e2, 1e4, 1e6, 1e8])
    assert (out[4:12] == 1e9).all()
    assert out[12] == pytest.approx(1e7) and out[13] == pytest.approx(1e5)
    low = index_from_events(np.array([0.999999]), np.zeros((600, 1), np.int64), np.array([]))
    assert low[0, 0] == 1.0 and low[-1, 0] == 1e-9 and (low > 0).all()
    # (1 - 0.999999)^(1/12) = 10^-0.5 per month: 1e-9 is reached in month 19
    assert low[18, 0] == pytest.approx(10 ** (-0.5 * 18))


def test_engine_money_per_path_is_float64():
    static = make_static(2)
    world = make_world(static, [[1000.0] * 3] * 2)
    paths = run(make_option(), static, world)
    for name in ("npv", "upfront", "tco_baseline", "tco_option"):
        assert getattr(paths, name).dtype == np.float64, name
    assert paths.cumulative.dtype == np.float32
