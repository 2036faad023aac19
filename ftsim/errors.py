"""Scenario errors: every problem names its key path and the value found."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ScenarioIssue", "ScenarioError"]


@dataclass(frozen=True)
class ScenarioIssue:
    """One problem in a scenario file.

    ``key_path`` is the dotted TOML path (``options.lora_8b.serving.min_gpus``),
    ``message`` says what is wrong and quotes the value found.
    """

    key_path: str
    message: str

    def __str__(self) -> str:
        return f"{self.key_path}: {self.message}" if self.key_path else self.message


class ScenarioError(Exception):
    """Raised with every problem found in a scenario, so the analyst fixes them in one pass."""

    def __init__(self, issues: Iterable[ScenarioIssue]) -> None:
        self.issues: tuple[ScenarioIssue, ...] = tuple(issues)
        super().__init__("\n".join(str(i) for i in self.issues))

    @classmethod
    def single(cls, key_path: str, message: str) -> ScenarioError:
        return cls([ScenarioIssue(key_path, message)])
