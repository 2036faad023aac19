"""The report as Markdown (report.md): the same Document as the PDF and the HTML page, with
the one escaping function that keeps any text inert."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from urllib.parse import quote

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
)

__all__ = ["md_escape", "render_markdown"]

# Markdown specials escaped with a backslash wherever they appear ("#" too: an ATX heading
# drops trailing "#"s); "<", ">" and "&" become HTML entities so no tag or entity gets through.
_MD_SPECIALS = re.compile(r"([\\`*_\[\]|$#~])")
# At a line's start, "- ", "+ ", "1. " and "1) " open a list and "=" underlines a heading.
_MD_LINE_START = re.compile(r"^(?:\d+[.)]|[-+])(?=\s|$)|^=")
_MD_NEWLINES = re.compile(r"\r\n|\r|\n|\u2028|\u2029|\x85|\x0b|\x0c")
_MD_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_HARD_BREAK = "  \n"


def md_escape(text: str, newline: str = " ", *, inline: bool = False) -> str:
    """Any report text, names and file names included, as inert Markdown: shown as written,
    never as markup, HTML, a heading, a list or a table separator.

    Line breaks in ``text`` become ``newline`` (a space in headings, captions and link
    text, ``<br>`` in table cells, a hard break in paragraphs), so a name can never end a
    table row or start a block of its own. This is the one escaping function of report.md.
    Spaces that start a line are dropped (they would indent it into a code block), except
    on the first line of an ``inline`` part, which continues a line.
    """
    lines = []
    for i, line in enumerate(_MD_NEWLINES.split(_MD_CONTROL.sub(" ", text))):
        line = line if inline and i == 0 else line.lstrip()
        line = _MD_SPECIALS.sub(r"\\\1", html.escape(line, quote=False))
        lines.append(_MD_LINE_START.sub(lambda m: f"{m[0][:-1]}\\{m[0][-1]}", line))
    return newline.join(lines)


def _bold(escaped: str) -> str:
    """``**text**`` around already escaped text; spaces at its ends stay outside (Markdown
    does not open emphasis next to a space)."""
    core = escaped.strip()
    if not core:
        return escaped
    start = escaped[: len(escaped) - len(escaped.lstrip())]
    end = escaped[len(escaped.rstrip()):]
    return f"{start}**{core}**{end}"


def _inline(part: str | Span, newline: str, first: bool) -> str:
    text = md_escape(part.text if isinstance(part, Span) else part, newline, inline=not first)
    return _bold(text) if isinstance(part, Span) and part.bold else text


def _paragraph(paragraph: Paragraph, newline: str = _HARD_BREAK) -> str:
    return "".join(_inline(p, newline, i == 0) for i, p in enumerate(paragraph.parts))


def _bullets(bullets: BulletList) -> str:
    return "\n".join(f"- {_paragraph(item, _HARD_BREAK + '  ')}" for item in bullets.items)


def _callout(callout: Callout) -> str:
    chunks = [_bold(md_escape(callout.title))]
    for item in callout.body:
        chunks.append(_paragraph(item) if isinstance(item, Paragraph) else _bullets(item))
    text = "\n\n".join(c for c in chunks if c)
    return "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))


def _cell(cell: str | Cell, header: bool = False) -> str:
    text = md_escape(cell.text if isinstance(cell, Cell) else cell, newline="<br>")
    return _bold(text) if isinstance(cell, Cell) and cell.bold and not header else text


def _table(table: Table) -> str:
    n = len(table.header)
    lines = ["| " + " | ".join(_cell(h, header=True) for h in table.header) + " |",
             "|" + "|".join("---:" if table.alignment(i) == "r" else "---" for i in range(n)) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    caption = [_bold(md_escape(table.caption))] if table.caption else []
    return "\n\n".join([*caption, "\n".join(lines)])


def _key_facts(facts: KeyFacts) -> str:
    return "\n".join(f"- {md_escape(label)}: {_bold(md_escape(value))}" for label, value in facts.items)


def _figure(figure: Figure, number: int, png_paths: Mapping[str, str]) -> str:
    if figure.stem not in png_paths:
        raise KeyError(f"the report shows figure {figure.stem!r}, which was not rendered")
    target = quote(png_paths[figure.stem], safe="/")
    return (f"![{md_escape(figure.alt)}]({target})\n\n"
            f"*Figure {number}. {md_escape(figure.caption)}*")


def _block(block: Block, number: int, png_paths: Mapping[str, str]) -> str:
    if isinstance(block, Heading):
        return "#" * (block.level + 1) + " " + md_escape(block.text)
    if isinstance(block, Paragraph):
        return _paragraph(block)
    if isinstance(block, BulletList):
        return _bullets(block)
    if isinstance(block, Callout):
        return _callout(block)
    if isinstance(block, KeyFacts):
        return _key_facts(block)
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Figure):
        return _figure(block, number, png_paths)
    if isinstance(block, PageBreak):
        return ""
    raise TypeError(f"not a report block: {block!r}")


def render_markdown(doc: Document, png_paths: Mapping[str, str]) -> str:
    """``doc`` as Markdown; ``png_paths`` maps a figure's stem to its PNG, relative to the
    Markdown file (e.g. ``figures/fan_lora_8b.png``)."""
    chunks = ["# " + md_escape(doc.title)]
    if doc.subtitle:
        chunks.append(md_escape(doc.subtitle, _HARD_BREAK))
    number = 0
    for block in doc.blocks:
        if isinstance(block, Figure):
            number += 1
        chunks.append(_block(block, number, png_paths))
    if doc.footer:
        chunks += ["---", md_escape(doc.footer)]
    return "\n\n".join(c for c in chunks if c) + "\n"
