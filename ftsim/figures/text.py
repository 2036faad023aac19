"""Text for figures and pages: wrap, clip and fit user text to a width in inches, measured
with the real font metrics (DejaVu Sans), and draw missing glyphs without a warning.

Figures use these for titles, legends and tick labels; the report's PDF typesetter uses
them for its pages (report imports figures, never the reverse).
"""

from __future__ import annotations

import os
import re
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache

from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.ft2font import FT2Font, Kerning, LoadFlags
from matplotlib.textpath import TextToPath

from ..format import shorten

__all__ = ["plain", "missing_glyphs_allowed", "text_width_in", "line_extent_in", "block_size_in",
           "font_lines", "wrap", "clip", "fit", "shorten_line"]

_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def plain(text: str) -> str:
    """Text as drawn: control characters (no glyph in any font) shown as spaces.

    Mathtext is off for every text artist (``text.parse_math`` in the house style), so a
    ``$`` in a name or currency is drawn as written and needs no escaping.
    """
    return _CONTROL.sub(" ", text)


_TEXT_TO_PATH = TextToPath()


@contextmanager
def missing_glyphs_allowed() -> Iterator[None]:
    """Draw characters DejaVu Sans has no glyph for (CJK, Bopomofo... in a valid name) as
    the font's empty box, without matplotlib's "Glyph ... missing from font" warning: the
    name is legitimate, report.md shows it as written, and the CLI must not fail on it."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font",
                                category=UserWarning)
        yield


def _prop(size: float, bold: bool, mono: bool) -> FontProperties:
    return FontProperties(family="DejaVu Sans Mono" if mono else "DejaVu Sans",
                          weight="bold" if bold else "normal", size=size)


_EM_PX = 64  # faces are loaded at 64 px per em: metrics in 1/4096 em (26.6 fixed point)


def _face(bold: bool, mono: bool) -> FT2Font:
    """A face of our own (matplotlib's shared ones change size under other callers), one per
    process and thread: a FreeType face is not safe to share between threads (matplotlib's
    get_font keys its cache by thread for the same reason), and one used across a fork failed
    with "FT_Load_Glyph ... invalid outline" in a run of the test suite."""
    return _face_of(bold, mono, os.getpid(), threading.get_ident())


@lru_cache(maxsize=16)
def _face_of(bold: bool, mono: bool, pid: int, thread: int) -> FT2Font:
    face = FT2Font(findfont(_prop(10.0, bold, mono)))
    face.set_size(_EM_PX, 72)
    return face


@lru_cache(maxsize=8192)
def _glyph(char: str, bold: bool, mono: bool) -> tuple[int, float, tuple[float, ...]] | None:
    """(glyph index, advance, ink box x0 y0 x1 y1) of a character in em; None if the font
    lacks it."""
    face = _face(bold, mono)
    index = face.get_char_index(ord(char))
    if index == 0:
        return None
    glyph = face.load_glyph(index, flags=LoadFlags.NO_HINTING)
    return index, glyph.linearHoriAdvance / 65536 / _EM_PX, tuple(
        v / 64 / _EM_PX for v in glyph.bbox)


@lru_cache(maxsize=65536)
def _kerning(left: int, right: int, bold: bool, mono: bool) -> float:
    return _face(bold, mono).get_kerning(left, right, Kerning.UNFITTED) / 64 / _EM_PX


def _measure(text: str, size: float, bold: bool, mono: bool) -> tuple[float, float, float]:
    """(width, height, descent) of one line in points, as matplotlib's TextToPath measures it
    for the SVG backend (FreeType's layout in FT2Font.set_text: from the pen's start or the
    leftmost ink to the pen's end or the rightmost ink; the ink's height and its depth below
    the baseline), summed from per-character metrics and kerning pairs cached per font:
    10-50 times faster than laying each string out (0.1-1 ms a string), equal to it within
    1e-4 (a ligature, e.g. "fi", comes out a little wider). A character the font lacks
    (drawn from a fallback font) sends the string to TextToPath."""
    glyphs = [_glyph(char, bold, mono) for char in text]
    if None in glyphs:
        with missing_glyphs_allowed():
            return _TEXT_TO_PATH.get_text_width_height_descent(
                text, _prop(size, bold, mono), ismath=False)
    if not glyphs:
        return 0.0, 0.0, 0.0
    pen = left = right = 0.0
    low, high = float("inf"), float("-inf")
    previous = None
    for index, advance, (x0, y0, x1, y1) in glyphs:  # type: ignore[misc]
        if previous is not None:
            pen += _kerning(previous, index, bold, mono)
        left, right = min(left, pen + x0), max(right, pen + x1)
        low, high = min(low, y0), max(high, y1)
        pen, previous = pen + advance, index
    return (max(right, pen) - left) * size, (high - low) * size, max(-low, 0.0) * size


@lru_cache(maxsize=65536)
def text_width_in(text: str, size: float, bold: bool, mono: bool) -> float:
    return _measure(text, size, bold, mono)[0] / 72.0


@lru_cache(maxsize=65536)
def line_extent_in(text: str, size: float, bold: bool = False) -> tuple[float, float, float]:
    """(width, height, descent) of one line of DejaVu Sans in inches, as the SVG backend
    measures it, so a layout made from it is the drawing's."""
    width, height, descent = _measure(text, size, bold, False)
    return width / 72.0, height / 72.0, descent / 72.0


@lru_cache(maxsize=4)
def font_lines(bold: bool) -> tuple[float, float, float]:
    """DejaVu Sans's typographic ascent, descent and line gap in em (OS/2 table): what
    matplotlib's text layout takes as the least height of a line."""
    font = get_font(findfont(_prop(10.0, bold, False)))
    os2, head = font.get_sfnt_table("OS/2"), font.get_sfnt_table("head")
    em = float(head["unitsPerEm"])
    return (os2["sTypoAscender"] / em, -os2["sTypoDescender"] / em, os2["sTypoLineGap"] / em)


def block_size_in(text: str, size: float, bold: bool = False,
                  linespacing: float | str | None = None) -> tuple[float, float, float]:
    """(width, height, descent of the last line) of a text block (lines split at newlines)
    in inches, unrotated: matplotlib's Text layout (3.10+) with its font metrics, for a
    layout that places text without drawing it. ``linespacing`` None or "normal" spaces
    lines by the font's own metrics, a number by that many font heights."""
    ascent_em, descent_em, gap_em = font_lines(bold)
    em = size / 72.0
    lines = text.split("\n")
    normal = linespacing is None or linespacing == "normal"
    gap = gap_em * em if len(lines) > 1 else 0.0
    width = height = descent = 0.0
    for line in lines:
        w, h, d = line_extent_in(line, size, bold) if line else (0.0, 0.0, 0.0)
        a = h - d
        if normal:
            a, d = max(a, ascent_em * em) + gap / 2, max(d, descent_em * em) + gap / 2
        else:
            leading = float(linespacing) * (ascent_em + descent_em) * em - (a + d)
            a, d = a + leading / 2, d + leading / 2
        width, height, descent = max(width, w), height + a + d, d
    return width, height, descent


def wrap(text: str, width: float, size: float, bold: bool = False,
          mono: bool = False) -> list[str]:
    """Greedy word wrap to ``width`` inches, measured with the real font metrics.

    A line's width is the sum of its words' and spaces' widths (each measured once and
    cached); kerning across words is ignored, hence the 2% slack. A word longer than the
    line (a key path, a hash) is hard-wrapped by :func:`_hard_break`. Every character is
    measured a bounded number of times, so the cost is linear in the text's length.
    """
    width *= 0.98

    def measure(s: str) -> float:
        return text_width_in(s, size, bold, mono)

    space = measure(" ")
    lines: list[str] = []
    for para in plain(text).split("\n"):
        cur, cur_w = "", 0.0
        for word in para.split(" "):
            word_w = measure(word)
            if cur and cur_w + space + word_w <= width:
                cur, cur_w = f"{cur} {word}", cur_w + space + word_w
                continue
            if cur:
                lines.append(cur)
            if word_w > width:
                *full, word = _hard_break(word, word_w, width, measure)
                lines += full
                word_w = measure(word)
            cur, cur_w = word, word_w
        lines.append(cur)
    return lines


_BREAK_AFTER = "._/-"


def _hard_break(word: str, word_w: float, width: float,
                measure: Callable[[str], float]) -> list[str]:
    """Cut ``word`` (``word_w`` inches wide) into pieces no wider than ``width``.

    Each piece's length is guessed from the word's mean character width and checked with
    one measurement (rarely two or three when its characters are wider than the mean),
    instead of measuring every prefix: the old prefix scan was quadratic in measurements of
    linear cost, so a 3,000-character name never finished. A piece ends after ``.``, ``_``,
    ``/`` or ``-`` when one falls in its second half.
    """
    n = len(word)
    mean = max(word_w / n, 1e-9)
    pieces: list[str] = []
    start = 0
    while start < n:
        k = min(max(1, int(width / mean)), n - start)
        if start + k < n:
            cut = max(word.rfind(ch, start, start + k) for ch in _BREAK_AFTER) + 1 - start
            if cut > k // 2:
                k = cut
        while k > 1 and (piece_w := measure(word[start:start + k])) > width:
            k = max(1, min(k - 1, int(k * width / piece_w)))
        pieces.append(word[start:start + k])
        start += k
    return pieces


def clip(lines: list[str], max_lines: int) -> list[str]:
    """At most ``max_lines`` lines, the last ending in an ellipsis when lines were dropped."""
    if len(lines) <= max_lines:
        return lines
    kept = lines[:max_lines]
    kept[-1] = kept[-1][:-1].rstrip() + "…"
    return kept


def fit(text: str, width: float, size: float) -> str:
    """One line no wider than ``width`` inches at ``size`` points, with an ellipsis when cut.

    For legend labels: a count of characters does not bound a width (120 "W"s are twice as
    wide as 120 "i"s), and a legend wider than its figure collapses the constrained layout.
    """
    return clip(wrap(" ".join(plain(text).split()), width, size), 1)[0]


def shorten_line(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters (control characters and runs of white space
    as one space), with an ellipsis when cut: :func:`ftsim.format.shorten` for drawn text."""
    return shorten(" ".join(plain(text).split()), limit)
