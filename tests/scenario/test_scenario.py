"""Scenario parsing: defaults, overrides, and one table of every rejection rule (MODEL.md s.3)."""

from __future__ import annotations

import hashlib
import math
import statistics
from pathlib import Path

import pytest
from support import BASE, END, RANDOM, REJECTIONS, correlation, issues_of, snippet

from ftsim.errors import MAX_LINE, ScenarioError, ScenarioIssue
from ftsim.scenario import COUNT_KEYS, load_scenario, parse_override, parse_scenario


@pytest.mark.parametrize(
    ("edits", "key_path", "message"),
    [pytest.param(edits, key, msg, id=case_id) for case_id, edits, key, msg in REJECTIONS],
)
def test_rejection(edits: list[tuple[str | None, str]], key_path: str, message: str) -> None:
    issues = issues_of(snippet(*edits))
    matching = [m for k, m in issues if k == key_path and message.lower() in m.lower()]
    assert matching, f"no issue at {key_path!r} containing {message!r}; got {issues}"
    assert len(issues) == 1, f"expected exactly one issue, got {issues}"


def test_base_is_valid_and_applies_defaults() -> None:
    s = parse_scenario(BASE)
    assert (s.name, s.currency, s.horizon_months, s.payback_within_months) == ("Test", "USD",
                                                                               24, 12)
    assert (s.discount_rate_annual, s.required_probability) == (0.0, 0.8)
    assert (s.paths, s.seed, s.sampler) == (1000, 7, "random")
    assert not s.has_rag and s.baseline_price_index == "api" and s.correlations == ()
    assert list(s.options) == ["lora", "hosted"]  # file order

    def value(key_path: str) -> float:
        lo, hi = s.all_inputs()[key_path].dist.support
        assert lo == hi
        return lo

    assert value("traffic.monthly_growth") == 0.02
    assert value("traffic.monthly_volatility") == 0.0
    assert value("rag.context_tokens") == 0.0
    assert value("drift.max_error_increase") == 1.0
    assert value("baseline.cached_price_factor") == 1.0
    assert value("prices.api.events_per_year") == 0.0
    assert s.price_indices["api"].event_multiplier.support == (1.0, 1.0)
    assert value("options.lora.max_acceptable_gap") == math.inf
    assert value("options.lora.output_token_ratio") == 1.0
    assert value("options.lora.serving.utilization") == 1.0
    assert value("options.lora.serving.min_gpus") == 1.0
    assert value("options.lora.serving.hours_per_month") == 730.0
    assert value("options.lora.build.epochs") == 1.0
    assert value("options.lora.build.trials") == 1.0
    assert value("options.hosted.build.training_price_per_mtok") == 0.0

    lora, hosted = s.options["lora"], s.options["hosted"]
    assert (lora.name, hosted.name) == ("lora", "Hosted fine-tune")
    assert lora.uses_rag and not lora.retrain_on_drift
    assert (lora.serving.mode, lora.serving.price_index, lora.serving.capacity) == (
        "gpu", "gpu", "tokens")
    assert (hosted.serving.mode, hosted.serving.price_index, hosted.serving.capacity) == (
        "api", "api", None)
    assert (lora.build.training_mode, lora.build.price_index) == ("gpu", "gpu")
    assert lora.build.gpu_cost_from_serving
    assert (hosted.build.training_mode, hosted.build.price_index) == ("api", "api")
    assert not hosted.build.gpu_cost_from_serving

    inputs = s.all_inputs()
    assert inputs["traffic.input_tokens"].written == 300
    assert inputs["traffic.monthly_volatility"].written is None


