"""Human labels of input keys: every key that can be an input has one, built from the schema."""

from __future__ import annotations

import pytest
from support import BASE, END, snippet

from ftsim.scenario import input_label, parse_scenario, schema

# An option of each serving and training mode, with every optional key written, so the
# scenario holds every input key the schema can produce.
EVERY_MODE = snippet(
    ("[quality]", "[rag]\ncontext_tokens = 1000\n\n[drift]\nevents_per_year = 1\n\n[quality]"),
    (END, """
[prices.gpu]
annual_decline = 0.2
event_multiplier = 0.8

[options.reqs]
name = "LoRA 8B provider"

[options.reqs.serving]
mode = "gpu"
gpu_hourly_cost = 2
requests_per_second = 3

[options.reqs.build]
training_mode = "gpu"
training_gpu_hourly_cost = 3
"""),
)


def _every_input_key() -> set[str]:
    """Every key path the schema tables allow as an input (independent of the parser)."""
    keys = {f"{t}.{k}" for t, spec in schema.WORLD_NUMERIC.items() for k in spec}
    keys |= {f"prices.gpu.{k}" for k in (*schema.PRICE_NUMERIC, "event_multiplier")}
    keys |= {f"options.x.{k}" for k in schema.OPTION_NUMERIC}
    keys |= {f"options.x.serving.{k}" for mode in schema.SERVING_MODE_KEYS.values()
             for k in mode}
    keys |= {f"options.x.build.{k}" for k in schema.BUILD_NUMERIC}
    keys |= {f"options.x.build.{k}" for mode in schema.TRAINING_MODE_KEYS.values()
             for k in mode}
    keys |= {f"options.x.maintenance.{k}" for k in schema.MAINTENANCE_NUMERIC}
    return keys


def test_every_possible_input_key_has_a_label() -> None:
    s = parse_scenario(BASE)
    keys = _every_input_key()
    assert len(keys) > 50
    for key in sorted(keys):
        label = input_label(key, s)
        assert label != key and "_" not in label and label[0].isupper(), (key, label)


def test_every_plain_key_has_a_label_for_the_docs() -> None:
    sections = {"scenario": schema.SCENARIO_PLAIN, "simulation": schema.SIMULATION_PLAIN,
                "baseline": schema.BASELINE_PLAIN, "option": schema.OPTION_PLAIN,
                "serving": schema.SERVING_PLAIN, "build": schema.BUILD_PLAIN,
                "maintenance": schema.MAINTENANCE_PLAIN,
                "correlations": schema.CORRELATION_PLAIN}
    for section, plain in sections.items():
        for key in plain:
            assert schema.LABELS[section].get(key), (section, key)


def test_labels_of_a_parsed_scenario_are_distinct_and_name_the_option() -> None:
    s = parse_scenario(EVERY_MODE)
    inputs = s.all_inputs()
    labels = {key: input_label(key, s) for key in inputs}
    assert len(set(labels.values())) == len(labels), "two inputs share a label"
    # every input the parser produced is one the schema walk above knows
    generic = {k.replace(".lora.", ".x.").replace(".hosted.", ".x.").replace(".reqs.", ".x.")
               .replace("prices.api.", "prices.gpu.") for k in inputs}
    assert generic <= _every_input_key()
    assert labels["options.hosted.serving.price_input_per_mtok"].endswith(", Hosted fine-tune")
    assert labels["options.lora.error_rate_gap"] == "Error-rate gap, lora"  # name = id


@pytest.mark.parametrize(("key", "label"), [
    ("options.reqs.error_rate_gap", "Error-rate gap, LoRA 8B provider"),
    ("options.reqs.serving.requests_per_second",
     "GPU throughput in requests per second, LoRA 8B provider"),
    ("options.reqs.build.training_gpu_hourly_cost", "Training GPU hourly cost, LoRA 8B provider"),
    ("options.lora.maintenance.monthly_cost", "Monthly maintenance cost, lora"),
    ("traffic.requests_per_month", "Requests per month"),
    ("rag.monthly_cost", "Retrieval monthly cost"),
    ("prices.gpu.annual_decline", "Annual price decline, gpu index"),
    ("prices.api.events_per_year", "Price events per year, api index"),
    ("drift.events_per_year", "Drift events per year"),
])
def test_label_examples(key: str, label: str) -> None:
    assert input_label(key, parse_scenario(EVERY_MODE)) == label


def test_unknown_keys_are_returned_as_written() -> None:
    s = parse_scenario(BASE)
    for key in ("traffic.nonsense", "options.lora.serving.nonsense", "elsewhere", "a.b.c.d.e",
                "prices.api", "options.lora.report.x"):
        assert input_label(key, s) == key
    # an option the scenario does not have: its id stands in for the name
    assert input_label("options.gone.lead_time_months", s) == "Lead time, gone"
