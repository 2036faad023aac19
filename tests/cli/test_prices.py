"""``prices`` and ``calibrate-prices``: their command functions with the real argument
parsers (the command line itself is in test_prices_process.py), and the shipped price
history with its citations."""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path

import pytest

from ftsim.cli.common import Parser, UsageError
from ftsim.cli.prices import (
    add_calibrate_arguments,
    add_prices_arguments,
    calibrate_command,
    prices_command,
)
from ftsim.core.studies.calibrate import parse_price_history

ROOT = Path(__file__).resolve().parents[2]
HISTORY = ROOT / "data" / "price_history.csv"


def run(add, command, argv: list[str]) -> int:
    parser = Parser(prog="ftsim test")
    add(parser)
    return command(parser.parse_args(argv))


# -- prices -----------------------------------------------------------------------------------

def test_prices_lists_matches_with_their_prices(capsys):
    pytest.importorskip("genai_prices")
    assert run(add_prices_arguments, prices_command, ["openai", "gpt-4.1"]) == 0
    out = capsys.readouterr().out
    # GPT-4.1: 2.00 in / 8.00 out / 0.50 cached; mini 0.40 / 1.60 (OpenAI list prices)
    assert re.search(r"^openai:gpt-4\.1\s+2\s+8\s+0\.5\s", out, re.M)
    assert re.search(r"^openai:gpt-4\.1-mini\s+0\.4\s+1\.6\s", out, re.M)
    assert "genai-prices" in out and "pip install --upgrade genai-prices" in out


def test_prices_limit_says_how_many_more(capsys):
    pytest.importorskip("genai_prices")
    assert run(add_prices_arguments, prices_command, ["openai", "gpt-4.1", "--limit", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("openai:") and re.match(r"\.\.\. and \d+ more", lines[2])


def test_prices_dated_change_shows_on_its_date(capsys):
    pytest.importorskip("genai_prices")
    # o3: 10 / 40 USD/MTok until 2025-06-09, 2 / 8 from 2025-06-10
    run(add_prices_arguments, prices_command, ["openai:o3", "--on", "2025-06-09", "--limit", "1"])
    run(add_prices_arguments, prices_command, ["openai:o3", "--on", "2025-06-10", "--limit", "1"])
    out = capsys.readouterr().out
    assert re.search(r"^openai:o3\s+10\s+40\s", out, re.M)
    assert re.search(r"^openai:o3\s+2\s+8\s+.*2025-06-10", out, re.M)


@pytest.mark.parametrize(("argv", "message"), [
    (["no-such-model-anywhere"], "no catalog model with a token price matches"),
    (["gpt", "--limit", "0"], "must be at least 1"),
    (["gpt", "--on", "2025-13-01"], "expected a date YYYY-MM-DD"),
])
def test_prices_bad_input_is_a_usage_error(argv, message):
    pytest.importorskip("genai_prices")
    with pytest.raises(UsageError, match=message):
        run(add_prices_arguments, prices_command, argv)


# -- calibrate-prices -------------------------------------------------------------------------

def write_history(path: Path) -> Path:
    """One model cut to half after 12 months and raised 1.5x after 24 (36 months)."""
    rows = ["date,series,price,source"]
    for i in range(37):
        price = 10.0 if i < 12 else 5.0 if i < 24 else 7.5
        rows.append(f"{2024 + i // 12}-{i % 12 + 1:02d},m,{price},test page (2026)")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_calibrate_prints_the_fitted_table(tmp_path, capsys):
    csv = write_history(tmp_path / "history.csv")
    assert run(add_calibrate_arguments, calibrate_command, [str(csv)]) == 0
    table = tomllib.loads(capsys.readouterr().out)["prices"]["api"]
    # two step months in 36: rate -12 log(1 - 2/36); Jeffreys gamma mean x (n + 1/2) / n
    rate = -12 * math.log(1 - 2 / 36)
    assert table["events_per_year"]["mean"] == pytest.approx(rate * 2.5 / 2, rel=1e-2)
    assert table["annual_decline"] == 0.0  # flat between the steps
    assert "history.csv" in table["events_per_year"]["source"]
    assert table["events_per_year"]["as_of"] == "2027-01"


def test_calibrate_source_option_and_index(tmp_path, capsys):
    csv = write_history(tmp_path / "history.csv")
    run(add_calibrate_arguments, calibrate_command,
        [str(csv), "--index", "api", "--source", "my note (2026-11)", "--threshold", "0.6"])
    table = tomllib.loads(capsys.readouterr().out)["prices"]["api"]
    # at 60% neither the halving (0.5 > 0.4) nor the 1.5x rise (< 2.5) is a step
    assert table["events_per_year"] == 0.0
    assert table["annual_decline"]["source"] == "my note (2026-11)"


@pytest.mark.parametrize(("content", "extra", "message"), [
    (None, [], "cannot read"),
    ("date,series,price,source\n2024-01,m,-3,s\n", [], "line 2, price: expected a positive"),
    ("date,series,price,source\n2024-01,m,3,s\n2024-02,m,3,s\n", ["--index", "gpu"],
     "no rows for price index 'gpu'"),
    ("date,series,price,source\n", ["--threshold", "1.5"], "between 0 and 1"),
])
def test_calibrate_bad_input_is_a_usage_error(tmp_path, content, extra, message):
    path = tmp_path / "h.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match=message) as caught:
        run(add_calibrate_arguments, calibrate_command, [str(path), *extra])
    assert "\n" not in str(caught.value)


# -- the shipped history ----------------------------------------------------------------------

def test_shipped_history_fits_every_index(capsys):
    assert run(add_calibrate_arguments, calibrate_command, [str(HISTORY)]) == 0
    tables = tomllib.loads(capsys.readouterr().out)["prices"]
    assert set(tables) == {"api", "api_tier", "gpu"}
    assert all("events_per_year" in t and "annual_decline" in t for t in tables.values())


def test_shipped_history_cites_each_row():
    rows = parse_price_history(HISTORY.read_text(encoding="utf-8"))
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert len(rows) > 100
    for row in rows:
        assert "shared" not in row.source and "/work" not in row.source, row
        origin = re.split(r"[ :;(]", row.source)[0]  # publisher or repository
        assert origin and origin in readme, row.source
