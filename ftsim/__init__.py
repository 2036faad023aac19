"""ftsim: the probability that fine-tuning pays back against a prompted API baseline."""

from __future__ import annotations

from ._version import __version__
from .core import OptionSummary, Result, Summary, breakeven_curve, simulate, summarize, sweep
from .errors import ScenarioError, ScenarioIssue
from .scenario import Scenario, load_scenario, parse_scenario

__all__ = ["__version__", "OptionSummary", "Result", "Scenario", "ScenarioError", "ScenarioIssue",
           "Summary",
           "breakeven_curve", "load_scenario", "parse_scenario", "simulate", "summarize",
           "sweep"]
