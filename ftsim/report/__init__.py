"""Summary + Scenario -> the run's report: the content decided once as a Document
(``content``), rendered as PDF (Typst), HTML and Markdown, written into the run folder.

Importing this package is light: the renderers and the content, which import matplotlib,
typst or jinja2, load on first use of their names (the terminal imports
``ftsim.report.sentences`` and must not pay for them).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .blocks import (
    Block,
    BulletList,
    Callout,
    Cell,
    Document,
    Figure,
    Heading,
    KeyFacts,
    PageBreak,
    Paragraph,
    Span,
    Table,
    para,
)

if TYPE_CHECKING:
    from .content import report_document
    from .html import render_html
    from .markdown import md_escape, render_markdown
    from .typst import render_typst_source, write_pdf
    from .write import write_report

# name -> submodule that defines it, imported on first access
_LAZY = {
    "report_document": "content",
    "render_html": "html",
    "md_escape": "markdown",
    "render_markdown": "markdown",
    "render_typst_source": "typst",
    "write_pdf": "typst",
    "write_report": "write",
}

__all__ = [
    "Block",
    "BulletList",
    "Callout",
    "Cell",
    "Document",
    "Figure",
    "Heading",
    "KeyFacts",
    "PageBreak",
    "Paragraph",
    "Span",
    "Table",
    "para",
    "report_document",
    "render_html",
    "md_escape",
    "render_markdown",
    "render_typst_source",
    "write_pdf",
    "write_report",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
