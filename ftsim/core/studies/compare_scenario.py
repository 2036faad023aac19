"""What changed in the scenario between two runs: the keys of the two scenario files (added,
removed, changed, each law as written), the inputs as simulated (summary.json's ``inputs``
table, which also shows ``--set`` assignments) and the run settings.

Pure: takes parsed TOML mappings and summaries, returns frozen dataclasses.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Literal

from ..summary_types import Summary

__all__ = ["KeyChange", "SettingRow", "ScenarioDiff", "toml_text", "flatten_scenario",
           "key_changes", "setting_rows", "scenario_diff"]

Change = Literal["added", "removed", "changed"]
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
# Provenance keys of a law's own table: listed as keys of their own (``<key>.source``), so a
# changed law and a changed citation show as two lines.
_PROVENANCE = ("source", "as_of")


@dataclass(frozen=True)
class KeyChange:
    """One key whose value differs: ``old`` None when added, ``new`` None when removed."""

    key: str
    old: str | None
    new: str | None

    @property
    def change(self) -> Change:
        return "added" if self.old is None else "removed" if self.new is None else "changed"


@dataclass(frozen=True)
class SettingRow:
    """A run setting (seed, paths, horizon...) in run A and run B, as text."""

    name: str
    a: str
    b: str

    @property
    def changed(self) -> bool:
        return self.a != self.b


@dataclass(frozen=True)
class ScenarioDiff:
    """The scenario's changes from run A to run B.

    ``compared`` says what ``changes`` are the diff of: the two ``scenario.toml`` copies
    (every key as written in the files), or, when a run has no copy, summary.json's inputs
    tables (``note`` says why). ``same_file``: the two files have the same sha256.
    ``simulated`` holds the inputs that differ as simulated but not in the files (a
    ``--set`` on the command line, a catalog price), empty when ``compared`` is "inputs".
    """

    compared: Literal["scenario.toml", "inputs"]
    note: str | None
    same_file: bool
    sha256_a: str
    sha256_b: str
    changes: tuple[KeyChange, ...]
    simulated: tuple[KeyChange, ...]
    settings: tuple[SettingRow, ...]


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else json.dumps(name, ensure_ascii=False)


def toml_text(value: Any) -> str:
    """A parsed TOML value written back as TOML inline text (``{ dist = "pert", min = 1 }``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return repr(value) if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {toml_text(v)}" for k, v in value.items()) + " }"
    if isinstance(value, Sequence):
        return "[" + ", ".join(toml_text(v) for v in value) + "]"
    raise TypeError(f"not a TOML value: {value!r}")


def flatten_scenario(raw: Mapping[str, Any], law_keys: frozenset[str]) -> dict[str, str]:
    """Dotted key path -> value as TOML text, for every key of a parsed scenario file.

    A table at one of ``law_keys`` (an input's distribution) or holding ``dist`` is one
    value, its ``source`` and ``as_of`` keys listed beside it; other tables are opened.
    """
    out: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping) and prefix and (prefix in law_keys or "dist" in value):
            out[prefix] = toml_text({k: v for k, v in value.items() if k not in _PROVENANCE})
            for name in _PROVENANCE:
                if name in value:
                    out[f"{prefix}.{name}"] = toml_text(value[name])
        elif isinstance(value, Mapping):
            for name, item in value.items():
                walk(f"{prefix}.{_key(name)}" if prefix else _key(name), item)
        else:
            out[prefix] = toml_text(value)

    walk("", raw)
    return out


def key_changes(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[KeyChange, ...]:
    """Keys added, removed or changed from ``old`` to ``new``: A's keys in A's order, then
    the keys only B has in B's order."""
    changes = [KeyChange(k, v, new.get(k)) for k, v in old.items() if new.get(k) != v]
    return tuple(changes + [KeyChange(k, None, v) for k, v in new.items() if k not in old])


def setting_rows(a: Summary, b: Summary) -> tuple[SettingRow, ...]:
    """The settings of the two runs that are not scenario keys as written: version, name,
    currency, paths, seed, sampler, chunk size, horizon, N, required probability, rate."""
    sa, sb = a.simulation, b.simulation
    pairs = [("ftsim version", a.ftsim_version, b.ftsim_version),
             ("scenario", a.scenario.name, b.scenario.name),
             ("scenario file", a.scenario.file or "", b.scenario.file or ""),
             ("currency", a.scenario.currency, b.scenario.currency),
             ("paths", f"{sa.paths:,}", f"{sb.paths:,}"),
             ("seed", str(sa.seed), str(sb.seed)),
             ("sampler", sa.sampler, sb.sampler),
             ("chunk size", f"{sa.chunk_size:,}", f"{sb.chunk_size:,}"),
             ("horizon (months)", str(sa.horizon_months), str(sb.horizon_months)),
             ("payback within (months)", str(sa.payback_within_months),
              str(sb.payback_within_months)),
             ("required probability", f"{sa.required_probability:g}",
              f"{sb.required_probability:g}"),
             ("discount rate a year", f"{sa.discount_rate_annual:g}",
              f"{sb.discount_rate_annual:g}")]
    return tuple(SettingRow(name, x, y) for name, x, y in pairs)


def _inputs(summary: Summary) -> dict[str, str]:
    return {row.input: row.written for row in summary.inputs}


def scenario_diff(a: Summary, b: Summary, file_a: Mapping[str, Any] | None,
                  file_b: Mapping[str, Any] | None, note: str | None = None) -> ScenarioDiff:
    """The scenario diff from run A to run B.

    ``file_a`` / ``file_b``: the runs' scenario.toml copies parsed (None when a run has
    none: the diff then falls back to the inputs tables, and ``note`` should say why).
    """
    inputs = key_changes(_inputs(a), _inputs(b))
    same = a.scenario.sha256 == b.scenario.sha256 and bool(a.scenario.sha256)
    settings = setting_rows(a, b)
    if file_a is None or file_b is None:
        return ScenarioDiff("inputs", note or "a run has no scenario.toml", same,
                            a.scenario.sha256, b.scenario.sha256, inputs, (), settings)
    law_keys = frozenset(_inputs(a)) | frozenset(_inputs(b))
    changes = key_changes(flatten_scenario(file_a, law_keys), flatten_scenario(file_b, law_keys))
    in_files = {c.key for c in changes}
    simulated = tuple(c for c in inputs if c.key not in in_files)
    return ScenarioDiff("scenario.toml", note, same, a.scenario.sha256, b.scenario.sha256,
                        changes, simulated, settings)
