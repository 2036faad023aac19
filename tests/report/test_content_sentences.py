"""The report's key sentences (why, what would change it) and the article's checklist, on
support_bot at 3,000 paths and on driver rows edited by hand where a case needs one."""

from __future__ import annotations

import dataclasses
import re

import pytest
from report_runs import DEGENERATE, degenerate_run, one_option_text, support_bot, with_option

from ftsim import parse_scenario, simulate, summarize
from ftsim.format import format_probability
from ftsim.report.checklist import decision_checklist, option_statuses, volume_band
from ftsim.report.sentences import (
    change_sentence,
    input_value_text,
    p_equals,
    short_label,
    significant_drivers,
    verdict_reason,
)

PROVIDER = "lora_8b_provider"


@pytest.fixture(scope="module")
def run():
    return support_bot()


def _row(option, **changes):
    return dataclasses.replace(option.drivers[0], **changes)


# --- why ---------------------------------------------------------------------------------------

def test_why_names_the_strongest_significant_driver_with_its_thresholds(run):
    """support_bot: the error-rate gap decides (swing about -0.9, standard error about 0.02
    at 3,000 paths); its best tenth is the bottom one (a smaller gap pays back)."""
    _, summary = run
    option = summary.options[PROVIDER]
    top = significant_drivers(option)[0]
    assert top.input == f"options.{PROVIDER}.error_rate_gap"  # the case under test
    assert top.p_payback_low > top.p_payback_high
    text = verdict_reason(option, summary)
    miss = format_probability(1 - option.p_payback_within)
    assert text.startswith(f"{miss} of the simulated futures do not pay back within 12 months")
    below = input_value_text(top.input, top.low_below, "USD")
    above = input_value_text(top.input, top.high_above, "USD")
    assert re.fullmatch(r"[-+]?\d+(\.\d+)? pp", below)  # a gap reads in percentage points
    assert (f"The error-rate gap decides it most: where it is below {below} (its best tenth), "
            f"P = {format_probability(top.p_payback_low)}; where it is above {above} (its "
            f"worst tenth), P = {format_probability(top.p_payback_high)}.") in text
    assert "below the required 80.0%" in text


def test_why_never_names_a_driver_within_noise(run):
    """The largest swing made non-significant: the sentence names the next significant
    driver instead, never the noisy one."""
    _, summary = run
    option = summary.options[PROVIDER]
    noisy = _row(option, significant=False)
    summary = with_option(summary, PROVIDER, drivers=(noisy, *option.drivers[1:]))
    option = summary.options[PROVIDER]
    text = verdict_reason(option, summary) + change_sentence(option, summary)
    assert "error-rate gap" not in text
    assert short_label(significant_drivers(option)[0], option) in text


def test_why_without_any_significant_driver_says_noise(run):
    _, summary = run
    option = summary.options[PROVIDER]
    rows = tuple(dataclasses.replace(r, significant=False) for r in option.drivers)
    summary = with_option(summary, PROVIDER, drivers=rows)
    option = summary.options[PROVIDER]
    assert verdict_reason(option, summary).endswith(
        "No input moves it beyond the Monte Carlo noise of 3,000 paths.")
    assert change_sentence(option, summary).startswith("No input is identified")


def test_short_labels_drop_the_option_name_and_keep_acronyms(run):
    _, summary = run
    option = summary.options[PROVIDER]
    assert short_label(_row(option, label=f"Error-rate gap, {option.name}"), option) == \
        "error-rate gap"
    assert short_label(_row(option, label=f"GPU hourly cost, {option.name}"), option) == \
        "GPU hourly cost"
    assert short_label(_row(option, label="Requests per month"), option) == "requests per month"


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("options.a.error_rate_gap", 0.003, "+0.3 pp"),
    ("options.a.error_rate_gap", -0.019, "-1.9 pp"),
    ("traffic.monthly_growth", 0.02, "+2%"),
    ("baseline.cached_share", 0.5, "50%"),
    ("quality.cost_per_error", 3.75, "3.75 USD"),
    ("baseline.price_input_per_mtok", 2.5, "2.50 USD per MTok"),
    ("traffic.requests_per_month", 783_718.7, "784k"),
    ("options.a.lead_time_months", 1, "1 month"),
    ("drift.events_per_year", 2.7, "2.7 a year"),
    ("prices.api.event_multiplier", 0.85, "0.85×"),
    ("options.a.build.examples", 1e15, "1,000T"),
    ("x.unknown", 1.5e-7, "0.00000015"),
])
def test_input_values_read_in_their_unit(key, value, expected):
    assert input_value_text(key, value, "USD") == expected


