"""The README's minimal scenario, run through the command line exactly as a new user would.

Issue 9: the README's own minimal scenario exited 1 (``max_acceptable_gap`` defaults to
infinity and summary.json refused it) and left an empty run folder. The scenario is taken
from README.md at test time (its first ```toml block), so the test follows the README.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def _first_toml_block(text: str) -> str:
    match = re.search(r"^```toml\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    assert match, "README.md has no ```toml block"
    return match.group(1)


def _no_constant(name: str) -> float:
    raise ValueError(f"summary.json holds {name}, which is not JSON")


def test_readme_shows_the_module_command() -> None:
    """The command the test runs is the one the README prints."""
    assert "python -m ftsim scenarios/support_bot.toml" in README.read_text(encoding="utf-8")


def test_readme_minimal_scenario_runs_through_the_cli(tmp_path: Path) -> None:
    scenario = tmp_path / "minimal.toml"
    scenario.write_text(_first_toml_block(README.read_text(encoding="utf-8")), encoding="utf-8")
    out = tmp_path / "results"
    done = subprocess.run(
        [sys.executable, "-m", "ftsim", str(scenario), "--paths", "500", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Warning:" not in done.stderr, done.stderr
    assert "[lora]" in done.stdout  # the option's block of the terminal table

    (run_dir,) = (out / "minimal").iterdir()  # one complete run folder and nothing else
    for name in ("summary.json", "paths.parquet", "monthly.csv", "report.md", "report.html",
                 "report.pdf"):
        assert (run_dir / name).stat().st_size > 0, name
    assert (run_dir / "report.pdf").read_bytes()[:5] == b"%PDF-"
    figures = list((run_dir / "figures").glob("*.png"))
    assert figures and all(f.stat().st_size > 0 for f in figures)

    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"),
                         parse_constant=_no_constant)
    assert summary["simulation"]["paths"] == 500
    option = summary["options"]["lora"]
    lo, hi = option["p_payback_within_ci95"]
    assert 0.0 <= lo <= option["p_payback_within"] <= hi <= 1.0
    # the README leaves max_acceptable_gap at its default: never abandoned (issue 9, item 1)
    assert option["p_abandoned"] == 0.0