def test_every_documented_input_is_present() -> None:
    s = parse_scenario(BASE)
    assert set(s.inputs) == {
        "traffic.requests_per_month", "traffic.monthly_growth", "traffic.monthly_volatility",
        "traffic.input_tokens", "traffic.output_tokens", "rag.context_tokens",
        "rag.monthly_cost", "quality.baseline_error_rate", "quality.cost_per_error",
        "drift.events_per_year", "drift.error_increase", "drift.max_error_increase",
        "baseline.price_input_per_mtok", "baseline.price_output_per_mtok",
        "baseline.prompt_overhead_tokens", "baseline.cached_share",
        "baseline.cached_price_factor", "prices.api.annual_decline",
        "prices.api.events_per_year",
    }
    common = {"prompt_overhead_tokens", "output_token_ratio", "lead_time_months",
              "error_rate_gap", "max_acceptable_gap", "escalation_rate",
              "build.examples", "build.tokens_per_example", "build.epochs", "build.trials",
              "build.data_cost_per_example", "build.eval_setup_cost", "build.eval_cost_per_run",
              "build.engineering_cost", "maintenance.monthly_cost",
              "maintenance.retrain_every_months", "maintenance.detection_lag_months",
              "maintenance.retrain_cost", "maintenance.base_model_updates_per_year"}
    gpu = {"serving.gpu_hourly_cost", "serving.throughput_tokens_per_second",
           "serving.utilization", "serving.min_gpus", "serving.hours_per_month",
           "build.gpu_hours"}  # no training_gpu_hourly_cost: the serving draw is reused
    api = {"serving.price_input_per_mtok", "serving.price_output_per_mtok",
           "serving.cached_share", "serving.cached_price_factor",
           "build.training_price_per_mtok"}
    assert set(s.options["lora"].inputs) == {f"options.lora.{k}" for k in common | gpu}
    assert set(s.options["hosted"].inputs) == {f"options.hosted.{k}" for k in common | api}


def test_training_gpu_cost_given_with_gpu_serving_is_an_input() -> None:
    s = parse_scenario(snippet(("examples = 5000", "training_gpu_hourly_cost = 3.0")))
    build = s.options["lora"].build
    assert not build.gpu_cost_from_serving
    assert "options.lora.build.training_gpu_hourly_cost" in s.options["lora"].inputs


def test_gpu_training_with_api_serving() -> None:
    s = parse_scenario(snippet(
        (END, '[options.hosted.build]\ntraining_mode = "gpu"\ngpu_hours = 4\n'
              'training_gpu_hourly_cost = 2.0')))
    hosted = s.options["hosted"]
    assert (hosted.build.training_mode, hosted.build.price_index) == ("gpu", "gpu")
    assert {"options.hosted.build.gpu_hours", "options.hosted.build.training_gpu_hourly_cost"} \
        <= set(hosted.inputs)
    assert "options.hosted.build.training_price_per_mtok" not in hosted.inputs


def test_requests_capacity_and_defined_price_index() -> None:
    s = parse_scenario(snippet(
        ("throughput_tokens_per_second = 2000", 'requests_per_second = 3\nprice_index = "h100"'),
        (END, "[prices.h100]\nannual_decline = 0.2")))
    serving = s.options["lora"].serving
    assert (serving.capacity, serving.price_index) == ("requests", "h100")
    assert "options.lora.serving.requests_per_second" in s.options["lora"].inputs
    assert "prices.h100.annual_decline" in s.inputs


def test_rag_table_sets_has_rag() -> None:
    s = parse_scenario(snippet((END, "[rag]\ncontext_tokens = 1200")))
    assert s.has_rag
    assert s.inputs["rag.context_tokens"].written == 1200


def test_count_flag() -> None:
    inputs = parse_scenario(BASE).all_inputs()
    for key_path, item in inputs.items():
        assert item.is_count == (key_path.rsplit(".", 1)[1] in COUNT_KEYS), key_path
    assert inputs["options.lora.serving.min_gpus"].is_count
    assert inputs["options.lora.lead_time_months"].is_count
    assert not inputs["traffic.input_tokens"].is_count


