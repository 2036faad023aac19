"""The report process the command line forks before its threads start
(ftsim/cli/report_process.py): same report as in process, errors raised in the parent,
no process left behind. Each case runs in a fresh interpreter, where no other thread runs
(the process is only forked there)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "support_bot.toml"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork: Linux only")


def _python(code: str, tmp_path: Path) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON line last."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=240,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_process_writes_the_report_that_the_parent_would(tmp_path):
    # the same summary written by the forked process and in this process: the same files,
    # the same Markdown (its generated-at line aside), a complete PDF; the question before
    # report.pdf is answered by the parent (its before_pdf ran once)
    found = _python(f"""
        import json, multiprocessing
        from pathlib import Path
        from ftsim.cli.report_process import ReportProcess
        from ftsim.scenario.load import scenario_from
        process = ReportProcess.start()  # before any thread
        from ftsim import simulate, summarize
        from ftsim.report.write import write_report
        scenario = scenario_from({str(SCENARIO)!r}, {{}})
        summary = summarize(simulate(scenario, paths=2000, seed=3, jobs=1))
        calls = []
        a, b = Path("forked"), Path("here")
        a.mkdir(); b.mkdir()
        forked = process.write(a, summary, scenario, command="c", seconds=1.0,
                               before_pdf=lambda: calls.append(1))
        process.close()
        here = write_report(b, summary, scenario, command="c", seconds=1.0)
        dated = ("enerated", "| date |")
        strip = lambda p: [l for l in p.read_text().splitlines() if not any(d in l for d in dated)]
        print(json.dumps({{"forked": sorted(forked), "here": sorted(here), "calls": len(calls),
                          "same_md": strip(a / "report.md") == strip(b / "report.md"),
                          "pdf": (a / "report.pdf").read_bytes()[:5].decode(),
                          "children": len(multiprocessing.active_children())}}))
        """, tmp_path)
    assert found["forked"] == found["here"] and "report.pdf" in found["forked"]
    assert found["calls"] == 1 and found["same_md"] and found["pdf"] == "%PDF-"
    assert found["children"] == 0


def test_an_error_in_the_process_is_raised_in_the_parent(tmp_path):
    found = _python(f"""
        import json, multiprocessing
        from pathlib import Path
        from ftsim.cli.report_process import ReportProcess
        from ftsim.scenario.load import scenario_from
        process = ReportProcess.start()
        from ftsim import simulate, summarize
        scenario = scenario_from({str(SCENARIO)!r}, {{}})
        summary = summarize(simulate(scenario, paths=500, seed=3, jobs=1))
        Path("a-file").write_text("not a folder")
        try:
            process.write(Path("a-file"), summary, scenario, command="c", seconds=1.0)
            error = None
        except RuntimeError as exc:
            error = str(exc)
        process.close()
        print(json.dumps({{"error": error,
                          "children": len(multiprocessing.active_children())}}))
        """, tmp_path)
    assert found["error"] is not None and found["error"].startswith("report: ")
    assert found["children"] == 0


def test_not_started_beside_other_threads_and_closed_at_once_when_unused(tmp_path):
    found = _python("""
        import json, threading, time
        from ftsim.cli.report_process import ReportProcess
        started = time.perf_counter()
        process = ReportProcess.start()
        process.close()  # never sent a job: terminated, not waited for
        closed = time.perf_counter() - started
        stop = threading.Event()
        worker = threading.Thread(target=stop.wait)
        worker.start()
        beside = ReportProcess.start()
        stop.set(); worker.join()
        print(json.dumps({"closed_in": closed, "beside_thread": beside is None}))
        """, tmp_path)
    assert found["beside_thread"]
    assert found["closed_in"] < 4.0  # a join would wait for its imports, a 5 s timeout


def test_a_failed_run_leaves_no_report_process_and_no_folder(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[scenario]\nname = "x"\nhorizon_months = -3\n')
    done = subprocess.run([sys.executable, "-m", "ftsim", str(bad), "--out", str(tmp_path / "o")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "scenario.horizon_months" in done.stderr
    assert not (tmp_path / "o").exists()


def test_after_a_typst_compile_nothing_forked_runs_typst(tmp_path):
    # Typst's compile starts native worker threads; a fork copies none of them, so a child
    # using Typst would wait for them forever. Such a process then writes its report and
    # rasterises its PNGs itself (this hung the test suite once).
    found = _python(f"""
        import json
        from pathlib import Path
        from ftsim.cli.report_process import ReportProcess  # one BLAS thread, as the CLI
        from ftsim.core.plan import single_threaded
        from ftsim.figures.render import render_figures, svgs_to_pngs
        alone = single_threaded()
        svg = '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"></svg>'
        svgs_to_pngs([svg])  # Typst's threads start here
        from ftsim import simulate, summarize
        from ftsim.scenario.load import scenario_from
        summary = summarize(simulate(scenario_from({str(SCENARIO)!r}, {{}}), paths=500,
                                     seed=3, jobs=1))
        figures = render_figures(summary, png_dir=Path("figures"), workers=2)
        print(json.dumps({{"alone_before": alone, "alone_after": single_threaded(),
                          "process": ReportProcess.start() is not None,
                          "pngs": sum(f.png.stat().st_size > 0 for f in figures.values()),
                          "figures": len(figures)}}))
        """, tmp_path)
    assert found["alone_before"] and not found["alone_after"] and not found["process"]
    assert found["pngs"] == found["figures"] > 4
