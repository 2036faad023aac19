"""Scenario file (TOML) -> frozen dataclasses with every default applied and every rule checked.

``model`` holds the data model, ``schema`` what each key may hold (tables; ``ranges`` their
hard and plausible ranges), ``checks`` the key-level checks, ``parser`` the walk over the
file's tables, ``load`` the entry points, ``labels`` the human labels of input keys and
``reference`` the docs' key tables.
"""

from __future__ import annotations

from .labels import input_label
from .load import load_scenario, parse_override, parse_scenario, scenario_from
from .model import (
    BuildSpec,
    Correlation,
    Input,
    OptionSpec,
    Pilot,
    PriceIndexSpec,
    Scenario,
    ServingSpec,
    VoiGroup,
)
from .schema import ALLOWED_RANGES, COUNT_KEYS

__all__ = [
    "Input",
    "PriceIndexSpec",
    "ServingSpec",
    "BuildSpec",
    "OptionSpec",
    "Correlation",
    "VoiGroup",
    "Pilot",
    "Scenario",
    "COUNT_KEYS",
    "ALLOWED_RANGES",
    "load_scenario",
    "parse_scenario",
    "parse_override",
    "scenario_from",
    "input_label",
]
