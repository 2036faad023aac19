"""Text for figures and pages: wrap, clip and fit user text to a width in inches, measured
with the real font metrics (DejaVu Sans), and draw missing glyphs without a warning.

Figures use these for titles, legends and tick labels; the report's PDF typesetter uses
them for its pages (report imports figures, never the reverse).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache

from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath

from ..format import shorten

__all__ = ["plain", "missing_glyphs_allowed", "text_width_in", "wrap", "clip", "fit",
           "shorten_line"]

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


@lru_cache(maxsize=65536)
def text_width_in(text: str, size: float, bold: bool, mono: bool) -> float:
    prop = FontProperties(family="DejaVu Sans Mono" if mono else "DejaVu Sans",
                          weight="bold" if bold else "normal", size=size)
    with missing_glyphs_allowed():
        width_pt = _TEXT_TO_PATH.get_text_width_height_descent(text, prop, ismath=False)[0]
    return width_pt / 72.0


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
