"""The files of a study's run folder (optimize, wait): its JSON and CSV, its figure as PNG
and, when asked, a report in three formats, written the same way for every study."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..output import atomic_write_bytes, atomic_write_text

if TYPE_CHECKING:
    import pandas as pd

    from ..report.blocks import Document

__all__ = ["StudyResult", "write_study_files"]


class StudyResult(Protocol):
    def to_dict(self) -> dict[str, Any]: ...

    def frame(self) -> pd.DataFrame: ...


def write_study_files(folder: Path, name: str, result: StudyResult, *, command: str,
                      source: Path, figure: tuple[str, str],
                      document: Callable[[], Document] | None) -> None:
    """``<name>.json`` (the command, the scenario file and the result), ``<name>.csv`` (its
    table), the figure ``(stem, svg)`` as ``<stem>.png`` and, when ``document`` builds one,
    report.md, report.html and report.pdf, the PDF last: its presence means complete."""
    from ..figures.render import svgs_to_pngs

    stem, svg = figure
    atomic_write_text(folder / f"{name}.json", json.dumps(
        {"command": command, "file": str(source), **result.to_dict()}, indent=2,
        allow_nan=False) + "\n")
    atomic_write_text(folder / f"{name}.csv",
                      result.frame().to_csv(index=False, float_format="%.10g"))
    atomic_write_bytes(folder / f"{stem}.png", svgs_to_pngs([svg])[0])
    if document is None:
        return
    from ..report import render_html, render_markdown, write_pdf

    doc = document()
    atomic_write_text(folder / "report.md", render_markdown(doc, {stem: f"{stem}.png"}))
    atomic_write_text(folder / "report.html", render_html(doc, {stem: svg}))
    write_pdf(doc, {stem: svg}, folder / "report.pdf")
