"""``python -m ftsim stress`` and ``--stress`` through the command line.

The numbers are checked against properties, not pasted back: the bands weighted by their
widths average back to the unstressed P (each band's paired change has a standard error, so
the weighted change must be within 4 of their weighted sum), traffic raises P band by band,
a stressed run's input sits in the band of the unstressed run's sample, and the default
inputs are each option's top drivers in a plain run's summary.json.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from ftsim.cli import main

ROOT = Path(__file__).resolve().parents[2]
SUPPORT_BOT = ROOT / "scenarios" / "support_bot.toml"
PATHS = 1500
REQUESTS = "traffic.requests_per_month"
GAP = "options.lora_8b_provider.error_rate_gap"
COMMON = ["--paths", str(PATHS), "--chunk-size", "500", "--jobs", "1", "--seed", "5"]


def _stress(out: Path, *extra: str) -> tuple[Path, dict]:
    assert main(["stress", str(SUPPORT_BOT), *COMMON, "--out", str(out), *extra]) == 0
    (folder,) = out.glob("support_bot-stress/*")
    return folder, json.loads((folder / "stress.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return _stress(tmp_path_factory.mktemp("stress"), "--inputs", f"{REQUESTS},{GAP}")


def test_files_and_table(capsys, tmp_path):
    capsys.readouterr()
    folder, data = _stress(tmp_path, "--inputs", GAP, "--bands", "0:10,90:100")
    printed = capsys.readouterr().out
    assert (folder / "scenario.toml").read_bytes() == SUPPORT_BOT.read_bytes()
    with open(folder / "stress.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    # the unstressed line of each option, then the provider's own gap at two bands (the
    # self-hosted option does not use it)
    assert [(r["label"], r["option"], r["band_low"], r["band_high"]) for r in rows] == [
        ("unstressed", "lora_8b_selfhosted", "0", "100"),
        ("unstressed", "lora_8b_provider", "0", "100"),
        ("Error-rate gap, LoRA 8B, provider-served per token", "lora_8b_provider", "0", "10"),
        ("Error-rate gap, LoRA 8B, provider-served per token", "lora_8b_provider", "90", "100")]
    assert data["paths"] == PATHS and data["seed"] == 5
    assert "P0-P10" in printed and "P90-P100" in printed and "Wrote " in printed


def _p(data: dict, key: str, option: str) -> list[dict]:
    return [row["options"][option] for row in data["rows"]
            if row["input"] == key and option in row["options"]]


@pytest.mark.parametrize("key", [REQUESTS, GAP])
def test_bands_average_back_to_the_unstressed_probability(study, key):
    """sum_b w_b (P_b - P) = 0 in expectation; sd(sum_b w_b D_b) <= sum_b w_b sd(D_b)."""
    _, data = study
    weights = np.array([0.1, 0.4, 0.4, 0.1])
    for option in data["options"]:
        rows = _p(data, key, option)
        if not rows:
            continue
        change = np.array([r["change"] for r in rows])
        se = np.array([r["change_se"] for r in rows])
        assert abs(weights @ change) <= 4 * (weights @ se) + 1e-12, (option, change, se)
        p = np.array([r["p_payback_within"] for r in rows])
        base = data["unstressed"][option]["p_payback_within"]
        assert p - base == pytest.approx(change, abs=1e-12)


def test_traffic_raises_payback_and_the_gap_lowers_it(study):
    _, data = study
    for option in data["options"]:
        p = [r["p_payback_within"] for r in _p(data, REQUESTS, option)]
        assert p == sorted(p) and p[-1] > p[0], (option, p)
    p = [r["p_payback_within"] for r in _p(data, GAP, "lora_8b_provider")]
    assert p == sorted(p, reverse=True) and p[0] > p[-1]
    assert not _p(data, GAP, "lora_8b_selfhosted")  # another option's input: left out


def test_default_inputs_are_each_options_top_drivers(tmp_path):
    _, data = _stress(tmp_path / "stress", "--top", "1", "--bands", "0:50,50:100")
    assert main([str(SUPPORT_BOT), *COMMON, "--no-report", "--quiet", "--no-paths",
                 "--out", str(tmp_path / "runs")]) == 0
    (folder,) = (tmp_path / "runs").glob("support_bot/*")
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    tops = [option["drivers"][0]["input"] for option in summary["options"].values()]
    assert [row["input"] for row in data["rows"]][::2] == list(dict.fromkeys(tops))


def test_a_stressed_run_confines_its_input_and_records_the_band(tmp_path):
    out = tmp_path / "runs"
    for extra in ([], ["--stress", f"{REQUESTS}=90:100"]):
        assert main([str(SUPPORT_BOT), *COMMON, "--no-report", "--quiet", "--out", str(out),
                     *extra]) == 0
    plain, stressed = sorted(out.glob("support_bot/*"),
                             key=lambda f: "stress" in (f / "summary.json").read_text())
    summary = json.loads((stressed / "summary.json").read_text(encoding="utf-8"))
    assert summary["simulation"]["stress"] == [{"input": REQUESTS, "low": 90.0, "high": 100.0}]
    (row,) = [r for r in summary["inputs"] if r["input"] == REQUESTS]
    assert row["written"].endswith("stressed to its P90-P100")

    def values(folder: Path) -> np.ndarray:
        table = pq.read_table(folder / "paths.parquet", columns=["option", REQUESTS])
        return table.column(REQUESTS).to_numpy()[:PATHS]

    drawn, confined = values(plain), values(stressed)
    # each path keeps its uniform: the same order; the band is the top tenth of the law
    assert np.array_equal(np.argsort(drawn), np.argsort(confined))
    share = np.mean(drawn >= confined.min())
    assert abs(share - 0.1) <= 4 * np.sqrt(0.09 / PATHS)


def test_refusals_exit_2_before_anything_runs(capsys, tmp_path):
    out = tmp_path / "out"
    capsys.readouterr()
    assert main(["stress", str(SUPPORT_BOT), *COMMON, "--out", str(out), "--inputs",
                 "traffic.requests_per_mont,traffic.monthly_volatility"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: --inputs: 'traffic.requests_per_mont' is not an input of the scenario; did "
        "you mean 'traffic.requests_per_month'?",
        "error: --inputs: traffic.monthly_volatility is fixed (0.1): only a random input has "
        "percentiles to confine"]
    assert main(["stress", str(SUPPORT_BOT), *COMMON, "--out", str(out), "--bands",
                 "0:10,50:40"]) == 2
    assert "need 0 <= LO < HI <= 100, got '50:40'" in capsys.readouterr().err
    assert main([str(SUPPORT_BOT), *COMMON, "--out", str(out), "--stress",
                 "traffic.monthly_growht=0:10"]) == 2
    assert "did you mean 'traffic.monthly_growth'?" in capsys.readouterr().err
    assert not out.exists() or not any(out.rglob("*.json"))
