"""Scenario errors: every problem names its key path and the value found."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ScenarioIssue", "ScenarioError", "MAX_LINE", "MAX_SHOWN", "one_line", "show_value"]

# An error line longer than this is cut with an ellipsis: a 100,000-character value must not
# give a 100,000-character line (issue 9, item 11).
MAX_LINE = 300

# A value quoted in a message is cut to this many characters (a table or list of any size,
# nested to any depth, is walked only as far as needed).
MAX_SHOWN = 80


def _escape(ch: str) -> str:
    """A non-printable character as its Python escape (``\\n``, ``\\x00``, ``\\u2028``)."""
    return ch.encode("unicode_escape").decode("ascii")


def one_line(text: str, limit: int = MAX_LINE) -> str:
    """``text`` as one printable line of at most ``limit`` characters.

    Why: a quoted TOML key or value holding a newline (or any other line break, e.g.
    U+2028) would otherwise split one error into two lines, the second of which could
    forge another error; control characters could rewrite the terminal.
    """
    out = "".join(ch if ch.isprintable() else _escape(ch) for ch in text)
    return out if len(out) <= limit else out[: limit - 3] + "..."


def _number_text(x: float) -> str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


def _toml_parts(value: object, out: list[str], budget: list[int]) -> None:
    """Append the TOML text of ``value`` to ``out`` until ``budget[0]`` characters are spent.

    Why a budget instead of recursion to the end: a value may be a 100,000-element list or
    an array nested 900 deep (legal TOML); the message needs only its first 80 characters.
    """
    if budget[0] <= 0:
        return
    if isinstance(value, list | tuple):
        pieces: list[tuple[str, object | None]] = [("[", None)]
        for i, item in enumerate(value):
            pieces.append((", " if i else "", item))
        pieces.append(("]", None))
    elif isinstance(value, dict):
        pieces = [("{", None)]
        for i, (key, item) in enumerate(value.items()):
            key_text = key if isinstance(key, str) and key.isidentifier() else json.dumps(str(key))
            pieces.append(((", " if i else "") + key_text + " = ", item))
        pieces.append(("}", None))
    else:
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int):
            text = str(value) if abs(value) < 10**60 else f"{float(value):g}"
        elif isinstance(value, float):
            text = _number_text(value)
        elif isinstance(value, str):
            text = json.dumps(value[: budget[0] + 2])  # escapes control characters
            if len(value) > budget[0] + 2:
                text = text[:-1]  # cut: no closing quote
        else:
            text = type(value).__name__
        out.append(text[: budget[0] + 1])
        budget[0] -= len(text)
        return
    for prefix, item in pieces:
        if budget[0] <= 0:
            return
        out.append(prefix)
        budget[0] -= len(prefix)
        if item is not None:
            _toml_parts(item, out, budget)


def show_value(value: object, limit: int = MAX_SHOWN) -> str:
    """The value found, as TOML text, shortened with "..." to at most ``limit`` characters."""
    out: list[str] = []
    budget = [limit + 1]
    _toml_parts(value, out, budget)
    text = "".join(out)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class ScenarioIssue:
    """One problem in a scenario file.

    ``key_path`` is the dotted TOML path (``options.lora_8b.serving.min_gpus``),
    ``message`` says what is wrong and quotes the value found.
    """

    key_path: str
    message: str

    def __str__(self) -> str:
        """Always one line, at most MAX_LINE characters, control characters escaped."""
        text = f"{self.key_path}: {self.message}" if self.key_path else self.message
        return one_line(text)


class ScenarioError(Exception):
    """Raised with every problem found in a scenario, so the analyst fixes them in one pass."""

    def __init__(self, issues: Iterable[ScenarioIssue]) -> None:
        self.issues: tuple[ScenarioIssue, ...] = tuple(issues)
        super().__init__("\n".join(str(i) for i in self.issues))

    @classmethod
    def single(cls, key_path: str, message: str) -> ScenarioError:
        return cls([ScenarioIssue(key_path, message)])
