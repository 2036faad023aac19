"""The report as a PDF: a Document rendered to Typst source and compiled with the ``typst``
package (its own fonts, no system library): A4 pages with a footer and page numbers, tables
that run over pages with their header repeated, figures as vector SVG.

Every piece of report text reaches Typst as a string literal (``#"..."``), never as markup,
so no character of a scenario name can turn into Typst syntax.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .blocks import (
    TONE_COLORS,
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
    Tone,
)

__all__ = ["typst_string", "render_typst_source", "write_pdf"]

_NEWLINES = re.compile(r"\r\n|\r|\n|\u2028|\u2029|\x85|\x0b|\x0c")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_STRING_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t"}

_PREAMBLE = """\
#let ink = rgb(ftsim-ink)
#let muted = rgb(ftsim-muted)
#let rule = rgb("#d0d7de")
#set document(title: ftsim-title, author: "ftsim")
#set page(paper: "a4", margin: (x: 18mm, top: 17mm, bottom: 20mm), footer: context {
  set text(size: 8pt, fill: muted)
  grid(columns: (1fr, auto), column-gutter: 1em, ftsim-footer,
    "Page " + str(here().page()) + " of " + str(counter(page).final().first()))
})
#set text(font: ("Libertinus Serif", "DejaVu Sans"), size: 10.5pt, fill: ink, lang: "en")
#set par(leading: 0.6em, spacing: 0.85em)
#set list(spacing: 0.6em)
#show heading: set text(fill: ink, weight: "bold")
#show heading.where(level: 1): set text(size: 15pt)
#show heading.where(level: 1): set block(above: 1.5em, below: 0.8em)
#show heading.where(level: 2): set text(size: 12.5pt)
#show heading.where(level: 2): set block(above: 1.4em, below: 0.7em)
#show heading.where(level: 3): set text(size: 11pt)
#show heading.where(level: 3): set block(above: 1.1em, below: 0.6em)
#set table(stroke: (x, y) => if y == 0 { (bottom: 0.8pt + ink) } else { (bottom: 0.3pt + rule) },
  inset: (x: 5pt, y: 3.6pt))
