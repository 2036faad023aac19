"""sweep and breakeven on the command line: their CSV, and what they import."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import modules_after

ROOT = Path(__file__).resolve().parents[2]
SUPPORT_BOT = ROOT / "scenarios" / "support_bot.toml"


def test_breakeven_csv_is_byte_for_byte_what_pandas_wrote():
    # Written with the csv module now; pandas wrote it before (missing values as empty
    # cells, %.6g floats, whole-number columns as integers).
    import pandas as pd

    from ftsim.cli.studies import BREAKEVEN_COLUMNS, _breakeven_csv

    curve = {
        "factors": [0.1, 1, 10.0], "tokens_per_month": [1e6, 1.23456789e8, 3e10],
        "requests_per_month": [None, 4.5e4, 1e7],
        "options": {
            "a": {"p_payback_within": [0.0, 0.5, 1], "npv_p50": [-1e6, None, 2.5e9],
                  "p_payback_within_ci95": [[0, 0.1], [0.45, 0.55], [0.9, 1]]},
            "b,c": {"p_payback_within": [0.01, 0.2, 0.3], "npv_p50": [1, 2, 3],
                    "p_payback_within_ci95": [[0, 0.1], [0.1, 0.3], [0.2, 0.4]]},
        },
    }
    rows = [{"factor": curve["factors"][j], "tokens_per_month_p50": tokens,
             "requests_per_month_p50": curve["requests_per_month"][j], "option": option_id,
             "p_payback_within": option["p_payback_within"][j],
             "p_payback_within_ci95_low": option["p_payback_within_ci95"][j][0],
             "p_payback_within_ci95_high": option["p_payback_within_ci95"][j][1],
             "npv_p50": option["npv_p50"][j]}
            for option_id, option in curve["options"].items()
            for j, tokens in enumerate(curve["tokens_per_month"])]
    expected = pd.DataFrame(rows).to_csv(index=False, float_format="%.6g")
    assert list(pd.DataFrame(rows).columns) == BREAKEVEN_COLUMNS
    assert _breakeven_csv(curve) == expected
    assert '"b,c"' in expected and "1.23457e+08" in expected


@pytest.mark.parametrize("argv", [
    ["sweep", str(SUPPORT_BOT), "--param", "drift.nope", "--values", "1,2"],
    ["breakeven", str(SUPPORT_BOT), "--min-tokens", "10M", "--max-tokens", "1M"],
], ids=["sweep", "breakeven"])
def test_a_refused_study_never_loads_matplotlib(tmp_path, argv):
    code, loaded, _ = modules_after(*argv, "--quiet", "--out", str(tmp_path))
    assert code == 2
    assert not loaded["matplotlib"]
    assert not (tmp_path / "support_bot-sweep").exists()


def test_a_run_without_report_loads_neither_matplotlib_nor_pandas(tmp_path):
    code, loaded, _ = modules_after(str(SUPPORT_BOT), "--paths", "300", "--jobs", "1",
                                  "--no-report", "--quiet", "--out", str(tmp_path))
    assert code == 0
    assert loaded == {"matplotlib": False, "pandas": False, "typst": False, "jinja2": False}
    (run_dir,) = (tmp_path / "support_bot").iterdir()
    assert (run_dir / "paths.parquet").is_file()
