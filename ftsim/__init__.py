"""ftsim: the probability that fine-tuning pays back against a prompted API baseline."""

from __future__ import annotations

__version__ = "0.1.1"

from .errors import ScenarioError, ScenarioIssue  # noqa: E402
from .result import Result  # noqa: E402
from .runner import simulate  # noqa: E402
from .scenario import Scenario, load_scenario  # noqa: E402

__all__ = ["__version__", "Result", "Scenario", "ScenarioError", "ScenarioIssue",
           "load_scenario", "simulate"]