def test_many_mistakes_are_reported_together() -> None:
    issues = issues_of(snippet(
        ("monthly_growth = 0.02", "monthly_grwth = 0.02"),
        ("paths = 1000", "paths = 0"),
        ("price_input_per_mtok = 2.0", "price_input_per_mtok = -2.0"),
        ('mode = "api"', 'mode = "cloud"'),
        ("examples = 5000", "examples = 5000\ntraining_price_per_mtok = 3"),
    ))
    assert {k for k, _ in issues} == {
        "traffic.monthly_grwth", "simulation.paths", "baseline.price_input_per_mtok",
        "options.hosted.serving.mode", "options.lora.build.training_price_per_mtok",
    }


def test_scenario_name_defaults() -> None:
    text = BASE.replace('name = "Test"\n', "")
    assert parse_scenario(text).name == "scenario"
    assert parse_scenario(text, file=Path("support-bot.toml")).name == "support-bot"


# -- overrides --------------------------------------------------------------------------


def test_override_changes_a_value() -> None:
    s = parse_scenario(BASE, overrides=[("options.lora.serving.min_gpus", 2),
                                        ("scenario.name", "Foo")])
    item = s.options["lora"].inputs["options.lora.serving.min_gpus"]
    assert item.dist.support == (2.0, 2.0) and item.written == 2
    assert s.name == "Foo"


def test_override_creates_tables() -> None:
    s = parse_scenario(BASE, overrides=[("rag.context_tokens", 500)])
    assert s.has_rag and s.inputs["rag.context_tokens"].dist.support == (500.0, 500.0)


def test_override_with_inline_table() -> None:
    s = parse_scenario(BASE, overrides=[parse_override(
        "traffic.monthly_growth={p5=0.01, p95=0.03}")])
    item = s.inputs["traffic.monthly_growth"]
    assert item.is_random and item.written == {"p5": 0.01, "p95": 0.03}


def test_override_is_validated_like_a_written_key() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(BASE, overrides=[("traffic.monthly_grwth", 0.1),
                                        ("simulation.paths", 0)])
    found = {(i.key_path, i.message) for i in caught.value.issues}
    assert any(k == "traffic.monthly_grwth" and "did you mean 'monthly_growth'" in m
               for k, m in found)
    assert any(k == "simulation.paths" for k, _ in found)


def test_override_through_a_value_is_rejected() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(BASE, overrides=[("traffic.input_tokens.p5", 100)])
    assert [i.key_path for i in caught.value.issues] == ["--set"]
    assert "traffic.input_tokens is 300, not a table" in caught.value.issues[0].message


@pytest.mark.parametrize(
    ("assignment", "expected"),
    [
        pytest.param("options.lora_8b.serving.min_gpus=2",
                     ("options.lora_8b.serving.min_gpus", 2), id="integer"),
        pytest.param("scenario.discount_rate_annual = 0.08",
                     ("scenario.discount_rate_annual", 0.08), id="float-with-spaces"),
        pytest.param("scenario.name=Foo", ("scenario.name", "Foo"), id="bare-word"),
        pytest.param('scenario.name="Support bot"', ("scenario.name", "Support bot"),
                     id="quoted-string"),
        pytest.param("simulation.sampler=lhs", ("simulation.sampler", "lhs"), id="enum-word"),
        pytest.param("options.x.uses_rag=false", ("options.x.uses_rag", False), id="boolean"),
        pytest.param("options.x.max_acceptable_gap=inf", ("options.x.max_acceptable_gap",
                                                          math.inf), id="inf"),
        pytest.param("traffic.monthly_growth={p5=0.01, p95=0.03}",
                     ("traffic.monthly_growth", {"p5": 0.01, "p95": 0.03}), id="inline-table"),
        pytest.param("a.b=1e3", ("a.b", 1000.0), id="exponent"),
    ],
)
def test_parse_override(assignment: str, expected: tuple[str, object]) -> None:
    assert parse_override(assignment) == expected


