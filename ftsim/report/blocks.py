"""The report's layout blocks: what a page holds, shared by the content and every renderer."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Cell", "Heading", "Paragraph", "Table", "FigurePage", "PageBreak", "Block"]


@dataclass(frozen=True)
class Cell:
    """A table cell with emphasis."""

    text: str
    color: str | None = None
    bold: bool = False


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1  # 1 title, 2 section, 3 sub-section


@dataclass(frozen=True)
class Paragraph:
    text: str  # "\n" forces a line break
    size: float = 9.0
    bold: bool = False
    color: str | None = None
    bullet: bool = False
    mono: bool = False


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str | Cell, ...], ...]
    widths: tuple[float, ...]  # fractions of the text width, summing to 1
    align: str = ""  # one of "l"/"r" per column; default all left
    size: float = 8.0
    mono_columns: tuple[int, ...] = ()


@dataclass(frozen=True)
class FigurePage:
    """A new page holding one or two report figures (by stem) stacked; with one, ``notes``
    fill the lower half."""

    stems: tuple[str, ...]
    notes: tuple[Heading | Paragraph, ...] = ()


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Heading | Paragraph | Table | FigurePage | PageBreak
