"""What a command pays before and after its work: the modules a --no-report run imports,
and the program entry point that exits without tearing the interpreter down."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUPPORT_BOT = ROOT / "scenarios" / "support_bot.toml"

MODULES_AFTER_A_RUN = """
import json, sys
from ftsim.cli.main import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def test_a_run_without_report_imports_only_what_it_uses(tmp_path):
    # matplotlib (report), pandas and pyarrow (frames, the paths file), scipy.stats (only
    # the lhs/sobol samplers), joblib (worker processes) and tqdm (a progress bar on a
    # terminal) are not needed by `--no-report --no-paths --quiet`: importing them cost
    # ~0.9 s before (measured with python -X importtime, benchmarks/phases.py --importtime).
    out = subprocess.run(
        [sys.executable, "-c", MODULES_AFTER_A_RUN, str(SUPPORT_BOT), "--paths", "3000",
         "--no-report", "--no-paths", "--quiet", "--out", str(tmp_path)],
        capture_output=True, text=True, check=True, cwd=ROOT)
    reply = json.loads(out.stdout.splitlines()[-1])
    assert reply["code"] == 0
    loaded = set(reply["modules"])
    for heavy in ("matplotlib", "pandas", "pyarrow", "scipy.stats", "joblib", "tqdm"):
        assert heavy not in loaded, heavy
    assert "ftsim.core.kernel" in loaded  # the run did simulate, in this process


def test_the_program_exits_with_mains_code_and_its_whole_output(tmp_path):
    # run() skips the interpreter's teardown (os._exit) after flushing: the exit code is
    # main()'s, stdout is complete (summary.json printed by --json is valid JSON) and a
    # bad command line still exits 2 with its one-line error.
    program = "from ftsim.cli.main import run; run()"
    ok = subprocess.run([sys.executable, "-c", program, str(SUPPORT_BOT), "--paths", "2000",
                         "--no-report", "--no-paths", "--json", "--out", str(tmp_path)],
                        capture_output=True, text=True, cwd=ROOT)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["simulation"]["paths"] == 2000
    bad = subprocess.run([sys.executable, "-c", program, str(tmp_path / "missing.toml"),
                          "--out", str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and bad.stderr.startswith("error: ")
    assert bad.stderr.count("\n") == 1
