"""source / as_of in every scenario and distribution table, and [report] npv_targets."""

from __future__ import annotations

import pytest
from support import BASE, END, RANDOM, correlation, issues_of, snippet

from ftsim.errors import MAX_LINE
from ftsim.scenario import parse_override, parse_scenario

SRC = 'source = "Publisher, page, 2025-06"'

# Every table of BASE, by the line that opens it, and the key path it has.
TABLES = {
    "[scenario]": "scenario", "[simulation]": "simulation", "[traffic]": "traffic",
    "[quality]": "quality", "[baseline]": "baseline", "[prices.api]": "prices.api",
    "[options.lora]": "options.lora", "[options.lora.serving]": "options.lora.serving",
    "[options.lora.build]": "options.lora.build",
    "[options.lora.maintenance]": "options.lora.maintenance",
    "[options.hosted]": "options.hosted", "[options.hosted.serving]": "options.hosted.serving",
}


def test_every_table_accepts_source_and_as_of() -> None:
    edits = [(head, f'{head}\n{SRC}\nas_of = "2025-06"') for head in TABLES]
    edits += [("[quality]", f'[rag]\ncontext_tokens = 500\n{SRC}\nas_of = "2024-11-30"\n\n'
                            f'[drift]\nevents_per_year = 1\n{SRC}\nas_of = "2024-11"\n\n[quality]'),
              (END, f'[report]\nnpv_targets = [-1000]\n{SRC}\nas_of = "2025-06"'),
              *RANDOM,
              correlation("traffic.requests_per_month", "traffic.monthly_growth", 0.3),
              (END, f'{SRC}\nas_of = "2025-01"')]  # continues the [[correlations]] entry
    s = parse_scenario(snippet(*edits))
    (corr,) = s.correlations
    assert (corr.source, corr.as_of) == ("Publisher, page, 2025-06", "2025-01")
    inputs = s.all_inputs()
    written = {"traffic.requests_per_month", "traffic.monthly_growth", "traffic.input_tokens",
               "quality.baseline_error_rate", "baseline.price_input_per_mtok",
               "prices.api.annual_decline", "options.lora.error_rate_gap",
               "options.lora.serving.gpu_hourly_cost", "options.lora.build.examples",
               "options.lora.maintenance.monthly_cost", "rag.context_tokens",
               "drift.events_per_year", "options.hosted.serving.price_output_per_mtok"}
    for key in written:
        assert inputs[key].source == "Publisher, page, 2025-06", key
    assert inputs["rag.context_tokens"].as_of == "2024-11-30"
    assert inputs["drift.events_per_year"].as_of == "2024-11"
    assert inputs["options.lora.serving.gpu_hourly_cost"].as_of == "2025-06"
    # a default is not a figure of the table's source
    for key in ("traffic.monthly_volatility", "quality.cost_per_error",
                "options.lora.serving.utilization", "options.hosted.build.epochs"):
        assert (inputs[key].source, inputs[key].as_of) == (None, None), key


def test_a_distribution_table_has_its_own_provenance_field_by_field() -> None:
    s = parse_scenario(snippet(
        ("[traffic]", '[traffic]\nsource = "Table source"\nas_of = "2025-06"'),
        ("requests_per_month = 100000",
         'requests_per_month = { p5 = 5e4, p95 = 2e5, source = "Own logs", as_of = "2024-03" }'),
        ("monthly_growth = 0.02",
         'monthly_growth = { dist = "pert", min = 0, mode = 0.02, max = 0.05, '
         'source = "Plan" }'),
        ("input_tokens = 300", 'input_tokens = { dist = "choice", values = [300, 400], '
                               'as_of = "2023-12-31" }'),
        ("[quality]", "[quality]\n" + 'cost_per_error = { dist = "empirical", '
                      'samples = [1, 2, 3], source = "Tickets" }'),
    ))
    inputs = s.inputs
    got = {k: (inputs[k].source, inputs[k].as_of) for k in (
        "traffic.requests_per_month", "traffic.monthly_growth", "traffic.input_tokens",
        "traffic.output_tokens", "quality.cost_per_error", "quality.baseline_error_rate")}
    assert got == {
        "traffic.requests_per_month": ("Own logs", "2024-03"),
        "traffic.monthly_growth": ("Plan", "2025-06"),
        "traffic.input_tokens": ("Table source", "2023-12-31"),
        "traffic.output_tokens": ("Table source", "2025-06"),
        "quality.cost_per_error": ("Tickets", None),
        "quality.baseline_error_rate": (None, None),
    }
    # the law ignores them; `written` keeps only the law
    assert inputs["traffic.requests_per_month"].written == {"p5": 5e4, "p95": 2e5}
    assert inputs["traffic.input_tokens"].dist.support == (300.0, 400.0)
    assert inputs["quality.cost_per_error"].written == {"dist": "empirical",
                                                         "samples": [1, 2, 3]}