def test_p_equals_reads_the_extremes():
    assert p_equals(0.34) == "P = 34.0%"
    assert p_equals(0.0002) == "P < 0.1%"  # never "P = <0.1%"
    assert p_equals(0.9999) == "P > 99.9%"
    assert p_equals(0.0) == "P = 0.0%"


# --- what would change it ----------------------------------------------------------------------

def test_change_names_inputs_whose_best_tenth_reaches_the_required_probability(run):
    _, summary = run
    option = summary.options[PROVIDER]
    top = significant_drivers(option)[0]
    assert top.p_payback_low >= 0.8  # the bottom tenth of the gap clears the bar
    text = change_sentence(option, summary)
    below = input_value_text(top.input, top.low_below, "USD")
    assert text.startswith("P(payback) would reach the required 80.0% if the error-rate gap "
                           f"were known to be below {below} (P = "
                           f"{format_probability(top.p_payback_low)} in that tenth")


def test_change_when_no_single_input_turns_a_no_go(run):
    _, summary = run
    option = summary.options[PROVIDER]
    rows = tuple(dataclasses.replace(r, p_payback_low=min(r.p_payback_low, 0.6),
                                     p_payback_high=min(r.p_payback_high, 0.6))
                 for r in option.drivers)
    summary = with_option(summary, PROVIDER, drivers=rows)
    text = change_sentence(summary.options[PROVIDER], summary)
    assert text == ("No single input turns it: even in the best tenth of the strongest driver, "
                    f"the error-rate gap (below {input_value_text(rows[0].input, rows[0].low_below, 'USD')}"
                    "), P = 60.0%, short of the required 80.0%.")


def test_change_ignores_a_tenth_that_only_grazes_the_bar(run):
    """A best tenth at 82 % against the required 80 %: with 300 paths in a tenth its standard
    error is sqrt(0.82 x 0.18 / 300) = 2.2 pp, so 2 pp above the bar is within noise."""
    _, summary = run
    option = summary.options[PROVIDER]
    capped = [dataclasses.replace(r, p_payback_low=min(r.p_payback_low, 0.6),
                                  p_payback_high=min(r.p_payback_high, 0.6))
              for r in option.drivers]
    capped[0] = dataclasses.replace(capped[0], p_payback_low=0.82)
    summary = with_option(summary, PROVIDER, drivers=tuple(capped))
    text = change_sentence(summary.options[PROVIDER], summary)
    assert text.startswith("No single input turns it") and "P = 82.0%" in text
    capped[0] = dataclasses.replace(capped[0], p_payback_low=0.86)  # 6 pp > 2 x 2.0 pp
    summary = with_option(summary, PROVIDER, drivers=tuple(capped))
    assert change_sentence(summary.options[PROVIDER], summary).startswith(
        "P(payback) would reach the required 80.0% if the error-rate gap")


def test_change_of_a_go_names_what_would_break_it(run):
    """A go (P = 0.9) whose strongest driver's worst tenth gives 0.3: it would fall below."""
    _, summary = run
    option = summary.options[PROVIDER]
    rows = (_row(option, p_payback_low=0.3, p_payback_high=0.99, swing=0.69), *option.drivers[1:])
    summary = with_option(summary, PROVIDER, drivers=rows, verdict="go", p_payback_within=0.9,
                          p_payback_within_ci95=(0.88, 0.92))
    option = summary.options[PROVIDER]
    assert "above the required 80.0%" in verdict_reason(option, summary)
    below = input_value_text(rows[0].input, rows[0].low_below, "USD")
    assert change_sentence(option, summary).startswith(
        "P(payback) would fall below the required 80.0% if the error-rate gap were known to be "
        f"below {below} (P = 30.0% in that tenth of the draws)")


