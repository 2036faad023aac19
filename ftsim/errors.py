"""Scenario errors: every problem names its key path and the value found."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ScenarioIssue", "ScenarioError", "MAX_LINE", "one_line"]

# An error line longer than this is cut with an ellipsis: a 100,000-character value must not
# give a 100,000-character line (issue 9, item 11).
MAX_LINE = 300

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