@pytest.mark.parametrize("value", [
    '"1990-01"', '"2100-12"', '"2024-02-29"', '"2025-06-01"', '"2100-12-31"'])
def test_as_of_accepted(value: str) -> None:
    s = parse_scenario(snippet(("[traffic]", f"[traffic]\nas_of = {value}")))
    assert s.inputs["traffic.input_tokens"].as_of == value.strip('"')


def test_source_of_300_characters_is_accepted() -> None:
    text = "é" * 300
    s = parse_scenario(snippet(("[traffic]", f'[traffic]\nsource = "{text}"')))
    assert s.inputs["traffic.input_tokens"].source == text


@pytest.mark.parametrize(("line", "key_path", "message"), [
    ('source = ""', "traffic.source", "must not be empty"),
    ('source = "   "', "traffic.source", "must not be blank"),
    ('source = "' + "x" * 301 + '"', "traffic.source", "at most 300 characters, got 301"),
    (r'source = "one\ntwo"', "traffic.source", "without control characters"),
    ("source = 5", "traffic.source", "expected a string"),
    ("source = true", "traffic.source", "expected a string"),
    ('source = ["a"]', "traffic.source", "expected a string"),
    ('as_of = ""', "traffic.as_of", "must not be empty"),
    ('as_of = "2025-13"', "traffic.as_of", "not a real month"),
    ('as_of = "2025-00"', "traffic.as_of", "not a real month"),
    ('as_of = "2023-02-29"', "traffic.as_of", "not a real date"),
    ('as_of = "2025-04-31"', "traffic.as_of", "not a real date"),
    ('as_of = "1989-12"', "traffic.as_of", "between 1990-01 and 2100-12"),
    ('as_of = "2101-01"', "traffic.as_of", "between 1990-01 and 2100-12"),
    ('as_of = "2025-6"', "traffic.as_of", 'expected "YYYY-MM" or "YYYY-MM-DD"'),
    ('as_of = "June 2025"', "traffic.as_of", 'expected "YYYY-MM" or "YYYY-MM-DD"'),
    ('as_of = "2025-06-01T00:00"', "traffic.as_of", 'expected "YYYY-MM" or "YYYY-MM-DD"'),
    ("as_of = 202506", "traffic.as_of", "expected a string"),
    ("as_of = 2025-06-01", "traffic.as_of", "write it in quotes"),
    ('sourse = "x"', "traffic.sourse", "did you mean 'source'?"),
    ('as_off = "2025-01"', "traffic.as_off", "did you mean 'as_of'?"),
])
def test_bad_table_provenance(line: str, key_path: str, message: str) -> None:
    issues = issues_of(snippet(("[traffic]", f"[traffic]\n{line}")))
    assert len(issues) == 1 and issues[0][0] == key_path and message in issues[0][1], issues
    assert len(f"{key_path}: {issues[0][1]}") <= MAX_LINE


@pytest.mark.parametrize(("table", "key_path"), [
    ("[scenario]", "scenario.as_of"), ("[simulation]", "simulation.as_of"),
    ("[baseline]", "baseline.as_of"), ("[prices.api]", "prices.api.as_of"),
    ("[options.lora]", "options.lora.as_of"),
    ("[options.lora.serving]", "options.lora.serving.as_of"),
    ("[options.lora.build]", "options.lora.build.as_of"),
    ("[options.lora.maintenance]", "options.lora.maintenance.as_of"),
    ("[options.hosted.serving]", "options.hosted.serving.as_of"),
])
def test_bad_as_of_is_named_in_every_table(table: str, key_path: str) -> None:
    issues = issues_of(snippet((table, f'{table}\nas_of = "2025-02-30"')))
    assert issues == [(key_path, '"2025-02-30" is not a real date (expected "YYYY-MM" or '
                                 '"YYYY-MM-DD")')]


@pytest.mark.parametrize(("old", "new", "key_path"), [
    ("requests_per_month = 100000",
     'requests_per_month = { p5 = 5e4, p95 = 2e5, as_of = "2025-13" }',
     "traffic.requests_per_month.as_of"),
    ("gpu_hourly_cost = 2.5", 'gpu_hourly_cost = { dist = "normal", mean = 2.5, sd = 0.1, '
                              'truncate = [0, 10], source = "" }',
     "options.lora.serving.gpu_hourly_cost.source"),
    ("annual_decline = 0.3",
     'annual_decline = 0.3\nevent_multiplier = { p5 = 0.5, p95 = 1.5, source = 7 }',
     "prices.api.event_multiplier.source"),
    ("examples = 5000", 'examples = { dist = "uniform", min = 1, max = 9, sorce = "x" }',
     "options.lora.build.examples.sorce"),
])
def test_bad_distribution_provenance(old: str, new: str, key_path: str) -> None:
    issues = issues_of(snippet((old, new)))
    assert len(issues) == 1 and issues[0][0] == key_path, issues


