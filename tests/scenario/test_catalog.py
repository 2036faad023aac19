"""Catalog prices (genai-prices bundled snapshot): known list prices, dated changes, the
package's own calculator as an independent oracle, one-line errors with the closest name,
search, and the lazy import."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import subprocess
import sys

import pytest

pytest.importorskip("genai_prices")

from ftsim.scenario.catalog import (  # noqa: E402
    CatalogLookupError,
    key_value,
    model_values,
    price_changes,
    resolve_catalog_price,
    search_models,
)


# List prices from the vendors' pricing pages as compiled in tokencost / genai-prices /
# llm-prices (2024-2026): GPT-4.1 2.00 / 8.00 USD/MTok, cached input 0.50 (25%); GPT-4o
# 2.50 / 10.00, cached 1.25 (50%); Gemini 2.5 Pro 1.25 / 10.00 below 200k-token prompts.
@pytest.mark.parametrize(("ref", "which", "value"), [
    ("openai:gpt-4.1", "input", 2.0),
    ("openai:gpt-4.1", "output", 8.0),
    ("openai:gpt-4.1", "cached_input", 0.5),
    ("openai:gpt-4o", "cached_input", 1.25),
    ("OpenAI:GPT-4o", "output", 10.0),  # any case
    ("openai:gpt-4o-2024-08-06", "input", 2.5),  # a dated alias of gpt-4o
    ("google:gemini-2.5-pro", "input", 1.25),  # tiered: the base price
])
def test_known_list_prices(ref, which, value):
    assert resolve_catalog_price(ref, which).value_per_mtok == pytest.approx(value)


def test_dated_alias_resolves_to_its_model_and_names_it():
    price = resolve_catalog_price("openai:gpt-4o-2024-08-06", "input")
    assert (price.provider, price.model) == ("openai", "gpt-4o")
    assert "openai:gpt-4o input price 2.5 USD/MTok" in price.source


def test_o3_price_cut_of_2025_06_10_is_dated():
    # OpenAI cut o3 from 10 / 40 to 2 / 8 USD/MTok on 2025-06-10 (ratio 0.20)
    before = resolve_catalog_price("openai:o3", "input", dt.date(2025, 6, 9))
    after = resolve_catalog_price("openai:o3", "input", dt.date(2025, 6, 10))
    assert (before.value_per_mtok, before.as_of) == (10.0, None)
    assert (after.value_per_mtok, after.as_of) == (2.0, "2025-06-10")
    assert "in force from 2025-06-10" in after.source
    assert [(c.start, c.input_per_mtok, c.output_per_mtok) for c in price_changes("openai:o3")] \
        == [(None, 10.0, 40.0), (dt.date(2025, 6, 10), 2.0, 8.0)]


def test_source_names_package_version_and_fits_one_line():
    version = importlib.metadata.version("genai-prices")
    price = resolve_catalog_price("anthropic:claude-sonnet-4-6", "output")
    assert price.catalog_version == f"genai-prices {version}"
    assert price.source.startswith(f"genai-prices {version} catalog, anthropic:")
    assert len(price.source) <= 300 and "\n" not in price.source


def test_prices_match_the_packages_own_calculator():
    """genai_prices.calc_price on one million input (or output) tokens, an independent path
    through the package, gives the same per-MTok price for untiered models."""
    from genai_prices import Usage, calc_price

    when = dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC)
    checked = 0
    for entry in search_models("", when.date()):
        if entry.tiered or entry.input_per_mtok is None or entry.output_per_mtok is None \
                or entry.provider != "openai":
            continue
        try:
            calc = calc_price(Usage(input_tokens=1_000_000, output_tokens=1_000_000),
                              entry.model, provider_id="openai", genai_request_timestamp=when)
        except LookupError:  # an id its own match rules do not accept (e.g. 'ft:gpt-4o')
            continue
        if calc.model.id != entry.model:  # the calculator matched another model first
            continue
        assert float(calc.input_price) == pytest.approx(entry.input_per_mtok), entry.ref
        assert float(calc.output_price) == pytest.approx(entry.output_per_mtok), entry.ref
        checked += 1
    assert checked >= 20


def test_every_listed_model_resolves_to_itself():
    for entry in search_models("gpt"):
        which = "input" if entry.input_per_mtok is not None else "output"
        price = resolve_catalog_price(entry.ref, which)
        assert (price.provider, price.model) == (entry.provider, entry.model)


@pytest.mark.parametrize(("ref", "which", "expected"), [
    ("opneai:gpt-4o", "input", "unknown provider 'opneai' in catalog reference "
                               "'opneai:gpt-4o'; did you mean 'openai'?"),
    ("openai:gtp-4o", "input", "unknown model 'gtp-4o' for provider 'openai' in catalog "
                               "reference 'openai:gtp-4o'; did you mean 'gpt-4o'?"),
    ("gpt-4.1", "input", "a catalog reference is 'provider:model', e.g. 'openai:gpt-4o', got "
                         "'gpt-4.1' (the catalog lists 'gpt-4.1' under"),
    ("openai:", "input", "a catalog reference is 'provider:model'"),
    ("zzz:qqq", "input", "unknown provider 'zzz' in catalog reference 'zzz:qqq'; "
                         "`python -m ftsim prices zzz` lists"),
    ("openai:gpt-4o-2024-05-13", "cached_input",
     "the catalog has no cached-input price for openai:gpt-4o-2024-05-13 (it has: input, "
     "output)"),
])
def test_errors_are_one_line_with_the_closest_name(ref, which, expected):
    with pytest.raises(CatalogLookupError) as caught:
        resolve_catalog_price(ref, which)
    message = str(caught.value)
    assert message.startswith(expected) and "\n" not in message


def test_model_values_fill_prices_and_the_cached_factor():
    values = {v.key: v for v in model_values("openai:gpt-4.1")}
    assert values["price_input_per_mtok"].value == 2.0
    assert values["price_output_per_mtok"].value == 8.0
    assert values["cached_price_factor"].value == pytest.approx(0.25)  # 0.50 / 2.00
    assert "over the input price 2 USD/MTok" in values["cached_price_factor"].source
    # Llama 3.1 8B Instruct Turbo on Together: 0.18 / 0.18, no cached-input price
    together = {v.key: v.value for v in
                model_values("together:meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo")}
    assert together == {"price_input_per_mtok": 0.18, "price_output_per_mtok": 0.18}


def test_key_value_refuses_keys_it_cannot_fill():
    with pytest.raises(CatalogLookupError, match="not prompt_overhead_tokens"):
        key_value("openai:gpt-4.1", "prompt_overhead_tokens")


def test_search_holds_every_word_and_lists_mini_prices():
    found = {e.ref: e for e in search_models("OpenAI gpt-4.1")}
    assert all("openai" in r and "gpt-4.1" in r for r in found)
    # GPT-4.1 mini 0.40 / 1.60, nano 0.10 / 0.40 USD/MTok
    assert (found["openai:gpt-4.1-mini"].input_per_mtok,
            found["openai:gpt-4.1-mini"].output_per_mtok) == (0.4, 1.6)
    assert (found["openai:gpt-4.1-nano"].input_per_mtok,
            found["openai:gpt-4.1-nano"].output_per_mtok) == (0.1, 0.4)
    assert search_models("no such model anywhere") == []


def test_catalog_is_imported_only_when_used():
    code = ("import sys, ftsim, ftsim.scenario, ftsim.scenario.catalog; "
            "print('genai_prices' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.strip() == "False"


# -- in a scenario ---------------------------------------------------------------------------

SCENARIO = '''
[scenario]
name = "catalog prices"
[traffic]
requests_per_month = 100_000
input_tokens = 2_000
output_tokens = 300
[baseline]
{baseline}
[options.hosted]
[options.hosted.serving]
mode = "api"
{serving}
'''


def load(baseline: str, serving: str = 'model = "openai:gpt-4.1-mini"'):
    from ftsim.scenario import parse_scenario

    return parse_scenario(SCENARIO.format(baseline=baseline, serving=serving))


def issues(baseline: str, serving: str = 'model = "openai:gpt-4.1-mini"') -> list[str]:
    from ftsim.errors import ScenarioError

    with pytest.raises(ScenarioError) as caught:
        load(baseline, serving)
    return [str(i) for i in caught.value.issues]


def test_model_fills_the_prices_the_table_leaves_out():
    inputs = load('model = "openai:gpt-4.1"\nprice_output_per_mtok = 9.0').inputs
    # GPT-4.1: input 2.00, cached input 0.50 (factor 0.25); the written output price stands
    assert inputs["baseline.price_input_per_mtok"].dist.mean == 2.0
    assert inputs["baseline.cached_price_factor"].dist.mean == pytest.approx(0.25)
    assert inputs["baseline.price_output_per_mtok"].dist.mean == 9.0
    source = inputs["baseline.price_input_per_mtok"].source
    assert source is not None and source.startswith("genai-prices ") and "openai:gpt-4.1 " in source


def test_one_key_from_the_catalog_keeps_its_own_source():
    scenario = load('price_input_per_mtok = { catalog = "openai:o3" }\n'
                    'price_output_per_mtok = { catalog = "openai:o3", source = "my note" }')
    price_in = scenario.inputs["baseline.price_input_per_mtok"]
    price_out = scenario.inputs["baseline.price_output_per_mtok"]
    # o3 since its 2025-06-10 cut: 2 / 8 USD/MTok, dated
    assert (price_in.dist.mean, price_in.as_of) == (2.0, "2025-06-10")
    assert (price_out.dist.mean, price_out.source) == (8.0, "my note")


def test_api_serving_takes_a_model():
    option = load("price_input_per_mtok = 2.0\nprice_output_per_mtok = 8.0").options["hosted"]
    inputs = option.inputs
    # GPT-4.1 mini: 0.40 / 1.60 USD/MTok
    assert inputs["options.hosted.serving.price_input_per_mtok"].dist.mean == 0.4
    assert inputs["options.hosted.serving.price_output_per_mtok"].dist.mean == 1.6


@pytest.mark.parametrize(("baseline", "serving", "expected"), [
    ('model = "openai:gtp-4.1"', 'model = "openai:gpt-4.1-mini"',
     ["baseline.model: unknown model 'gtp-4.1' for provider 'openai' in catalog reference "
      "'openai:gtp-4.1'; did you mean 'gpt-4.1'?"]),
    ('price_input_per_mtok = { catalog = "opneai:gpt-4.1" }\nprice_output_per_mtok = 8.0',
     'model = "openai:gpt-4.1-mini"',
     ["baseline.price_input_per_mtok.catalog: unknown provider 'opneai' in catalog reference "
      "'opneai:gpt-4.1'; did you mean 'openai'?"]),
    ('price_input_per_mtok = { catalog = "openai:gpt-4.1", p5 = 1 }\n'
     'price_output_per_mtok = 8.0', 'model = "openai:gpt-4.1-mini"',
     ["baseline.price_input_per_mtok: a catalog price takes no other key than catalog (and "
      "source, as_of), found p5"]),
    ('model = 4', 'model = "openai:gpt-4.1-mini"', ["baseline.model: expected"]),
])
def test_catalog_errors_are_one_line_at_their_key(baseline, serving, expected):
    found = issues(baseline, serving)
    assert len(found) == len(expected), found
    assert all(f.startswith(e) for f, e in zip(found, expected, strict=True)), found
