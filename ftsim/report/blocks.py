"""The report's document model: what the report says, decided once as blocks of plain text,
then rendered to Typst (PDF), HTML and Markdown by renderers that escape it for their format.

Text in every block is plain text: no markup of any kind is interpreted, so a scenario name
such as ``<b>$x^2$ #1 | *draft*`` is shown exactly as written. A "\\n" in a paragraph or a
table cell is a line break; in a heading, title, caption or label it is shown as a space.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "TONES",
    "TONE_COLORS",
    "Tone",
    "Span",
    "Inline",
    "Paragraph",
    "para",
    "BulletList",
    "Heading",
    "Callout",
    "KeyFacts",
    "Cell",
    "Table",
    "Figure",
    "PageBreak",
    "Block",
    "Document",
]

Tone = Literal["good", "bad", "warn", "muted"] | None
TONES: tuple[Tone, ...] = ("good", "bad", "warn", "muted", None)
# tone -> (ink, background): the renderers' palette, the same in the PDF and the HTML page
TONE_COLORS: dict[Tone, tuple[str, str]] = {
    "good": ("#1a7f37", "#e9f5ec"),
    "bad": ("#c62828", "#fdecea"),
    "warn": ("#9a5b00", "#fff4e0"),
    "muted": ("#5f6368", "#f1f3f4"),
    None: ("#1f2328", "#f3f5f7"),
}


def _check_tone(tone: object) -> None:
    if tone not in TONES:
        raise ValueError(f"tone must be one of good, bad, warn, muted or None, not {tone!r}")


@dataclass(frozen=True)
class Span:
    """A run of text inside a paragraph, optionally bold and coloured by tone."""

    text: str
    bold: bool = False
    tone: Tone = None

    def __post_init__(self) -> None:
        _check_tone(self.tone)


Inline = str | Span


@dataclass(frozen=True)
class Paragraph:
    """Inline parts shown one after the other (no separator added); ``small`` for notes."""

    parts: tuple[Inline, ...]
    tone: Tone = None
    small: bool = False

    def __post_init__(self) -> None:
        _check_tone(self.tone)
        for part in self.parts:
            if not isinstance(part, str | Span):
                raise TypeError(f"a paragraph part is a str or a Span, not {part!r}")

    @property
    def text(self) -> str:
        """The paragraph as plain text, e.g. for alt text or a terminal."""
        return "".join(p if isinstance(p, str) else p.text for p in self.parts)


def para(*parts: Inline, tone: Tone = None, small: bool = False) -> Paragraph:
    """``para("P(payback) is ", Span("34 %", bold=True), ".")``: a Paragraph from its parts."""
    return Paragraph(tuple(parts), tone=tone, small=small)


@dataclass(frozen=True)
class BulletList:
    items: tuple[Paragraph, ...]


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1  # 1 title, 2 section, 3 sub-section

    def __post_init__(self) -> None:
        if self.level not in (1, 2, 3):
            raise ValueError(f"heading level must be 1, 2 or 3, not {self.level!r}")


@dataclass(frozen=True)
class Callout:
    """A boxed statement coloured by tone: the verdict of an option."""

    title: str
    body: tuple[Paragraph | BulletList, ...]
    tone: Tone = None

    def __post_init__(self) -> None:
        _check_tone(self.tone)


@dataclass(frozen=True)
class KeyFacts:
    """A grid of (label, value) pairs, e.g. the money at risk."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Cell:
    """A table cell with emphasis."""

    text: str
    tone: Tone = None
    bold: bool = False

    def __post_init__(self) -> None:
        _check_tone(self.tone)


@dataclass(frozen=True)
class Table:
    """A table with one header row; it may run over several PDF pages (header repeated).

    ``align`` holds "l" or "r" per column (default all left); ``widths`` are relative column
    widths (default: sized by content); ``mono_columns`` are shown in a monospaced font.
    """

    header: tuple[str, ...]
    rows: tuple[tuple[str | Cell, ...], ...]
    align: str = ""
    caption: str | None = None
    widths: tuple[float, ...] | None = None
    mono_columns: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.header)
        if n == 0:
            raise ValueError("a table needs at least one column")
        for i, row in enumerate(self.rows):
            if len(row) != n:
                raise ValueError(f"table row {i} has {len(row)} cells, the header {n}")
        if self.align and (len(self.align) != n or set(self.align) - {"l", "r"}):
            raise ValueError(f"align must be one 'l' or 'r' per column ({n}), not {self.align!r}")
        if self.widths is not None and (len(self.widths) != n
                                        or not all(w > 0 for w in self.widths)):
            raise ValueError(f"widths must be {n} positive numbers, not {self.widths!r}")
        if any(not 0 <= c < n for c in self.mono_columns):
            raise ValueError(f"mono_columns {self.mono_columns!r} outside the {n} columns")

    def alignment(self, column: int) -> str:
        """"l" or "r" for a column."""
        return self.align[column] if self.align else "l"


@dataclass(frozen=True)
class Figure:
    """A figure of the registry, by its stem (``ftsim.figures.registry.FigureSpec.stem``)."""

    stem: str
    caption: str
    alt: str


@dataclass(frozen=True)
class PageBreak:
    """A new PDF page; HTML and Markdown ignore it."""


Block = Heading | Paragraph | BulletList | Callout | KeyFacts | Table | Figure | PageBreak


@dataclass(frozen=True)
class Document:
    """The whole report: title block, footer (every PDF page) and the blocks in order."""

    title: str
    subtitle: str
    footer: str
    blocks: tuple[Block, ...]

    def __post_init__(self) -> None:
        for block in self.blocks:
            if not isinstance(block, Block):
                raise TypeError(f"not a report block: {block!r}")

    def figure_stems(self) -> tuple[str, ...]:
        """The stems of the figures the document shows, in order."""
        return tuple(b.stem for b in self.blocks if isinstance(b, Figure))
