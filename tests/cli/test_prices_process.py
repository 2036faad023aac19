"""``python -m ftsim prices`` and ``calibrate-prices`` through the real command line: exit
codes, one-line errors on stderr, and output that the scenario loader takes."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}


def ftsim(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ftsim", *(str(a) for a in args)], cwd=ROOT,
                          env=ENV, capture_output=True, text=True, timeout=300)


def test_prices_search_exits_0_with_the_table():
    pytest.importorskip("genai_prices")
    done = ftsim("prices", "openai", "gpt-4.1")
    assert done.returncode == 0, done.stderr
    assert any(line.split()[:3] == ["openai:gpt-4.1", "2", "8"]
               for line in done.stdout.splitlines())


def test_prices_without_a_match_exits_2_with_one_line():
    pytest.importorskip("genai_prices")
    done = ftsim("prices", "no-such-model-anywhere")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("error: no catalog model with a token price matches")


def test_calibrate_shipped_history_exits_0_with_toml():
    done = ftsim("calibrate-prices", "data/price_history.csv", "--index", "api")
    assert done.returncode == 0, done.stderr
    table = tomllib.loads(done.stdout)["prices"]["api"]
    assert set(table) == {"annual_decline", "events_per_year", "event_multiplier"}


def test_calibrate_missing_file_exits_2_with_one_line(tmp_path):
    done = ftsim("calibrate-prices", tmp_path / "missing.csv")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "cannot read" in done.stderr
