"""Human labels of input keys ("Error-rate gap, LoRA 8B provider"), built from the schema's
per-key labels so reports never show a raw dotted key where a reader expects words."""

from __future__ import annotations

from .model import Scenario
from .schema import LABELS

__all__ = ["input_label", "key_section"]

# [options.<id>.<subtable>] -> its section in LABELS
_OPTION_SECTIONS = ("serving", "build", "maintenance")


def key_section(key: str) -> tuple[str, str] | None:
    """(section of LABELS, key name) of a full key path; None when the schema has no such key.

    ``options.<id>.<key>`` is in section "option", ``options.<id>.<subtable>.<key>`` in the
    subtable's, ``prices.<name>.<key>`` in "prices", any other ``<table>.<key>`` in its table.
    """
    parts = key.split(".")
    if parts[0] == "options" and len(parts) == 3:
        section = "option"
    elif parts[0] == "options" and len(parts) == 4 and parts[2] in _OPTION_SECTIONS:
        section = parts[2]
    elif parts[0] == "prices" and len(parts) == 3:
        section = "prices"
    elif len(parts) == 2 and parts[0] not in ("options", "prices", "metadata"):
        section = parts[0]
    else:
        return None
    if parts[-1] not in LABELS.get(section, {}):
        return None
    return section, parts[-1]


def input_label(key: str, scenario: Scenario) -> str:
    """The label of an input key: the schema's label, then the option's name (its id when the
    scenario has no such option) or the price index: "Error-rate gap, LoRA 8B provider",
    "Requests per month", "Annual price decline, gpu index".

    A key the schema does not know is returned as written (every input key has a label; a
    test walks the schema to keep it so).
    """
    found = key_section(key)
    if found is None:
        return key
    section, name = found
    label = LABELS[section][name]
    parts = key.split(".")
    if parts[0] == "options":
        option = scenario.options.get(parts[1])
        return f"{label}, {option.name if option is not None else parts[1]}"
    if parts[0] == "prices":
        return f"{label}, {parts[1]} index"
    return label
