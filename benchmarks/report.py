"""Where the report step's wall time goes (issue 11): figures (matplotlib drawing, layout +
SVG output, PNG rasterisation), the content, Typst compile, HTML, Markdown, and the whole
``write_report``; serial figure drawing against forked workers.

Simulates the scenario once (not timed), then times each phase ``--runs`` times in this
process and prints the minimum and the median (the minimum is the least disturbed by other
load; the load average is printed beside). Run by hand, on an idle machine::

    python benchmarks/report.py                       # support_bot, 100,000 paths, 5 runs
    python benchmarks/report.py --paths 10000 --runs 3 --workers 1 2
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

import ftsim
from ftsim.figures.registry import draw_figure, figure_specs
from ftsim.figures.render import render_figures, svgs_to_pngs
from ftsim.figures.style import FIGSIZE, house_style
from ftsim.report.content import report_document
from ftsim.report.html import render_html
from ftsim.report.markdown import render_markdown
from ftsim.report.typst import write_pdf
from ftsim.report.write import write_report
from ftsim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """(min, median) wall seconds of ``runs`` calls."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def split_figures(summary, specs) -> tuple[float, float]:
    """Serial seconds in draw_figure (artists) and in savefig (layout + SVG), all figures."""
    draw = save = 0.0
    for spec in specs:
        with house_style(), matplotlib.rc_context({"svg.hashsalt": spec.stem}):
            start = time.perf_counter()
            fig = Figure(figsize=FIGSIZE, layout="constrained")
            draw_figure(fig, spec, summary, None)
            middle = time.perf_counter()
            fig.savefig(io.StringIO(), format="svg", metadata={"Date": None})
            draw += middle - start
            save += time.perf_counter() - middle
    return draw, save


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "support_bot.toml"))
    parser.add_argument("--paths", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    scenario = load_scenario(args.scenario)
    summary = ftsim.summarize(ftsim.simulate(scenario, paths=args.paths, seed=1, jobs=2))
    specs = figure_specs(summary)
    split_figures(summary, specs[:1])  # warm matplotlib's font and text caches
    print(f"{scenario.name}: {args.paths:,} paths, {len(specs)} figures, {args.runs} runs, "
          f"load average {os.getloadavg()[0]:.2f}, {len(os.sched_getaffinity(0))} cores")

    def row(what: str, seconds: tuple[float, float]) -> None:
        print(f"  {what:<44} min {seconds[0]:6.3f} s   median {seconds[1]:6.3f} s")

    draws = [split_figures(summary, specs) for _ in range(args.runs)]
    row("figures, serial: draw_figure (artists)", (min(d for d, _ in draws),
                                                    statistics.median(d for d, _ in draws)))
    row("figures, serial: savefig (layout + SVG)", (min(s for _, s in draws),
                                                     statistics.median(s for _, s in draws)))
    for workers in args.workers:
        row(f"figures, draw + SVG, {workers} worker(s)",
            timed(lambda w=workers: render_figures(summary, None, None, workers=w), args.runs))
    figures = render_figures(summary, None, None)
    svgs = {stem: f.svg for stem, f in figures.items()}
    row("PNG rasterised by Typst (all figures)",
        timed(lambda: svgs_to_pngs(list(svgs.values())), args.runs))
    made = {}

    def content() -> None:
        made["doc"] = report_document(summary, scenario, command="ftsim", seconds=1.0,
                                      generated_at=datetime.now().astimezone(),
                                      breakeven=None, specs=specs)

    row("content (report_document)", timed(content, args.runs))
    doc = made["doc"]
    with tempfile.TemporaryDirectory() as folder:
        pdf = Path(folder) / "report.pdf"
        row("Typst compile (write_pdf)", timed(lambda: write_pdf(doc, svgs, pdf), args.runs))
        row("HTML (render_html)", timed(lambda: render_html(doc, svgs), args.runs))
        row("Markdown (render_markdown)",
            timed(lambda: render_markdown(doc, {s: f"figures/{s}.png" for s in svgs}), args.runs))
        print(f"  sizes: report.pdf {pdf.stat().st_size / 1e6:.2f} MB, report.html "
              f"{len(render_html(doc, svgs).encode()) / 1e6:.2f} MB")
        row("write_report (everything, default workers)",
            timed(lambda: write_report(Path(folder), summary, scenario, command="ftsim",
                                       seconds=1.0), args.runs))
    print(f"  load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