#set table.cell(breakable: false)
#show table: set text(size: 9pt)
#show table: set par(leading: 0.45em)
#show table.cell.where(y: 0): set text(weight: "bold")
#set figure(gap: 0.7em)
#show figure.caption: set text(size: 9pt, fill: muted)
"""


def _plain(text: str) -> str:
    """Line breaks as "\\n", other control characters as spaces."""
    return _CONTROL.sub(" ", _NEWLINES.sub("\n", text))


def _one_line(text: str) -> str:
    return _plain(text).replace("\n", " ")


def typst_string(text: str, *, one_line: bool = False) -> str:
    """``text`` as a Typst string literal, e.g. ``"a \\"b\\""``: shown as written in markup
    (``#"..."``) and in code; with ``one_line``, line breaks become spaces."""
    text = _one_line(text) if one_line else _plain(text)
    return '"' + "".join(_STRING_ESCAPES.get(ch, ch) for ch in text) + '"'


def _rgb(color: str) -> str:
    return f'rgb("{color}")'


def _styled(body: str, *, bold: bool = False, tone: Tone = None, mono: bool = False) -> str:
    """A Typst code expression: the string literal ``body`` with weight, colour and font."""
    args = []
    if bold:
        args.append('weight: "bold"')
    if tone is not None:
        args.append(f"fill: {_rgb(TONE_COLORS[tone][0])}")
    if mono:
        args.append('font: "DejaVu Sans Mono", size: 0.86em')
    return f"text({', '.join(args)}, {body})" if args else body


def _inline(part: str | Span) -> str:
    if isinstance(part, Span):
        return _styled(typst_string(part.text), bold=part.bold, tone=part.tone)
    return typst_string(part)


def _content(paragraph: Paragraph) -> str:
    """A paragraph's parts as a Typst content block ``[#...#...]``."""
    parts = "".join(f"#{_inline(p)}" for p in paragraph.parts)
    settings = []
    if paragraph.small:
        settings.append("size: 9pt")
    if paragraph.tone is not None:
        settings.append(f"fill: {_rgb(TONE_COLORS[paragraph.tone][0])}")
    if settings:
        return f"[#set text({', '.join(settings)})\n{parts}]"
    return f"[{parts}]"


def _paragraph(paragraph: Paragraph) -> str:
    return f"#{_content(paragraph)}" if paragraph.parts else ""


def _bullets(bullets: BulletList) -> str:
    if not bullets.items:
        return ""
    return "#list(" + ", ".join(_content(item) for item in bullets.items) + ")"


def _callout(callout: Callout) -> str:
    color, background = TONE_COLORS[callout.tone]
    body = [f"#text(size: 13pt, weight: \"bold\", fill: {_rgb(color)}, "
            f"{typst_string(callout.title, one_line=True)})"]
    for item in callout.body:
        body.append(_paragraph(item) if isinstance(item, Paragraph) else _bullets(item))
    inner = "\n\n".join(b for b in body if b)
    return (f"#block(width: 100%, fill: {_rgb(background)}, stroke: (left: 3.5pt + {_rgb(color)}),"
            f" inset: (x: 12pt, y: 10pt), radius: 2pt, above: 1em, below: 1.2em)[\n{inner}\n]")


def _key_facts(facts: KeyFacts) -> str:
    if not facts.items:
        return ""
    cells = [f"block(width: 100%, fill: {_rgb(TONE_COLORS[None][1])}, inset: 7pt, radius: 2pt, "
             "breakable: false)"
             f"[#text(size: 8.5pt, fill: muted, {typst_string(label, one_line=True)})#linebreak()"
             f"#text(size: 12pt, weight: \"bold\", {typst_string(value, one_line=True)})]"
             for label, value in facts.items]
    columns = min(4, len(cells))
    return (f"#grid(columns: ({'1fr, ' * columns}), column-gutter: 6pt, row-gutter: 6pt,\n  "
            + ",\n  ".join(cells) + ")")


def _cell(cell: str | Cell, mono: bool) -> str:
    if isinstance(cell, Cell):
        return f"[#{_styled(typst_string(cell.text), bold=cell.bold, tone=cell.tone, mono=mono)}]"
    return f"[#{_styled(typst_string(cell), mono=mono)}]"


def _table(table: Table) -> str:
    n = len(table.header)
    columns = (", ".join(f"{w:g}fr" for w in table.widths) if table.widths is not None
               else ", ".join(["auto"] * n))
    align = ", ".join("right" if table.alignment(i) == "r" else "left" for i in range(n))
    header = ", ".join(f"[#{typst_string(h, one_line=True)}]" for h in table.header)
    rows = [", ".join(_cell(c, i in table.mono_columns) for i, c in enumerate(row))
            for row in table.rows]
    out = []
    if table.caption:
        out.append(f"#block(sticky: true, below: 0.5em, text(size: 9.5pt, weight: \"bold\", "
                   f"{typst_string(table.caption, one_line=True)}))")
    out.append(f"#table(columns: ({columns},), align: ({align},),\n"
               f"  table.header({header}),\n  " + ",\n  ".join(rows) + ")")
    return "\n".join(out)


def _figure(figure: Figure, figure_files: Mapping[str, str]) -> str:
    if figure.stem not in figure_files:
        raise KeyError(f"the report shows figure {figure.stem!r}, which was not rendered")
    return (f"#figure(image({typst_string(figure_files[figure.stem])}, width: 100%, "
            f"alt: {typst_string(figure.alt, one_line=True)}),\n"
            f"  caption: [#{typst_string(figure.caption, one_line=True)}])")


def _block(block: Block, figure_files: Mapping[str, str]) -> str:
    if isinstance(block, Heading):
        return f"#heading(level: {block.level}, {typst_string(block.text, one_line=True)})"
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
        return _figure(block, figure_files)
    if isinstance(block, PageBreak):
        return "#pagebreak(weak: true)"
    raise TypeError(f"not a report block: {block!r}")


def render_typst_source(doc: Document, figure_files: Mapping[str, str]) -> str:
    """The Typst source of ``doc``; ``figure_files`` maps a figure's stem to its SVG file,
    relative to the folder the source is compiled in."""
    title = [f"#text(size: 19pt, weight: \"bold\", {typst_string(doc.title, one_line=True)})"]
    if doc.subtitle:
        title.append(f"#text(size: 10.5pt, fill: muted, {typst_string(doc.subtitle)})")
    chunks = [f'#let ftsim-ink = "{TONE_COLORS[None][0]}"',
              f'#let ftsim-muted = "{TONE_COLORS["muted"][0]}"',
              f"#let ftsim-title = {typst_string(doc.title, one_line=True)}",
              f"#let ftsim-footer = {typst_string(doc.footer, one_line=True)}",
              _PREAMBLE,
              "#block(width: 100%, below: 1.1em)[\n" + "\n\n".join(title) + "\n]",
              "#line(length: 100%, stroke: 0.6pt + rule)"]
    for block, after in zip(doc.blocks, (*doc.blocks[1:], None), strict=True):
        chunk = _block(block, figure_files)
        if isinstance(block, Paragraph) and isinstance(after, Figure | Table) and chunk:
            chunk = f"#block(sticky: true, below: 0.85em){chunk[1:]}"  # introduces it
        chunks.append(chunk)
    return "\n\n".join(c for c in chunks if c) + "\n"


def _fonts() -> Any:
    """Typst's own fonts plus matplotlib's DejaVu family, never the system's, so every
    machine sets the same pages: the figures' font set (one set, parsed once)."""
    from ..figures.render import figure_fonts

    return figure_fonts()


def warm_up() -> None:
    """Import Typst and gather its fonts now (see ``report.write.warm_up``)."""
    _fonts()


def write_pdf(doc: Document, svgs: Mapping[str, str], path: Path) -> None:
    """Compile ``doc`` to a PDF at ``path``; ``svgs`` maps a figure's stem to its SVG text."""
    import typst

    with tempfile.TemporaryDirectory(prefix="ftsim-typst-") as folder:
        root = Path(folder)
        files: dict[str, str] = {}
        for i, stem in enumerate(dict.fromkeys(doc.figure_stems())):
            if stem in svgs:
                files[stem] = f"figure-{i}.svg"
                (root / files[stem]).write_text(svgs[stem], encoding="utf-8")
        (root / "report.typ").write_text(render_typst_source(doc, files), encoding="utf-8")
        pdf, _warnings = typst.compile_with_warnings(
            str(root / "report.typ"), root=str(root), font_paths=_fonts(), format="pdf")
    Path(path).write_bytes(pdf)
