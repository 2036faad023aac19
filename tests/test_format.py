"""One number format for terminal, report and figures: money, probabilities, points, counts,
input values; never an exponent."""

from __future__ import annotations

import math

import pytest

from ftsim.figures.style import money_formatter, tokens_formatter
from ftsim.format import (
    format_count,
    format_money,
    format_number,
    format_points,
    format_probability,
    format_tokens,
    plain_numbers,
)


@pytest.mark.parametrize(("value", "expected"), [
    (1_234_567, "1.2M USD"),
    (350_000, "350k USD"),
    (12_345, "12,345 USD"),
    (-1_234_567, "-1.2M USD"),
    (0, "0 USD"),
    (12.5, "12.50 USD"),
    (999_950, "1.0M USD"),  # rounds into the next unit: never "1,000k"
    (999.99e6, "1.0B USD"),  # never "1,000.0M" or "1e+03M"
    (99_999.6, "100k USD"),
    (2.5e9, "2.5B USD"),
    (2.5e12, "2.5T USD"),
    (999.4e12, "999.4T USD"),
    (1e15, "1,000.0T USD"),  # beyond T: separators, no exponent
    (-1.26e20, "-126,000,000.0T USD"),
    (-4_200, "-4,200 USD"),
    (-0.001, "0.00 USD"),  # no minus sign on a value that prints as zero
    (None, "n/a"),
    (math.inf, "n/a"),
    (math.nan, "n/a"),
])
def test_format_money(value, expected):
    assert format_money(value, "USD") == expected


@pytest.mark.parametrize(("value", "expected"), [
    (999.99e6, "1B"), (770e6, "770M"), (3.14e9, "3.14B"), (12_345, "12.3k"), (562, "562"),
    (0.25, "0.25"), (1e-6, "0.000001"), (0.000123456, "0.000123"), (1e15, "1,000T"),
    (999_500, "1M"), (0, "0"), (-2_500, "-2.5k"), (None, "n/a"), (1e-12, "≈0"),
])
def test_format_count(value, expected):
    assert format_count(value) == expected
    if value is not None:
        assert format_tokens(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (0.025, "0.025"), (2.5, "2.5"), (1_500, "1,500"), (12_345.4, "12,345"), (999_999, "999,999"),
    (1.2e6, "1.2M"), (-0.3, "-0.3"), (math.inf, "inf"), (None, "n/a"),
])
def test_format_number(value, expected):
    assert format_number(value) == expected


@pytest.mark.parametrize(("delta", "signed", "expected"), [
    (0.45, True, "+45 pp"), (-0.003, True, "-0.3 pp"), (0.0004, True, "+0.04 pp"),
    (0.0, True, "0 pp"), (-1e-9, True, "0 pp"), (0.0996, True, "+10 pp"),
    (0.0196, False, "2 pp"), (None, True, "n/a"),
])
def test_format_points(delta, signed, expected):
    assert format_points(delta, signed=signed) == expected


@pytest.mark.parametrize(("p", "expected"), [
    (0.63, "63.0%"), (0.0, "0.0%"), (1.0, "100.0%"), (0.0004, "<0.1%"), (0.9996, ">99.9%"),
    (0.12345, "12.3%"), (None, "n/a"),
])
def test_format_probability(p, expected):
    assert format_probability(p) == expected


def _magnitudes() -> list[float]:
    """Every decade from 1e-6 to 1e15, with mantissas at the rounding edges (9.9995...),
    both signs."""
    out = []
    for exponent in range(-6, 16):
        for mantissa in (1.0, 1.5, 2.345, 5.0, 9.949, 9.9995, 9.99999):
            out += [mantissa * 10.0 ** exponent, -mantissa * 10.0 ** exponent]
    return out


def test_no_exponent_in_any_output():
    """Before: format_count(1e15) printed "1e+03T", format_money(1e15) "1e+15 USD"."""
    money = money_formatter("USD")
    for value in _magnitudes():
        texts = [format_money(value, "USD"), format_count(value), format_number(value),
                 format_points(value), money(value), tokens_formatter()(abs(value))]
        for text in texts:
            assert "e+" not in text and "e-" not in text, (value, text)


def test_money_ticks_share_one_scale_without_exponents():
    """Ticks take the scale of the largest one, T included; no tick shows an exponent."""
    assert money_formatter("USD").format_ticks([0, 250_000, 500_000, 750_000, 1_000_000]) == [
        "0", "0.25M", "0.50M", "0.75M", "1.00M"]
    assert money_formatter("USD").format_ticks([-2e6, -1e6, 0, 1e6]) == ["-2M", "-1M", "0", "1M"]
    assert money_formatter("USD").format_ticks([0, 5e14, 1e15]) == ["0", "500T", "1,000T"]
    assert money_formatter("USD").format_ticks([0.0, 5e19, 1e20]) == [
        "0", "50,000,000T", "100,000,000T"]


@pytest.mark.parametrize(("text", "expected"), [
    ("lognormal(p5=40000, p95=1.2e+06)", "lognormal(p5=40000, p95=1.2M)"),
    ("normal(mean=5e-07, sd=2.5E-3)", "normal(mean=0.0000005, sd=0.0025)"),
    ("pert(min=1.5e3, mode=2e3, max=1e15)", "pert(min=1500, mode=2000, max=1,000T)"),
    ("sha 47992e89d4 and x1e5 stay", "sha 47992e89d4 and x1e5 stay"),  # not numbers
])
def test_plain_numbers_rewrites_exponents_in_descriptions(text, expected):
    assert plain_numbers(text) == expected