def test_uncertain_verdicts_mention_more_paths(run):
    _, summary = run
    summary = with_option(summary, PROVIDER, verdict="uncertain")
    assert "more paths would settle" in change_sentence(summary.options[PROVIDER], summary)


@pytest.mark.parametrize("kind", sorted(set(DEGENERATE) - {"two_valued"}))
def test_degenerate_runs_have_sentences(kind):
    """Every input fixed: nothing to rank, and the sentences say so instead of failing."""
    _, summary = degenerate_run(kind)
    option = summary.options["a"]
    assert option.drivers == ()
    assert verdict_reason(option, summary).endswith("Every input is fixed, so no input's range "
                                                    "can change it.")
    assert change_sentence(option, summary).startswith("Nothing in the scenario varies")


def test_an_input_that_moves_nothing_is_not_called_noise():
    """Two traffic levels, neither pays back: P(payback) is 0 in both tenths (swing 0 with
    standard error 0), which is no effect at all, not noise."""
    _, summary = degenerate_run("two_valued")
    option = summary.options["a"]
    assert [(r.swing, r.significant) for r in option.drivers] == [(0.0, False)]
    assert verdict_reason(option, summary).endswith(
        "No input moves it: it is the same in every input's outer tenths.")
    assert change_sentence(option, summary).startswith("No input's range changes it")


# --- checklist ---------------------------------------------------------------------------------

def _all_runs():
    yield support_bot()
    for kind in DEGENERATE:
        yield degenerate_run(kind)


def test_checklist_is_never_all_pass_beside_a_no_go():
    """Before: all five items OK beside a red NO-GO. The volume question now follows the
    simulated probability: pass on go, fail on no-go, unknown when uncertain."""
    seen = set()
    for scenario, summary in _all_runs():
        items = decision_checklist(summary, scenario)
        assert [item.number for item in items] == [1, 2, 3, 4, 5]
        for option in summary.options.values():
            statuses = option_statuses(items, option)
            seen.add(option.verdict)
            expected = {"go": "pass", "no-go": "fail", "uncertain": "unknown"}[option.verdict]
            assert statuses[1] == expected, (option.id, option.verdict)
            if option.verdict != "go":
                assert statuses != ["pass"] * 5
    assert {"go", "no-go"} <= seen


def test_checklist_judges_support_bot(run):
    scenario, summary = run
    items = decision_checklist(summary, scenario)
    provider = [r for item in items for r in item.results if r.option_id == PROVIDER]
    assert [r.status for r in provider][:4] == ["pass", "fail", "pass", "fail"]
    assert "above 100M, where the article says fine-tuning usually wins" in provider[1].answer
    assert "The gap is the input that decides the verdict" in provider[3].answer
    for item in items:
        assert item.threshold.startswith("Pass when")
        assert all("e+" not in r.answer for r in item.results)


def test_evaluation_is_a_blocker_without_eval_cost_or_monitoring():
    scenario = parse_scenario(one_option_text())  # no eval setup cost, no retrain on drift
    summary = summarize(simulate(scenario, paths=50, jobs=1, seed=1))
    item = decision_checklist(summary, scenario)[2]
    assert item.status == "fail"
    assert item.results[0].answer == (
        "No evaluation setup cost (test sets, metrics, baseline comparison); no production "
        "monitoring (retrain_on_drift = false): a blocker per the article.")


def test_quality_gap_of_exactly_zero_is_unknown():
    scenario, summary = degenerate_run("all_payback")  # gap = 0.0, fixed
    item = decision_checklist(summary, scenario)[3]
    assert item.results[0].status == "unknown"
    assert "benchmark it before fine-tuning" in item.results[0].answer


def test_abandonment_fails_the_quality_gap():
    scenario, summary = degenerate_run("abandoned")
    result = decision_checklist(summary, scenario)[3].results[0]
    assert result.status == "fail" and "P(abandoned) 100.0%" in result.answer


@pytest.mark.parametrize(("tokens", "band"), [
    (9.99e6, "below 10M"), (10e6, "10–100M"), (100e6, "10–100M"), (100.01e6, "above 100M"),
])
def test_volume_bands(tokens, band):
    assert volume_band(tokens) == band