@pytest.mark.parametrize(
    "assignment",
    [
        pytest.param("options.lora.min_gpus", id="no-equals"),
        pytest.param("=3", id="no-key"),
        pytest.param("a..b=1", id="empty-segment"),
        pytest.param("a.b=", id="no-value"),
        pytest.param("scenario.name=two words", id="unquoted-words"),
        pytest.param("a=1\nb = 2", id="second-assignment"),
        pytest.param("a={p5=1", id="unclosed-table"),
    ],
)
def test_parse_override_rejects(assignment: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_override(assignment)
    assert [i.key_path for i in caught.value.issues] == ["--set"]


# -- files --------------------------------------------------------------------------------


def test_load_scenario_hashes_the_bytes(tmp_path: Path) -> None:
    data = BASE.replace('name = "Test"\n', "").replace(
        '"Hosted fine-tune"', '"Hébergé"').encode("utf-8")
    path = tmp_path / "support-bot.toml"
    path.write_bytes(data)
    s = load_scenario(path)
    assert s.sha256 == hashlib.sha256(data).hexdigest()
    assert (s.name, s.file) == ("support-bot", path)
    assert s.options["hosted"].name == "Hébergé"
    assert parse_scenario(BASE).sha256 == ""


def test_load_scenario_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    (issue,) = caught.value.issues
    assert issue.key_path == str(path) and str(path) in issue.message


def test_syntax_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(BASE.replace("seed = 7", "seed = = 7"), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    (issue,) = caught.value.issues
    assert issue.key_path == str(path) and "line 8" in issue.message


# -- distributions (need the full distributions module) ---------------------------------


def test_random_inputs_and_valid_correlation() -> None:
    s = parse_scenario(snippet(
        *RANDOM,
        ("monthly_cost = 500",
         'monthly_cost = { dist = "normal", mean = 500, sd = 300, truncate = [0, inf] }'),
        correlation("traffic.monthly_growth", "options.lora.serving.gpu_hourly_cost", -0.4)))
    inputs = s.all_inputs()
    assert inputs["traffic.requests_per_month"].is_random
    assert inputs["traffic.requests_per_month"].written == {"p5": 50_000, "p95": 200_000}
    assert inputs["options.lora.maintenance.monthly_cost"].is_random
    assert s.correlations[0].rho == -0.4


MODEL_EXAMPLE = """\
[scenario]
name = "Customer-support assistant"
currency = "USD"
horizon_months = 36
payback_within_months = 12
discount_rate_annual = 0.08
required_probability = 0.8

[simulation]
paths = 100_000
seed = 20261128
sampler = "random"

[traffic]
requests_per_month = { p5 = 200_000, p95 = 2_000_000 }
monthly_growth = { dist = "normal", mean = 0.02, sd = 0.02, truncate = [-0.5, 0.5] }
monthly_volatility = 0.10
input_tokens = { dist = "pert", min = 150, mode = 300, max = 800 }
output_tokens = { dist = "pert", min = 80, mode = 200, max = 500 }

[rag]
context_tokens = 1200
monthly_cost = 400

[quality]
baseline_error_rate = 0.06
cost_per_error = { p5 = 0.5, p95 = 5.0 }

[drift]
events_per_year = { dist = "pert", min = 0.5, mode = 2, max = 6 }
error_increase = { dist = "pert", min = 0.01, mode = 0.03, max = 0.10 }
max_error_increase = 0.30

[prices.api]
annual_decline = { dist = "pert", min = 0.10, mode = 0.35, max = 0.70 }
events_per_year = 0.7
event_multiplier = { p5 = 0.2, p95 = 1.5 }

[prices.gpu]
annual_decline = { dist = "pert", min = 0.0, mode = 0.15, max = 0.35 }

[baseline]
name = "Prompted large model + RAG"
price_input_per_mtok = 2.0
price_output_per_mtok = 8.0
prompt_overhead_tokens = 1500
cached_share = 0.5
cached_price_factor = 0.25
price_index = "api"

[options.lora_8b]
name = "LoRA 8B, self-hosted"
uses_rag = true
prompt_overhead_tokens = 100
output_token_ratio = 1.0
lead_time_months = { dist = "pert", min = 1, mode = 2, max = 4 }
error_rate_gap = { dist = "normal", mean = 0.01, sd = 0.02 }
max_acceptable_gap = 0.04
escalation_rate = { dist = "pert", min = 0.0, mode = 0.05, max = 0.15 }

[options.lora_8b.serving]
mode = "gpu"
gpu_hourly_cost = { dist = "pert", min = 1.8, mode = 2.5, max = 4.0 }
throughput_tokens_per_second = { p5 = 1500, p95 = 5000 }
utilization = 0.6
min_gpus = 1
hours_per_month = 730
price_index = "gpu"

[options.lora_8b.build]
examples = 5000
tokens_per_example = 800
epochs = 3
trials = { dist = "choice", values = [2, 4, 8] }
training_mode = "gpu"
gpu_hours = { p5 = 2, p95 = 10 }
training_gpu_hourly_cost = 2.5
price_index = "gpu"
data_cost_per_example = { p5 = 0.2, p95 = 2.0 }
eval_setup_cost = { p5 = 2_000, p95 = 15_000 }
eval_cost_per_run = { p5 = 20, p95 = 200 }
engineering_cost = { p5 = 5_000, p95 = 30_000 }

[options.lora_8b.maintenance]
monthly_cost = { p5 = 500, p95 = 3_000 }
retrain_every_months = 6
retrain_on_drift = true
detection_lag_months = 1
retrain_cost = { p5 = 500, p95 = 5_000 }
base_model_updates_per_year = 1.0

[[correlations]]
a = "traffic.monthly_growth"
b = "prices.api.annual_decline"
rho = 0.3
"""


def test_model_md_example_is_valid() -> None:
    s = parse_scenario(MODEL_EXAMPLE)
    option = s.options["lora_8b"]
    assert option.name == "LoRA 8B, self-hosted" and option.retrain_on_drift
    assert not option.build.gpu_cost_from_serving
    assert s.has_rag and set(s.price_indices) == {"api", "gpu"}
    assert not s.price_indices["api"].event_multiplier.is_fixed
    assert s.correlations[0].a == "traffic.monthly_growth"


def test_correlation_with_an_unreadable_input_adds_no_second_error() -> None:
    issues = issues_of(snippet(
        *RANDOM, ('mode = "gpu"', 'mode = "gpus"'),
        correlation("traffic.monthly_growth", "options.lora.serving.gpu_hourly_cost", 0.3),
        correlation("traffic.requests_per_month", "prices.api.annual_decline", 0.3)))
    assert [k for k, _ in issues] == ["options.lora.serving.mode"]


# -- issue 9: reachable extremes, one-line errors, warnings, mistyped ids ----------------

# The sampler's extreme uniforms are 2**-53 and 1 - 2**-53; their normal score, computed with
# the standard library's NormalDist (independent of scipy's ndtri used by the code).
Z_EDGE = statistics.NormalDist().inv_cdf(1 - 2**-53)


def test_z_edge_is_about_8_21() -> None:
    assert Z_EDGE == pytest.approx(8.2095, abs=1e-3)


def test_lognormal_traffic_inside_the_hard_range_is_accepted() -> None:
    # p5 = 1e5, p95 = 1e7: mu = ln 1e6, sigma = ln(100) / (2 z95); the reachable maximum
    # exp(mu + sigma * Z_EDGE) is about 9.8e10, below the 1e12 bound, so no truncate is needed.
    z95 = statistics.NormalDist().inv_cdf(0.95)
    top = math.exp(math.log(1e6) + math.log(100) / (2 * z95) * Z_EDGE)
    assert 5e10 < top < 1e12
    s = parse_scenario(snippet(("requests_per_month = 100000",
                                "requests_per_month = { p5 = 1e5, p95 = 1e7 }")))
    assert s.inputs["traffic.requests_per_month"].is_random


def test_reachable_maximum_is_reported_with_the_truncate_advice() -> None:
    # p5 = 1e9, p95 = 1e11: reachable maximum exp(ln 1e10 + ln(100) / (2 z95) * Z_EDGE)
    z95 = statistics.NormalDist().inv_cdf(0.95)
    top = math.exp(math.log(1e10) + math.log(100) / (2 * z95) * Z_EDGE)
    issues = issues_of(snippet(("requests_per_month = 100000",
                                "requests_per_month = { p5 = 1e9, p95 = 1e11 }")))
    ((key, message),) = issues
    assert key == "traffic.requests_per_month"
    shown = message.split("reachable ")[1].split(",")[0].split("..")[1]
    assert float(shown) == pytest.approx(top, rel=1e-5)
    assert message.endswith("add truncate = [0, 1e12]")
    # the advice works: truncated, the same law is accepted
    parse_scenario(snippet(("requests_per_month = 100000",
                            "requests_per_month = { p5 = 1e9, p95 = 1e11, truncate = [0, 1e12] }")))


def test_open_bound_reached_by_a_continuous_law_through_underflow() -> None:
    # lognormal with median 1e-200 and sigma ~ 140: its 2**-53 quantile underflows to 0,
    # which the open bound of event_multiplier (0, 100] forbids
    issues = issues_of(snippet(("annual_decline = 0.3", "event_multiplier = { p5 = 1e-300, "
                                                        "p95 = 1e-100, truncate = [0, 100] }")))
    assert [k for k, _ in issues] == ["prices.api.event_multiplier"]
    assert "can take the value 0" in issues[0][1]


def test_error_lines_are_one_line_and_bounded() -> None:
    # a quoted key holding a newline, and a 100,000-character value
    text = snippet(("[quality]", '[quality]\n"a\\nforged: error" = 1'),
                   ("monthly_growth = 0.02", f'monthly_grwth = "{"x" * 100_000}"'))
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text)
    lines = str(caught.value).split("\n")
    assert len(lines) == len(caught.value.issues) == 2
    assert all(len(line) <= MAX_LINE for line in lines)
    assert any(line.startswith('quality."a\\nforged: error": unknown key') for line in lines)
    for issue in caught.value.issues:
        assert str(issue).splitlines() == [str(issue)]


@pytest.mark.parametrize("char", ["\n", "\r", "\t", "\x1b", "\x85", "\u2028", "\u2029",
                                  "\x00", "\u202e"])
def test_issue_str_escapes_every_line_break_and_control(char: str) -> None:
    shown = str(ScenarioIssue(f"k{char}x", f"m{char}y"))
    assert shown.isprintable() and len(shown.splitlines()) == 1
    assert shown.startswith("k\\") and "x: m\\" in shown


def test_issue_str_is_capped() -> None:
    shown = str(ScenarioIssue("a" * 1000, "b" * 1000))
    assert len(shown) == MAX_LINE and shown.endswith("...")


def test_deeply_nested_value_is_shown_shortened() -> None:
    depth = 200  # legal TOML; the message shows only its start
    issues = issues_of(snippet(("input_tokens = 300",
                                "input_tokens = " + "[" * depth + "]" * depth)))
    ((key, message),) = issues
    assert key == "traffic.input_tokens" and len(message) < 200


def test_file_stem_with_a_newline_gives_a_printable_default_name(tmp_path: Path) -> None:
    path = tmp_path / "bad\nname.toml"
    path.write_text(BASE.replace('name = "Test"\n', ""), encoding="utf-8")
    assert load_scenario(path).name == "bad\\nname"


def test_base_and_shipped_scenarios_have_no_warnings() -> None:
    assert parse_scenario(BASE).warnings == ()
    assert parse_scenario(MODEL_EXAMPLE).warnings == ()
    root = Path(__file__).resolve().parents[2]
    shipped = sorted((root / "scenarios").glob("*.toml"))
    assert len(shipped) >= 5
    for path in [*shipped, root / "benchmarks" / "stress_scenario.toml"]:
        assert load_scenario(path).warnings == (), path


WARNINGS = [
    # (id, edits, key path, message fragment)
    ("growth-50-percent", [("monthly_growth = 0.02", "monthly_growth = 0.5")],
     "traffic.monthly_growth", "0.5 is outside the plausible range [-0.2, 0.3] (fraction per "
                               "month: 0.02 = 2 %)"),
    ("gap-sd-for-percent", [("error_rate_gap = 0.01",
                             'error_rate_gap = { dist = "normal", mean = 0, sd = 1.5 }')],
     # P5..P95 = -+1.5 * 1.6449 = -+2.467
     "options.lora.error_rate_gap", "has P5..P95 = -2.46728..2.46728, outside the plausible "
                                    "range [-0.3, 0.3]"),
    ("cost-per-error-2e4", [("baseline_error_rate = 0.05", "baseline_error_rate = 0.05\n"
                                                            "cost_per_error = 2e4")],
     "quality.cost_per_error", "outside the plausible range [0, 10000]"),
    ("drift-more-than-weekly", [(END, "[drift]\nevents_per_year = 100")],
     "drift.events_per_year", "100 is outside the plausible range [0, 52]"),
    ("price-events-monthly-plus", [("annual_decline = 0.3",
                                    "annual_decline = 0.3\nevents_per_year = 20")],
     "prices.api.events_per_year", "outside the plausible range [0, 12]"),
    ("discount-8-for-8-percent", [("horizon_months = 24", "horizon_months = 24\n"
                                                          "discount_rate_annual = 8")],
     "scenario.discount_rate_annual", "8 is outside the plausible range [-0.05, 0.5]"),
    ("multiplier-median-inside-p95-outside",
     [("annual_decline = 0.3", "event_multiplier = { p5 = 0.5, p95 = 8, truncate = [0, 100] }")],
     "prices.api.event_multiplier", "outside the plausible range [0.05, 5]"),
]


@pytest.mark.parametrize(("edits", "key_path", "message"),
                         [pytest.param(e, k, m, id=i) for i, e, k, m in WARNINGS])
def test_implausible_value_gives_one_warning(edits: list[tuple[str | None, str]],
                                             key_path: str, message: str) -> None:
    s = parse_scenario(snippet(*edits))
    assert [(w.key_path, message in w.message) for w in s.warnings] == [(key_path, True)], \
        s.warnings


def test_inf_max_acceptable_gap_is_not_implausible() -> None:
    s = parse_scenario(snippet(("error_rate_gap = 0.01", "max_acceptable_gap = inf")))
    assert s.warnings == ()


def test_mistyped_option_id_without_mode_is_named() -> None:
    # [options.lora_8bb.serving] holding only a key of lora's serving table
    issues = issues_of(snippet((END, "[options.lorra.serving]\nmin_gpus = 2")))
    assert issues == [("options.lorra", "unknown option id \"lorra\" in [options.lorra.serving] "
                                        "(it holds no other keys); did you mean 'lora'?")]


def test_two_similar_complete_option_ids_are_not_a_typo() -> None:
    s = parse_scenario(snippet((END, '[options.hosted2.serving]\nmode = "api"\n'
                                     "price_input_per_mtok = 1\nprice_output_per_mtok = 2")))
    assert list(s.options) == ["lora", "hosted", "hosted2"]


def test_allow_files_outside_reaches_the_empirical_reader(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (tmp_path / "obs.csv").write_text("tokens\n300\n500\n", encoding="utf-8")
    text = snippet(("input_tokens = 300",
                    'input_tokens = { dist = "empirical", file = "../obs.csv", column = "tokens" }'))
    path = data / "s.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert [i.key_path for i in caught.value.issues] == ["traffic.input_tokens.file"]
    assert "outside the scenario's folder" in caught.value.issues[0].message
    s = load_scenario(path, allow_files_outside=True)
    assert s.inputs["traffic.input_tokens"].dist.support == (300.0, 500.0)
    with pytest.raises(ScenarioError):
        parse_scenario(text, base_dir=data)
    assert parse_scenario(text, base_dir=data, allow_files_outside=True).name == "Test"
