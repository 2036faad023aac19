"""Where the report step's time goes (issue 11): figures (matplotlib drawing, the fixed
layout, SVG output; the first drawing in a fresh process apart, as a run pays it), PNG
rasterisation, the content, Typst compile, HTML, Markdown, and the whole ``write_report``;
serial figure drawing against forked workers.

Simulates the scenario once (not timed), then times each phase ``--runs`` times in this
process and prints the minimum and the median of the wall time, and of the CPU time where
the work is this process's (the CPU time is what a busy machine disturbs least; with
workers, the forked children's CPU is added). The load average is printed beside. Run by
hand, on an idle machine::

    python benchmarks/report.py                       # support_bot, 100,000 paths, 5 runs
    python benchmarks/report.py --paths 10000 --runs 3 --workers 1 2
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from matplotlib.figure import Figure

import ftsim
from ftsim.figures.layout import fixed_layout
from ftsim.figures.registry import draw_figure, figure_specs
from ftsim.figures.render import figure_style, render_figures, svgs_to_pngs
from ftsim.figures.style import FIGSIZE
from ftsim.figures.svg import figure_svg
from ftsim.report.content import report_document
from ftsim.report.html import render_html
from ftsim.report.markdown import render_markdown
from ftsim.report.typst import write_pdf
from ftsim.report.write import write_report
from ftsim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def cpu_seconds() -> float:
    """User + system CPU of this process and of its waited-for children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(fn: Callable[[], object], runs: int) -> tuple[list[float], list[float]]:
    """(wall seconds, CPU seconds) of each of ``runs`` calls."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), cpu_seconds()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(cpu_seconds() - cpu)
    return walls, cpus


def split_figures(summary, specs) -> tuple[float, float, float]:
    """Serial CPU seconds of every figure in draw_figure (artists), fixed_layout and the SVG
    output (matplotlib's drawing pass and the text post-processing)."""
    draw = place = save = 0.0
    for spec in specs:
        with figure_style(spec.stem):
            start = time.process_time()
            fig = Figure(figsize=FIGSIZE, dpi=72)
            draw_figure(fig, spec, summary, None)
            drawn = time.process_time()
            fixed_layout(fig)
            placed = time.process_time()
            figure_svg(fig)
            draw += drawn - start
            place += placed - drawn
            save += time.process_time() - placed
    return draw, place, save


def row(what: str, walls: list[float], cpus: list[float] | None = None) -> None:
    line = f"  {what:<46} wall min {min(walls):6.3f} median {statistics.median(walls):6.3f} s"
    if cpus is not None:
        line += f"   CPU min {min(cpus):6.3f} median {statistics.median(cpus):6.3f} s"
    print(line)


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
    print(f"{scenario.name}: {args.paths:,} paths, {len(specs)} figures, {args.runs} runs, "
          f"load average {os.getloadavg()[0]:.2f}, {len(os.sched_getaffinity(0))} cores")

    # a run draws its figures once, in a process that has drawn nothing yet
    row("figures, serial, first in the process", *timed(
        lambda: render_figures(summary, None, None, workers=1), 1))
    splits = [split_figures(summary, specs) for _ in range(args.runs)]
    for i, what in enumerate(("draw_figure (artists)", "fixed_layout", "SVG output")):
        cpus = [s[i] for s in splits]
        print(f"  {'figures, serial: ' + what:<46} {'':31}   CPU min {min(cpus):6.3f} "
              f"median {statistics.median(cpus):6.3f} s")
    for workers in args.workers:
        row(f"figures, draw + SVG, {workers} worker(s)", *timed(
            lambda w=workers: render_figures(summary, None, None, workers=w), args.runs))
    figures = render_figures(summary, None, None)
    svgs = {stem: f.svg for stem, f in figures.items()}
    row("PNG rasterised by Typst (all figures)",
        *timed(lambda: svgs_to_pngs(list(svgs.values())), args.runs))
    made = {}

    def content() -> None:
        made["doc"] = report_document(summary, scenario, command="ftsim", seconds=1.0,
                                      generated_at=datetime.now().astimezone(),
                                      breakeven=None, specs=specs)

    row("content (report_document)", *timed(content, args.runs))
    doc = made["doc"]
    with tempfile.TemporaryDirectory() as folder:
        pdf = Path(folder) / "report.pdf"
        row("Typst compile (write_pdf)", *timed(lambda: write_pdf(doc, svgs, pdf), args.runs))
        row("HTML (render_html)", *timed(lambda: render_html(doc, svgs), args.runs))
        row("Markdown (render_markdown)", *timed(
            lambda: render_markdown(doc, {s: f"figures/{s}.png" for s in svgs}), args.runs))
        print(f"  sizes: figures' SVG {sum(len(s.encode()) for s in svgs.values()) / 1e6:.2f} MB,"
              f" report.pdf {pdf.stat().st_size / 1e6:.2f} MB, report.html "
              f"{len(render_html(doc, svgs).encode()) / 1e6:.2f} MB")
        row("write_report (everything, default workers)", *timed(
            lambda: write_report(Path(folder), summary, scenario, command="ftsim", seconds=1.0),
            args.runs))
    print(f"  load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
