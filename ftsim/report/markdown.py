"""The report as Markdown: layout blocks to report.md, and the one escaping function for it."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from ..figures.registry import figure_specs
from ..scenario import Scenario
from .blocks import Block, Cell, FigurePage, Heading, PageBreak, Paragraph, Table
from .content import report_blocks

__all__ = ["md_escape", "blocks_to_markdown", "render_markdown"]

# Markdown specials escaped with a backslash wherever they appear ("#" too: an ATX heading
# drops trailing "#"s); "<", ">" and "&" become HTML entities so no tag or entity gets through.
_MD_SPECIALS = re.compile(r"([\\`*_\[\]|$#~])")
# At a line's start, "- ", "+ ", "1. " and "1) " open a list and "=" underlines a heading.
_MD_LINE_START = re.compile(r"^(?:\d+[.)]|[-+])(?=\s|$)|^=")
_MD_NEWLINES = re.compile(r"\r\n|\r|\n|\u2028|\u2029|\x85|\x0b|\x0c")
_MD_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def md_escape(text: str, newline: str = " ") -> str:
    """Any report text, names and file names included, as inert Markdown: shown as written,
    never as markup, HTML, a heading, a list or a table separator.

    Line breaks in ``text`` become ``newline`` (a space in headings, captions and link
    text, ``<br>`` in table cells, a hard break in paragraphs), so a name can never end a
    table row or start a block of its own. This is the one escaping function of report.md.
    """
    lines = []
    for line in _MD_NEWLINES.split(_MD_CONTROL.sub(" ", text)):
        line = _MD_SPECIALS.sub(r"\\\1", html.escape(line.lstrip(), quote=False))
        lines.append(_MD_LINE_START.sub(lambda m: f"{m[0][:-1]}\\{m[0][-1]}", line))
    return newline.join(lines)


def _md_cell(cell: str | Cell, header: bool = False) -> str:
    text = cell.text if isinstance(cell, Cell) else cell
    out = md_escape(text, newline="<br>")
    bold = isinstance(cell, Cell) and cell.bold and not header
    return f"**{out}**" if bold and out else out


def _md_table(table: Table) -> str:
    align = table.align or "l" * len(table.header)
    lines = ["| " + " | ".join(_md_cell(h, header=True) for h in table.header) + " |",
             "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
    return "\n".join(lines)


def blocks_to_markdown(blocks: Sequence[Block], figure_files: Sequence[str],
                        captions: dict[str, str]) -> str:
    files = {Path(f).stem: f for f in figure_files}
    chunks: list[str] = []
    figure_number = 0
    shown: set[str] = set()
    figures_heading = False
    for block in blocks:
        if isinstance(block, Heading):
            chunks.append("#" * block.level + " " + md_escape(block.text))
        elif isinstance(block, Paragraph):
            text = md_escape(block.text, newline="  \n")
            text = f"**{text}**" if block.bold else text
            chunks.append(f"- {text}" if block.bullet else text)
        elif isinstance(block, Table):
            chunks.append(_md_table(block))
        elif isinstance(block, FigurePage):
            if not figures_heading:
                chunks.append("## Figures")
                figures_heading = True
            for stem in block.stems:
                if stem not in files:
                    continue
                figure_number += 1
                shown.add(stem)
                caption = md_escape(captions.get(stem, stem))
                chunks.append(f"![{caption}]({files[stem]})\n\n*Figure {figure_number}. "
                              f"{caption}*")
            chunks.append(blocks_to_markdown(block.notes, (), captions))
        elif isinstance(block, PageBreak):
            continue
        else:
            raise TypeError(f"not a report block: {block!r}")
    extra = [f for stem, f in files.items() if stem not in shown]
    if extra and blocks and any(isinstance(b, FigurePage) for b in blocks):
        chunks.append("### Other figures")
        chunks += [f"![{md_escape(Path(f).stem)}]({f})" for f in extra]
    return "\n\n".join(c for c in chunks if c) + "\n"


def render_markdown(summary: dict[str, Any], scenario: Scenario, *, command: str,
                    seconds: float, figure_files: list[str],
                    generated_at: datetime | None = None) -> str:
    """The report as Markdown, linking ``figure_files`` (paths relative to the run folder,
    e.g. ``figures/fan_lora_8b.png``). Pure apart from the clock when ``generated_at`` is None.
    """
    generated_at = generated_at or datetime.now().astimezone()
    blocks = report_blocks(summary, scenario, command=command, seconds=seconds,
                           generated_at=generated_at)
    captions = {spec.stem: spec.caption for spec in figure_specs(summary)}
    return blocks_to_markdown(blocks, figure_files, captions)


# ---------------------------------------------------------------------------------------------
# Files
