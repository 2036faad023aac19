"""The named static inputs: built from the sampled dict, a missing key is named."""

from __future__ import annotations

import numpy as np
import pytest
from support import make_option, make_static

from ftsim.core.inputs import ApiServingDraws, GpuServingDraws, build_inputs


def test_fields_are_the_schema_keys():
    static = make_static(2, baseline__cached_share=0.25, serving__utilization=0.5)
    inputs = build_inputs(static, [make_option("gpu", capacity="tokens")])
    assert inputs.baseline.cached_share is static["baseline.cached_share"]
    option = inputs.options["ft"]
    assert isinstance(option.serving, GpuServingDraws)
    np.testing.assert_array_equal(option.serving.utilization, [0.5, 0.5])
    assert option.maintenance.retrain_cost is static["options.ft.maintenance.retrain_cost"]


@pytest.mark.parametrize("key", ["baseline.cached_share", "traffic.output_tokens",
                                 "options.ft.serving.price_input_per_mtok",
                                 "options.ft.maintenance.detection_lag_months",
                                 "options.ft.escalation_rate"])
def test_a_missing_key_is_named(key):
    static = make_static()
    del static[key]
    with pytest.raises(KeyError, match=key.replace(".", r"\.")):
        build_inputs(static, [make_option("api")])


def test_mode_specific_keys_are_required_only_by_their_mode():
    static = make_static()
    del static["options.ft.serving.throughput_tokens_per_second"]
    del static["options.ft.build.training_gpu_hourly_cost"]
    option = build_inputs(static, [make_option("api", training_mode="api")]).options["ft"]
    assert isinstance(option.serving, ApiServingDraws)
    assert option.build.training_gpu_hourly_cost is None
    build_inputs(static, [make_option("gpu", capacity="requests", gpu_cost_from_serving=True)])
    with pytest.raises(KeyError, match=r"options\.ft\.serving\.throughput_tokens_per_second"):
        build_inputs(static, [make_option("gpu", capacity="tokens", gpu_cost_from_serving=True)])
    with pytest.raises(KeyError, match=r"options\.ft\.build\.training_gpu_hourly_cost"):
        build_inputs(static, [make_option("gpu", capacity="requests")])


def test_price_indices_by_name():
    static = make_static()
    static["prices.api.annual_decline"] = np.zeros(1)
    with pytest.raises(KeyError, match=r"prices\.api\.events_per_year"):
        build_inputs(static, price_indices=["api"])
    static["prices.api.events_per_year"] = np.ones(1)
    assert build_inputs(static, price_indices=["api"]).prices["api"].events_per_year[0] == 1.0
