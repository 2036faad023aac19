"""Write a run's report files: figures/*.png, report.md, report.html and, last, report.pdf."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from ..core.summary_types import Summary
from ..core.timing import phase
from ..figures.registry import BreakevenCurve, figure_specs
from ..figures.render import start_figures
from ..output import atomic_path, atomic_write_text
from ..scenario import Scenario
from .content import report_document
from .html import render_html
from .markdown import render_markdown
from .typst import write_pdf

__all__ = ["write_report", "warm_up"]


def warm_up() -> None:
    """Do now what the first report in a process pays for besides the imports: Typst's
    font sets, the HTML templates, matplotlib's SVG backend and fonts (the command line
    calls it in its report process while the run simulates: cli/report_process.py)."""
    from ..figures.render import warm_up as warm_figures
    from .html import warm_up as warm_html
    from .typst import warm_up as warm_typst

    warm_figures()
    warm_html()
    warm_typst()


def write_report(run_dir: Path, summary: Summary, scenario: Scenario, *, command: str,
                 seconds: float, breakeven: BreakevenCurve | None = None,
                 before_pdf: Callable[[], object] | None = None) -> dict[str, Path]:
    """Write ``figures/*.png``, ``report.md``, ``report.html`` and, last, ``report.pdf`` into
    ``run_dir``; return the written paths keyed by their path relative to ``run_dir``.

    Each figure is drawn once (SVG for the PDF and the page, PNG rasterised from it). Every
    file goes through a temporary name and is moved into place; an older report.pdf is
    removed first and the new one moved in last, so its presence means a complete report.
    ``breakeven`` (``ftsim.core.studies.breakeven.breakeven_curve``'s result, from ``ftsim run
    --breakeven``) adds the break-even figure and table. ``before_pdf`` is called just
    before report.pdf is moved into place (the CLI waits there for files written in parallel).
    """
    run_dir = Path(run_dir)
    pdf_path = run_dir / "report.pdf"
    pdf_path.unlink(missing_ok=True)
    specs = figure_specs(summary, breakeven)
    with phase("report: figures drawn"):
        figures, pngs = start_figures(summary, breakeven, run_dir / "figures", specs=specs)
    try:
        written: dict[str, Path] = {}
        for stem, figure in figures.items():
            if figure.png is not None:
                written[f"figures/{stem}.png"] = figure.png
        with phase("report: Markdown and HTML"):
            doc = report_document(summary, scenario, command=command, seconds=seconds,
                                  generated_at=datetime.now().astimezone(),
                                  breakeven=breakeven, specs=specs)
            svgs = {stem: figure.svg for stem, figure in figures.items()}
            atomic_write_text(run_dir / "report.md", render_markdown(
                doc, {stem: f"figures/{stem}.png" for stem in figures}))
            written["report.md"] = run_dir / "report.md"
            atomic_write_text(run_dir / "report.html", render_html(doc, svgs))
            written["report.html"] = run_dir / "report.html"
        with atomic_path(pdf_path) as tmp:
            with phase("report: PDF"):
                write_pdf(doc, svgs, tmp)
            with phase("report: waiting for the PNGs"):
                pngs.wait()  # rasterised by a drawing process meanwhile
            if before_pdf is not None:
                with phase("report: waiting for the per-path file"):
                    before_pdf()
            os.utime(tmp)  # the newest file of the report, as it is the last moved in
    finally:
        pngs.close()
    written["report.pdf"] = pdf_path
    return written
