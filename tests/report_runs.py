"""Small real runs for the figure and report-content tests (a support module, not a test
module): support_bot at a few thousand paths, and one-option scenarios whose outcome is
degenerate by construction (constant NPV, every build abandoned, ...). Each run is simulated
once per test process."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ftsim import Summary, load_scenario, parse_scenario, simulate, summarize
from ftsim.scenario import Scenario

__all__ = ["SUPPORT_BOT", "support_bot", "one_option_text", "DEGENERATE", "degenerate_run",
           "scaled_money", "with_option", "drawn_figures"]

SUPPORT_BOT = Path(__file__).parents[1] / "scenarios" / "support_bot.toml"


@functools.cache
def support_bot(paths: int = 3000, seed: int = 20261128) -> tuple[Scenario, Summary]:
    """support_bot.toml at ``paths`` paths (its error-rate gap and volume are significant
    drivers at 3,000 paths: swings of about -0.9 and +0.45 with standard errors near 0.03)."""
    scenario = load_scenario(SUPPORT_BOT)
    return scenario, summarize(simulate(scenario, paths=paths, seed=seed, jobs=1))


def one_option_text(*, name: str = "Degenerate", currency: str = "USD",
                    requests: str = "10000", api_price: str = "0.2", engineering: str = "20000",
                    gap: str = "0.0", max_gap: str = "0.04", option_name: str = "Fine-tune",
                    baseline_name: str = "Prompted model", extra: str = "") -> str:
    """One api option; with the defaults every input is fixed, so every path is the same.

    Per request the baseline costs (300 x 2 + 200 x 8) / 1e6 = $0.0022 and the option
    500 x ``api_price`` / 1e6 ($0.0001 at 0.2); the option's only other cost is
    ``engineering`` at month 0. ``extra`` is appended to [traffic].
    """
    return f"""
[scenario]
name = "{name}"
currency = "{currency}"
horizon_months = 6
payback_within_months = 3

[traffic]
requests_per_month = {requests}
input_tokens = 300
output_tokens = 200
{extra}

[baseline]
name = "{baseline_name}"
price_input_per_mtok = 2.0
price_output_per_mtok = 8.0

[options.a]
name = "{option_name}"
error_rate_gap = {gap}
max_acceptable_gap = {max_gap}
[options.a.serving]
mode = "api"
price_input_per_mtok = {api_price}
price_output_per_mtok = {api_price}
[options.a.build]
engineering_cost = {engineering}
"""


# kind -> (scenario keywords, what the run must show: a check of the case itself)
DEGENERATE: dict[str, tuple[dict[str, str], Callable[[Any], bool]]] = {
    # 10k requests save 10k x 0.0021 = $21 a month: $20,000 never comes back, on every path
    "constant": ({}, lambda o: o.npv.p5 == o.npv.p95 < 0),
    # half the paths 1k requests, half 1M: two NPVs
    "two_valued": ({"requests": '{ dist = "choice", values = [1000, 1000000] }'},
                   lambda o: o.npv.p5 < o.npv.p95),
    # 1e7 requests save $21,000 a month against $100 upfront: paid back in month 1 everywhere
    "all_payback": ({"requests": "1e7", "engineering": "100"},
                    lambda o: o.p_payback_within == 1.0 and o.npv.p5 > 0),
    # per-token price 50 x 500 / 1e6 = $0.025 a request, dearer than the baseline's $0.0022
    "never_payback": ({"api_price": "50"},
                      lambda o: o.p_payback_within == 0.0 and o.payback_month.p50 is None),
    # gap 0.1 above the acceptable 0.01: abandoned on every path
    "abandoned": ({"gap": "0.1", "max_gap": "0.01"}, lambda o: o.p_abandoned == 1.0),
}


@functools.cache
def degenerate_run(kind: str, paths: int = 200) -> tuple[Scenario, Summary]:
    """(scenario, summary) of a degenerate case, simulated once per process."""
    scenario = parse_scenario(one_option_text(**DEGENERATE[kind][0]))
    summary = summarize(simulate(scenario, paths=paths, jobs=1, seed=5))
    return scenario, summary


# summary.json keys of an option that hold money (scaled by scaled_money)
_MONEY_KEYS = ("npv", "npv_histogram", "cumulative_net_savings", "monthly_mean_cost",
               "upfront_cost", "tco", "npv_statistics", "npv_quantiles",
               "expected_loss_given_loss", "npv_targets")
_NOT_MONEY = ("counts", "levels", "p_below", "ci95")


def _scaled(value: Any, factor: float) -> Any:
    """Every float in ``value`` times ``factor``, except probabilities and counts."""
    if isinstance(value, dict):
        return {k: value[k] if k in _NOT_MONEY else _scaled(value[k], factor) for k in value}
    if isinstance(value, list):
        return [_scaled(v, factor) for v in value]
    return value * factor if isinstance(value, float) else value


def scaled_money(summary: Summary, magnitude: float) -> Summary:
    """The summary with every amount of money scaled so that the first option's median NPV
    is ±``magnitude``: what the same run reports in a currency unit 1/factor as large."""
    d = summary.to_dict()
    first = next(iter(d["options"].values()))
    factor = magnitude / abs(first["npv"]["p50"])
    for option in d["options"].values():
        for key in _MONEY_KEYS:
            option[key] = _scaled(option[key], factor)
    return Summary.from_dict(d)


def with_option(summary: Summary, option_id: str, **changes: Any) -> Summary:
    """The summary with some fields of one option replaced."""
    options = dict(summary.options)
    options[option_id] = dataclasses.replace(options[option_id], **changes)
    return dataclasses.replace(summary, options=options)


def drawn_figures(summary: Summary, breakeven: Any = None) -> dict[str, Any]:
    """Every report figure of the summary, drawn, laid out and saved as SVG as the report
    does it (ftsim.figures.render.draw_svg), by stem: the Figure objects, to inspect."""
    from ftsim.figures.registry import figure_specs
    from ftsim.figures.render import figure_style, laid_out_figure
    from ftsim.figures.svg import figure_svg

    figures = {}
    for spec in figure_specs(summary, breakeven):
        with figure_style(spec.stem):
            fig = laid_out_figure(spec, summary, breakeven)
            figure_svg(fig)
        figures[spec.stem] = fig
    return figures
