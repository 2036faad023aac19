"""ftsim: the probability that fine-tuning pays back against a prompted API baseline.

The public names are imported on first use (PEP 562), so ``python -m ftsim`` can set up its
process (one BLAS thread, see ``ftsim.cli``) before numpy is loaded.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .core import OptionSummary, Result, Summary, breakeven_curve, simulate, summarize, sweep
    from .core.studies.optimize import optimize_policies
    from .core.studies.wait import wait_analysis
    from .core.voi_types import ValueOfInformation
    from .errors import ScenarioError, ScenarioIssue
    from .scenario import Scenario, load_scenario, parse_scenario

_PUBLIC = {
    "OptionSummary": "ftsim.core", "Result": "ftsim.core", "Summary": "ftsim.core",
    "breakeven_curve": "ftsim.core", "simulate": "ftsim.core", "summarize": "ftsim.core",
    "sweep": "ftsim.core", "optimize_policies": "ftsim.core.studies.optimize",
    "wait_analysis": "ftsim.core.studies.wait", "ValueOfInformation": "ftsim.core.voi_types",
    "ScenarioError": "ftsim.errors", "ScenarioIssue": "ftsim.errors",
    "Scenario": "ftsim.scenario", "load_scenario": "ftsim.scenario",
    "parse_scenario": "ftsim.scenario",
}

__all__ = ["__version__", "OptionSummary", "Result", "Scenario", "ScenarioError", "ScenarioIssue",
           "Summary", "ValueOfInformation", "breakeven_curve", "load_scenario",
           "optimize_policies", "parse_scenario", "simulate", "summarize", "sweep",
           "wait_analysis"]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'ftsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
