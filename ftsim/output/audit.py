"""What summary.json records about how a run was made, beyond its `Summary`: the scenario
file's path, the command line's overrides, the empirical data files read (with their
hashes), the supplied inputs file (copied into the run folder) and any stress bands.

Why: with the run folder's scenario.toml these are everything ``python -m ftsim replay``
needs to rebuild the simulated scenario, and what tells it that something it reads has
changed since (a data file's hash, the copy's hash).
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.studies.stress import StressBand
from .folder import atomic_path

__all__ = ["DataFile", "InputsFile", "RunRecord", "INPUTS_COPY_STEM", "file_sha256",
           "data_files", "copy_inputs_file"]

INPUTS_COPY_STEM = "inputs"  # the supplied inputs file's copy: inputs.parquet or inputs.csv


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class DataFile:
    """An empirical ``file = ...`` the scenario read: as written, where it resolved, hash."""

    file: str
    path: str
    sha256: str

    def to_dict(self) -> dict[str, str]:
        return {"file": self.file, "path": self.path, "sha256": self.sha256}


@dataclass(frozen=True)
class InputsFile:
    """The ``--inputs`` file: its copy's name in the run folder, the path given, its
    hash (the copy's and the original's bytes), rows and columns."""

    file: str
    source: str
    sha256: str
    rows: int
    columns: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "source": self.source, "sha256": self.sha256,
                "rows": self.rows, "columns": list(self.columns)}


@dataclass(frozen=True)
class RunRecord:
    """How a run was made (the command line's part of summary.json)."""

    scenario_path: str | None  # absolute path of the scenario file loaded
    overrides: tuple[str, ...] = ()  # "key=TOML value", in the order applied
    allow_files_outside: bool = False
    data_files: tuple[DataFile, ...] = ()
    inputs_file: InputsFile | None = None
    stress: tuple[StressBand, ...] = ()

    def simulation_keys(self) -> dict[str, Any]:
        """Keys of summary.json's ``simulation`` table: ``overrides`` always, the others
        only when they apply."""
        out: dict[str, Any] = {"overrides": list(self.overrides)}
        if self.allow_files_outside:
            out["allow_files_outside"] = True
        if self.data_files:
            out["data_files"] = [f.to_dict() for f in self.data_files]
        if self.inputs_file is not None:
            out["inputs_file"] = self.inputs_file.to_dict()
        if self.stress:
            out["stress"] = [band.to_dict() for band in self.stress]
        return out

    @classmethod
    def from_summary(cls, data: Mapping[str, Any]) -> RunRecord | None:
        """The record of a summary.json dict; None for a run written before records."""
        simulation = data.get("simulation", {})
        if "overrides" not in simulation:
            return None
        inputs = simulation.get("inputs_file")
        return cls(
            scenario_path=data.get("scenario", {}).get("path"),
            overrides=tuple(simulation["overrides"]),
            allow_files_outside=bool(simulation.get("allow_files_outside", False)),
            data_files=tuple(DataFile(**f) for f in simulation.get("data_files", ())),
            inputs_file=None if inputs is None else InputsFile(
                inputs["file"], inputs["source"], inputs["sha256"], int(inputs["rows"]),
                tuple(inputs["columns"])),
            stress=tuple(StressBand(b["input"], float(b["low"]), float(b["high"]))
                         for b in simulation.get("stress", ())))


def _set(raw: dict[str, Any], key_path: str, value: object) -> None:
    """Set a dotted key in a parsed TOML dict (as the loader applies ``--set``)."""
    node = raw
    parts = key_path.split(".")
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            return  # the loader refused this override: nothing to follow
        node = child
    node[parts[-1]] = value


def _file_entries(value: object) -> Iterator[str]:
    """Every ``file = "..."`` of a table that names a column (an empirical law)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("file"), str) and "column" in node:
                yield node["file"]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def data_files(scenario_text: str, overrides: Sequence[tuple[str, object]],
               base_dir: Path) -> tuple[DataFile, ...]:
    """The empirical data files the scenario (with its overrides) reads, each hashed, in
    the order written; files that cannot be read are left out (the loader refused them)."""
    try:
        raw = tomllib.loads(scenario_text)
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        return ()
    for key_path, value in overrides:
        _set(raw, key_path, value)
    found: dict[str, DataFile] = {}
    for written in _file_entries(raw):
        path = Path(written)
        resolved = (path if path.is_absolute() else base_dir / path).resolve()
        if written in found or not resolved.is_file():
            continue
        try:
            found[written] = DataFile(written, str(resolved), file_sha256(resolved))
        except OSError:
            continue
    return tuple(sorted(found.values(), key=lambda f: f.file))


def copy_inputs_file(run_dir: Path, source: Path, data: bytes, rows: int,
                     columns: Sequence[str]) -> InputsFile:
    """Write the ``--inputs`` file's bytes, as read for the run, into the run folder
    (``inputs.parquet``, ``inputs.csv`` or ``inputs.csv.gz``) and describe them."""
    suffix = ".csv.gz" if source.name.lower().endswith(".csv.gz") else source.suffix.lower()
    name = INPUTS_COPY_STEM + suffix
    with atomic_path(Path(run_dir) / name) as tmp:
        Path(tmp).write_bytes(data)
    return InputsFile(name, str(source), hashlib.sha256(data).hexdigest(), rows,
                      tuple(columns))