def test_correlation_entry_provenance_is_checked() -> None:
    edits = [*RANDOM, correlation("traffic.requests_per_month", "traffic.monthly_growth", 0.3),
             (END, 'as_of = "2025-99"')]
    assert [k for k, _ in issues_of(snippet(*edits))] == ["correlations[0].as_of"]


def test_source_is_not_a_key_of_the_file_itself() -> None:
    issues = issues_of(snippet(("[scenario]", 'source = "x"\n[scenario]')))
    assert [k for k, _ in issues] == ["source"]


# -- [report] npv_targets ----------------------------------------------------------------

def _targets(line: str) -> tuple[float, ...]:
    return parse_scenario(snippet((END, f"[report]\n{line}"))).npv_targets


def test_npv_targets_default_is_zero() -> None:
    assert parse_scenario(BASE).npv_targets == (0.0,)
    assert parse_scenario(snippet((END, "[report]"))).npv_targets == (0.0,)


@pytest.mark.parametrize(("line", "expected"), [
    ("npv_targets = [-500_000, 0]", (-500_000.0, 0.0)),
    ("npv_targets = [0, -500_000, 0, 2.5e5]", (-500_000.0, 0.0, 250_000.0)),
    ("npv_targets = [1e12, -1e12]", (-1e12, 1e12)),
    ("npv_targets = [7]", (7.0,)),
    (f"npv_targets = {list(range(12))}", tuple(float(x) for x in range(12))),
])
def test_npv_targets_sorted_without_duplicates(line: str, expected: tuple[float, ...]) -> None:
    got = _targets(line)
    assert got == expected and all(type(x) is float for x in got)


def test_npv_targets_by_override() -> None:
    override = parse_override("report.npv_targets=[-1e5, 0]")
    assert parse_scenario(BASE, overrides=[override]).npv_targets == (-1e5, 0.0)


@pytest.mark.parametrize(("line", "key_path", "message"), [
    ("npv_targets = []", "report.npv_targets", "list of 1 to 12 numbers"),
    (f"npv_targets = {list(range(13))}", "report.npv_targets", "got 13 entries"),
    ("npv_targets = 0", "report.npv_targets", "list of 1 to 12 numbers"),
    ('npv_targets = "0"', "report.npv_targets", "list of 1 to 12 numbers"),
    ("npv_targets = { a = 1 }", "report.npv_targets", "list of 1 to 12 numbers"),
    ("npv_targets = [0, 1, nan]", "report.npv_targets[2]", "finite number, got nan"),
    ("npv_targets = [0, 1, inf]", "report.npv_targets[2]", "finite number, got inf"),
    ("npv_targets = [0, 1, -inf]", "report.npv_targets[2]", "finite number, got -inf"),
    ('npv_targets = [0, 1, "a"]', "report.npv_targets[2]", "expected a number"),
    ("npv_targets = [0, 1, true]", "report.npv_targets[2]", "expected a number"),
    ("npv_targets = [0, 1, [2]]", "report.npv_targets[2]", "expected a number"),
    ("npv_targets = [0, 1, 1.000001e12]", "report.npv_targets[2]", "[-1e12, 1e12]"),
    ("npv_targets = [0, 1, -2e12]", "report.npv_targets[2]", "[-1e12, 1e12]"),
    ("npv_targets = [0, 1, 99999999999999999999]", "report.npv_targets[2]", "[-1e12, 1e12]"),
    ("npv_target = [0]", "report.npv_target", "did you mean 'npv_targets'?"),
    ("paths = 5", "report.paths", "it belongs in [simulation]"),
])
def test_bad_npv_targets(line: str, key_path: str, message: str) -> None:
    issues = issues_of(snippet((END, f"[report]\n{line}")))
    assert len(issues) == 1 and issues[0][0] == key_path and message in issues[0][1], issues


def test_report_must_be_a_table_and_npv_targets_belongs_in_it() -> None:
    assert [k for k, _ in issues_of(snippet(("[scenario]", "report = 5\n[scenario]")))] == ["report"]
    issues = issues_of(snippet(("[scenario]", "[scenario]\nnpv_targets = [0]")))
    assert issues[0][0] == "scenario.npv_targets" and "belongs in [report]" in issues[0][1]
