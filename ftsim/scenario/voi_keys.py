"""[voi] and [[pilots]]: what the value of information is asked about (issue 12; a mixin of
the parser). ``[voi] enabled`` switches the estimates off, ``[[voi.groups]]`` names random
inputs valued together, ``[[pilots]]`` names studies that measure one input (a fixed one
is accepted and worth nothing to learn)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..format import show_value as _show
from ..format import suggest as _suggest
from .checks import _SchemaReader
from .model import Input, Pilot, VoiGroup
from .schema import (
    _WORLD_HOMES,
    MAX_GROUP_INPUTS,
    MAX_PILOTS,
    MAX_VOI_GROUPS,
    PILOT_PLAIN,
    REQUIRED,
    VOI_GROUP_PLAIN,
    VOI_PLAIN,
)

__all__: list[str] = []


@dataclass(frozen=True)
class VoiSettings:
    """The scenario fields of [voi] and [[pilots]], named as in `Scenario`."""

    voi_enabled: bool = True
    voi_groups: tuple[VoiGroup, ...] = ()
    pilots: tuple[Pilot, ...] = ()

    def as_fields(self) -> dict[str, Any]:
        return {"voi_enabled": self.voi_enabled, "voi_groups": self.voi_groups,
                "pilots": self.pilots}


class _VoiReader(_SchemaReader):
    """The [voi] and [[pilots]] part of the parser (`parser._Parser` sets the two sets)."""

    # numeric keys written but unusable, and tables whose keys could not be read (both
    # already reported): entries naming them stay silent
    broken: set[str]
    unread_prefixes: list[str]

    def voi(self, raw: Mapping[str, object], inputs: Mapping[str, Input]) -> VoiSettings:
        """[voi] and [[pilots]]; the defaults (on, no groups, no pilots) when not written."""
        table = self.table(raw, "voi", "voi") or {}
        self.check_keys(table, "voi", (*VOI_PLAIN, "groups"), homes=_WORLD_HOMES)
        self.metadata(table, "voi")
        enabled = self.plain(table, "voi", "enabled", "boolean", True)
        groups = [(i, g) for i, entry in enumerate(self.entries(table, "groups", "voi.groups",
                                                                MAX_VOI_GROUPS))
                  if (g := self.group(entry, f"voi.groups[{i}]", inputs)) is not None]
        pilots = [(i, p) for i, entry in enumerate(self.entries(raw, "pilots", "pilots",
                                                                MAX_PILOTS))
                  if (p := self.pilot(entry, f"pilots[{i}]", inputs)) is not None]
        self.unique_names([(i, g.name) for i, g in groups], "voi.groups")
        self.unique_names([(i, p.name) for i, p in pilots], "pilots")
        return VoiSettings(enabled is not False, tuple(g for _, g in groups),
                           tuple(p for _, p in pilots))

    def entries(self, parent: Mapping[str, object], key: str, path: str,
                most: int) -> list[dict[str, object]]:
        """An array of tables ``[[path]]`` of at most ``most`` entries ([] after an issue)."""
        if key not in parent:
            return []
        value = parent[key]
        if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
            self.issue(path, f"expected an array of tables [[{path}]], got {_show(value)}")
            return []
        if len(value) > most:
            self.issue(path, f"at most {most} entries, got {len(value)}")
            return []
        return value

    def unique_names(self, names: list[tuple[int, str]], path: str) -> None:
        """One issue per entry whose name an earlier entry has (``names``: (index, name))."""
        seen: dict[str, int] = {}
        for i, name in names:
            if name in seen:
                self.issue(f"{path}[{i}].name", f"duplicate name {_show(name)}, already given "
                                                f"in {path}[{seen[name]}]")
            seen.setdefault(name, i)

    def known_input(self, name: object, path: str, inputs: Mapping[str, Input]) -> str | None:
        """``name`` if it is the full key path of an input; None after an issue (or silently
        when the key it names is already reported). A fixed input is accepted: learning it
        is worth nothing (value 0), and a --set or a sweep that fixes an input a pilot
        measures must not make the scenario invalid."""
        if not isinstance(name, str) or name in self.broken or \
                name.startswith(tuple(self.unread_prefixes)):
            return None
        if name in inputs:
            return name
        randoms = [k for k, v in inputs.items() if v.is_random]
        hint = _suggest(name, randoms) or _suggest(name, inputs)
        self.issue(path, f"unknown input {_show(name)}; name a random input by its full key "
                         f"path{hint}")
        return None

    def group(self, entry: Mapping[str, object], path: str,
              inputs: Mapping[str, Input]) -> VoiGroup | None:
        """One [[voi.groups]] entry: a name and 1..MAX_GROUP_INPUTS distinct inputs."""
        self.check_keys(entry, path, (*VOI_GROUP_PLAIN, "inputs"))
        source, as_of = self.metadata(entry, path)
        name = self.plain(entry, path, "name", "string", REQUIRED)
        keys = entry.get("inputs")
        if "inputs" not in entry:
            self.issue(f"{path}.inputs", "missing required key")
            return None
        if not isinstance(keys, list) or not 1 <= len(keys) <= MAX_GROUP_INPUTS or \
                not all(isinstance(k, str) for k in keys):
            self.issue(f"{path}.inputs", f"expected a list of 1 to {MAX_GROUP_INPUTS} key paths "
                                         f"of inputs, got {_show(keys)}")
            return None
        complete = name is not None
        for i, key in enumerate(keys):
            at = f"{path}.inputs[{i}]"
            if key in keys[:i]:
                self.issue(at, f"{_show(key)} is listed twice")
                complete = False
            elif self.known_input(key, at, inputs) is None:
                complete = False
        if not complete:
            return None
        return VoiGroup(str(name), tuple(keys), source, as_of)

    def pilot(self, entry: Mapping[str, object], path: str,
              inputs: Mapping[str, Input]) -> Pilot | None:
        """One [[pilots]] entry: name, the input it measures, examples, noise per example,
        cost and duration, each checked against its range."""
        self.check_keys(entry, path, PILOT_PLAIN)
        source, as_of = self.metadata(entry, path)
        values = {key: self.plain(entry, path, key, kind, default)
                  for key, (kind, default) in PILOT_PLAIN.items()}
        measured = self.known_input(values["input"], f"{path}.input", inputs)
        if measured is None or any(v is None for v in values.values()):
            return None
        return Pilot(name=str(values["name"]), input=measured, examples=int(values["examples"]),
                     noise_sd_per_example=float(values["noise_sd_per_example"]),
                     cost=float(values["cost"]),
                     duration_months=float(values["duration_months"]),
                     source=source, as_of=as_of)
