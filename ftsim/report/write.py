"""Write a run's report files: figures/*.png, report.md and, last, report.pdf."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from ..figures.registry import figure_set, figure_specs, save_png
from ..output import atomic_path, atomic_write_text
from ..scenario import Scenario
from .content import report_blocks
from .markdown import blocks_to_markdown
from .pdf import render_pdf

__all__ = ["write_report"]


def write_report(run_dir: Path, summary: dict[str, Any], scenario: Scenario, *, command: str,
                 seconds: float, breakeven: dict[str, Any] | None = None,
                 before_pdf: Callable[[], object] | None = None) -> dict[str, Path]:
    """Write ``figures/*.png``, ``report.md`` and, last, ``report.pdf`` into ``run_dir``.

    Every file goes through a temporary name and is moved into place, and report.pdf is
    written last, so its presence means the report is complete (an older report.pdf is
    removed first). ``breakeven`` (``ftsim.core.studies.breakeven.breakeven_curve``'s dict, from ``ftsim run
    --breakeven``), when given, adds the break-even figure and table. Returns the written
    paths keyed by their path relative to ``run_dir``. ``before_pdf`` is called just before
    report.pdf is moved into place (the CLI waits there for files written in parallel).
    """
    run_dir = Path(run_dir)
    pdf_path = run_dir / "report.pdf"
    pdf_path.unlink(missing_ok=True)
    if breakeven is not None:
        summary = {**summary, "breakeven": breakeven}
    written: dict[str, Path] = {}
    figures = figure_set(summary)
    for stem, fig in figures:
        rel = f"figures/{stem}.png"
        with atomic_path(run_dir / rel) as tmp:
            save_png(fig, tmp)
        written[rel] = run_dir / rel
    generated_at = datetime.now().astimezone()
    blocks = report_blocks(summary, scenario, command=command, seconds=seconds,
                           generated_at=generated_at)
    captions = {spec.stem: spec.caption for spec in figure_specs(summary)}
    atomic_write_text(run_dir / "report.md",
                      blocks_to_markdown(blocks, list(written), captions))
    written["report.md"] = run_dir / "report.md"
    footer = (f"ftsim {summary['ftsim_version']} · {summary['scenario']['name']} · "
              f"seed {summary['simulation']['seed']}")
    with atomic_path(pdf_path) as tmp:
        render_pdf(tmp, blocks, summary, title=f"{summary['scenario']['name']}: "
                         "fine-tuning payback risk report", footer=footer, figures=figures)
        if before_pdf is not None:
            before_pdf()
    written["report.pdf"] = pdf_path
    return written
