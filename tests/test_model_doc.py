"""docs/model.md is the model's contract: every summary.json key is in its key table (and
every key there exists), and its worked example, computed by hand, is what the simulator
gives.

The expected numbers below are derived by hand from the worked example's inputs (the
derivation is in docs/model.md, section 13), never copied from a run.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ftsim import Result, load_scenario, parse_scenario, simulate, summarize

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "model.md"
KEY_TABLE = "12. summary.json reference"
WORKED = "13. Worked example"
# Written by the command line only (ftsim.output adds it), not by Summary.to_dict().
# written by the command line only (how the run was made), not by summarize()
CLI_ONLY_KEYS = {"simulation.seconds", "scenario.path", "simulation.overrides",
                 "simulation.allow_files_outside",
                 *(f"simulation.data_files[].{k}" for k in ("file", "path", "sha256")),
                 *(f"simulation.inputs_file.{k}" for k in ("file", "source", "sha256", "rows",
                                                           "columns")),
                 *(f"simulation.stress[].{k}" for k in ("input", "low", "high"))}
Z95 = 1.959964


def _section(title: str) -> str:
    """The text of the '## <title>' section of docs/model.md, up to the next '## '."""
    text = DOC.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"docs/model.md has no section '## {title}'"
    return match.group(1)


def _expand(pattern: str) -> list[str]:
    """`a.{b,c}.d` -> [a.b.d, a.c.d] (the doc's convention for sibling keys)."""
    match = re.search(r"\{([^{}]*)\}", pattern)
    if match is None:
        return [pattern]
    head, tail = pattern[:match.start()], pattern[match.end():]
    return [path for part in match.group(1).split(",")
            for path in _expand(head + part.strip() + tail)]


def documented_keys() -> set[str]:
    """Key paths in the first column of the key table."""
    rows = re.findall(r"^\| `([^`]+)` \|", _section(KEY_TABLE), re.M)
    return {path for row in rows for path in _expand(row)}


def key_paths(value: Any, path: str = "") -> Iterator[str]:
    """Leaf key paths of a summary.json dict: option ids as `<id>`, list elements as `[]`."""
    if isinstance(value, dict):
        for key, item in value.items():
            name = "<id>" if path == "options" else key
            yield from key_paths(item, f"{path}.{name}" if path else name)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for item in value:
            yield from key_paths(item, f"{path}[]")
    else:
        yield path


@pytest.fixture(scope="module")
def support_run() -> tuple[Result, dict[str, Any]]:
    """A small support_bot run and its summary.json dict; --precision adds the precision_*
    keys."""
    scenario = load_scenario(ROOT / "scenarios" / "support_bot.toml")
    result = simulate(scenario, paths=500, seed=3, jobs=1, chunk_size=500, precision=0.5)
    return result, summarize(result, threads=1).to_dict()


@pytest.fixture(scope="module")
def written_keys(support_run: tuple[Result, dict[str, Any]]) -> set[str]:
    return set(key_paths(support_run[1]))


def test_key_paths_follow_the_convention() -> None:
    data = {"a": 1, "options": {"x": {"b": [{"c": 1}, {"d": 2}], "e": [1.0, 2.0]}}}
    assert set(key_paths(data)) == {"a", "options.<id>.b[].c", "options.<id>.b[].d",
                                    "options.<id>.e"}
    assert _expand("x.{a,b}.{c,d}") == ["x.a.c", "x.a.d", "x.b.c", "x.b.d"]


def test_every_written_key_is_documented(written_keys: set[str]) -> None:
    missing = sorted(written_keys - documented_keys())
    assert not missing, f"summary.json keys missing from docs/model.md section 12: {missing}"


def test_every_documented_key_is_written(written_keys: set[str]) -> None:
    stale = sorted(documented_keys() - written_keys - CLI_ONLY_KEYS)
    assert not stale, f"docs/model.md section 12 lists keys no run writes: {stale}"


# -- the worked example, by hand ------------------------------------------------------

R = 1_000_000.0  # requests a month, no growth, no noise
Q_B = ((500 + 1_000 + 1_000 * (1 - 0.5 + 0.5 * 0.25)) * 2.0 + 200 * 8.0) / 1e6  # per request
C_B = R * Q_B + R * 0.05 * 0.10 + 300  # baseline per month: tokens + errors + RAG
R_M = 1.12 ** (1 / 12) - 1  # monthly discount rate
V = 1 / (1 + R_M)
ANNUITY_12 = (1 - 1 / 1.12) / R_M  # sum of v^t, t = 1..12, since v^12 = 1/1.12

U_A = 1_000 * 0.5 + 2 * (1_000 * 1_000 * 2 / 1e6 * 3.0 + 47) + 1_000 + 10_000
C_A = R * (1_600 * 0.2 + 200 * 0.2) / 1e6 + R * 0.10 * (0.05 + 0.01) + 300 + 490
NPV_A = -U_A + (C_B - C_A) * (ANNUITY_12 - V)  # live from month 2

U_B = 3 * (10 * 2.0 + 10) + 8_000
GPUS_B = math.ceil(R * 1_800 / (1_000 * 3_600 * 730 * 0.5))
C_B_OPTION = (GPUS_B * 2.0 * 730 + 0.1 * R * Q_B + R * 0.10 * (0.9 * 0.06 + 0.1 * 0.05)
              + 300 + 200)
NPV_B = -U_B + (C_B - C_B_OPTION) * ANNUITY_12 - 1_000 * (V**4 + V**8 + V**12)


def test_hand_constants_are_the_documented_ones() -> None:
    """The derivation in the doc, step by step (guards the constants above)."""
    assert Q_B == pytest.approx(0.00585) and C_B == pytest.approx(11_150)
    assert U_A == pytest.approx(11_606) and C_B - C_A == pytest.approx(4_000)
    assert U_B == pytest.approx(8_090) and GPUS_B == 2
    assert C_B - C_B_OPTION == pytest.approx(1_245)
    assert round(NPV_A, 2) == 29_597.66 and round(NPV_B, 2) == 3_184.92


@pytest.fixture(scope="module")
def worked() -> dict[str, Any]:
    block = re.search(r"```toml\n(.*?)```", _section(WORKED), re.S)
    assert block, "the worked example's TOML block is missing"
    scenario = parse_scenario(block.group(1))
    return summarize(simulate(scenario, jobs=1), threads=1).to_dict()


def _get(summary: dict[str, Any], path: str) -> Any:
    value: Any = summary
    for part in path.split("."):
        value = value[part]
    return value


EXPECTED = {
    "options.a.upfront_cost.mean": U_A, "options.a.payback_month.p50": 4,
    "options.a.p_payback_within": 1.0, "options.a.npv.mean": NPV_A,
    "options.a.tco.option.mean": U_A + C_B + 11 * C_A, "options.a.tco.baseline.mean": 12 * C_B,
    "options.b.upfront_cost.mean": U_B, "options.b.payback_month.p50": 9,
    "options.b.p_payback_within": 0.0, "options.b.npv.mean": NPV_B,
    "options.b.tco.option.mean": U_B + 12 * C_B_OPTION + 3 * 1_000,
    "options.b.mean_retrains": 3.0,
    "options.c.npv.mean": -5_000.0, "options.c.tco.option.mean": 5_000 + 12 * C_B,
    "options.c.p_abandoned": 1.0, "volume.tokens_per_month.mean": R * 2_700,
}


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_worked_example_matches_the_simulator(worked: dict[str, Any], path: str) -> None:
    assert _get(worked, path) == pytest.approx(EXPECTED[path], rel=1e-12, abs=1e-9)


def test_worked_example_table_shows_the_hand_numbers() -> None:
    rows = dict(re.findall(r"^\| `([^`]+)` \| (-?[\d,.]+) \|$", _section(WORKED), re.M))
    assert set(rows) == set(EXPECTED)
    for path, shown in rows.items():
        assert float(shown.replace(",", "")) == round(EXPECTED[path], 2), path


def test_worked_example_month_by_month(worked: dict[str, Any]) -> None:
    a, b, c = (worked["options"][k] for k in "abc")
    saving_a, saving_b = C_B - C_A, C_B - C_B_OPTION
    cs_a = [-U_A + saving_a * (t - 1) for t in range(1, 13)]
    cs_b = [-U_B + saving_b * t - 1_000 * (t // 4) for t in range(1, 13)]
    assert a["cumulative_net_savings"]["p50"] == pytest.approx(cs_a, rel=1e-7)
    assert b["cumulative_net_savings"]["p50"] == pytest.approx(cs_b, rel=1e-7, abs=1e-3)
    assert c["cumulative_net_savings"]["p50"] == pytest.approx([-5_000.0] * 12)
    assert a["p_payback_by_month"] == [0.0] * 3 + [1.0] * 9
    assert b["p_payback_by_month"] == [0.0] * 8 + [1.0] * 4
    costs_a, costs_b = a["monthly_mean_cost"], b["monthly_mean_cost"]
    assert costs_a["baseline_while_not_live"][:2] == pytest.approx([C_B, 0.0])
    assert (costs_a["serving"][1], costs_a["errors"][1]) == pytest.approx((360, 6_000))
    assert (costs_b["serving"][0], costs_b["escalation"][0], costs_b["errors"][0]) == \
        pytest.approx((2_920, 585, 5_900))
    assert costs_b["retraining"] == pytest.approx([0, 0, 0, 1_000] * 3)


def test_worked_example_wilson_ends_and_verdicts(worked: dict[str, Any]) -> None:
    n = 50
    a, b = worked["options"]["a"], worked["options"]["b"]
    assert a["p_payback_within_ci95"] == pytest.approx([n / (n + Z95**2), 1.0], rel=1e-12)
    assert b["p_payback_within_ci95"] == pytest.approx([0.0, Z95**2 / (n + Z95**2)], rel=1e-12)
    assert (a["verdict"], b["verdict"], worked["options"]["c"]["verdict"]) == \
        ("go", "no-go", "no-go")


# -- section 11.1, the drivers, computed from the per-path arrays as the doc states -------

def _doc_swing(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    x10, x90 = np.percentile(x, [10, 90])
    low, high = y[x <= x10], y[x >= x90]
    p_low, p_high = low.mean(), high.mean()
    se = math.sqrt(p_low * (1 - p_low) / low.size + p_high * (1 - p_high) / high.size)
    return p_high - p_low, se


def _doc_bins(x_sorted: np.ndarray) -> list[tuple[int, int]]:
    """Equal-count bins; an edge inside a run of equal values moves to the run's nearer end."""
    n = x_sorted.size
    b0 = max(1, min(100, math.isqrt(n)))
    edges = {0, n}
    for j in range(1, b0):
        e = round(j * n / b0)
        start = int(np.searchsorted(x_sorted, x_sorted[e], "left"))
        end = int(np.searchsorted(x_sorted, x_sorted[e], "right"))
        edges.add(start if e - start <= end - e else end)
    ordered = sorted(edges)
    return list(zip(ordered[:-1], ordered[1:], strict=True))


def _doc_first_order(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    order = np.argsort(x, kind="stable")
    ys = [y[order][a:b].astype(float) for a, b in _doc_bins(x[order])]
    n, n_bins = x.size, len(ys)
    grand = float(np.mean(y))
    c = np.array([v.size for v in ys], float)
    g = np.array([v.mean() for v in ys]) - grand
    m2, m3, m4 = (np.array([((v - v.mean()) ** k).sum() for v in ys]) for k in (2, 3, 4))
    ssb, ssw = float(c @ (g * g)), float(m2.sum())
    sst, msw = ssb + ssw, ssw / (n - n_bins)
    share = (ssb - (n_bins - 1) * msw) / (sst + msw)
    s2 = np.where(c > 1, m2 / np.maximum(c - 1, 1), 0.0)
    d, a = g * g - s2 / c, 1 - share
    t_bar = float((a * c * d - share * m2).sum()) / n
    sigma2 = float((c * a * a * d * d + 4 * a * a * d * m2 + share**2 * m4
                    - 2 * a * share * d * m2 - 4 * a * share * g * m3).sum())
    se = math.sqrt(max(0.0, sigma2 / n - t_bar**2) / n + 2 * float((s2 * s2).sum()) / n**2)
    return share, se / (sst / n)


def _doc_p_value(swing: float | None, swing_se: float | None, share: float | None,
                 share_se: float | None) -> float:
    """Section 11.1's p-value of an input's effect on the payback indicator."""
    from scipy.stats import norm

    ps = []
    if swing is not None and swing_se is not None:
        ps.append((0.0 if swing != 0 else 1.0) if swing_se == 0
                  else 2 * norm.sf(abs(swing) / swing_se))
    if share is not None and share_se is not None:
        clipped = max(0.0, share)
        ps.append((0.0 if clipped > 0 else 1.0) if share_se == 0 else norm.sf(clipped / share_se))
    return min(1.0, 2 * min(ps)) if ps else 1.0


def test_driver_formulas_of_the_doc(support_run: tuple[Result, dict[str, Any]]) -> None:
    result, summary = support_run
    within = result.scenario.payback_within_months
    for option_id, option in result.options.items():
        hit = ((option.payback_month > 0) & (option.payback_month <= within)).astype(float)
        rows = summary["options"][option_id]["drivers"]
        for row in rows[:3] + rows[-2:]:
            x = result.inputs[row["input"]]
            swing, swing_se = _doc_swing(x, hit)
            share, share_se = _doc_first_order(x, hit)
            npv_share, npv_se = _doc_first_order(x, option.npv)
            assert (row["swing"], row["swing_se"]) == pytest.approx((swing, swing_se), rel=1e-9)
            assert row["first_order"] == pytest.approx(max(0.0, share), rel=1e-6, abs=1e-12)
            assert row["first_order_se"] == pytest.approx(share_se, rel=1e-6)
            assert row["npv_first_order"] == pytest.approx(max(0.0, npv_share), rel=1e-6,
                                                           abs=1e-12)
            assert row["npv_first_order_se"] == pytest.approx(npv_se, rel=1e-6)
        # significance: Holm at 5 % over the option's inputs, on p = 2 min(p_swing, p_share)
        p_values = []
        for row in rows:
            x = result.inputs[row["input"]]
            swing, swing_se = _doc_swing(x, hit)
            share, share_se = _doc_first_order(x, hit)
            p_values.append(_doc_p_value(swing, swing_se, share, share_se))
        order = np.argsort(p_values, kind="stable")
        expected = [False] * len(rows)
        for step, index in enumerate(order):
            if p_values[index] > 0.05 / (len(rows) - step):
                break
            expected[index] = True
        assert [row["significant"] for row in rows] == expected
        keys = [(not r["significant"], -abs(r["swing"]), r["input"]) for r in rows]
        assert keys == sorted(keys)


def test_npv_statistics_of_the_doc(support_run: tuple[Result, dict[str, Any]]) -> None:
    result, summary = support_run
    for option_id, option in result.options.items():
        npv, entry = option.npv, summary["options"][option_id]
        stats = entry["npv_statistics"]
        assert (stats["mean"], stats["sd"], stats["min"], stats["max"]) == pytest.approx(
            (npv.mean(), npv.std(ddof=1), npv.min(), npv.max()), rel=1e-12)
        assert stats["p25"] == pytest.approx(np.percentile(npv, 25), rel=1e-12)
        assert entry["npv_quantiles"]["levels"] == pytest.approx([i / 100 for i in range(101)])
        assert entry["npv_quantiles"]["values"][10] == pytest.approx(np.percentile(npv, 10))
        assert entry["expected_loss_given_loss"] == pytest.approx(-npv[npv < 0].mean())
        (target,) = entry["npv_targets"]
        assert (target["target"], target["p_below"]) == (0.0, np.count_nonzero(npv < 0) / npv.size)


def test_the_doc_stands_alone() -> None:
    """It replaces the original contract: no path outside the repository, no MODEL.md."""
    text = DOC.read_text(encoding="utf-8")
    assert "MODEL.md" not in text and "../shared" not in text and "/work/" not in text
    title = "Fine-tuning economics: when training a custom model pays back"
    assert title in " ".join(text.split())  # the seed article, cited by its title
