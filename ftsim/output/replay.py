"""A run folder read back for an audit replay: the simulated scenario rebuilt from its copy
and the recorded overrides, supplied inputs and stress bands, with what has changed since
the run; and the stored per-path file compared with a replayed result, column by column.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..core.replay import Difference, column_difference
from ..core.result import Result
from ..core.studies.stress import stressed
from ..core.supplied import SuppliedInputs, with_supplied
from ..scenario import Scenario, parse_override, parse_scenario
from .audit import RunRecord, file_sha256
from .inputs_file import inputs_table
from .paths import _csv_float32_columns, path_column_names
from .stored import RunFolderError, StoredRun, read_run_folder

__all__ = ["Rebuilt", "ReplayRefused", "rebuild", "per_path_differences", "catalog_note"]

_CATALOG = re.compile(r"genai-prices [0-9][^\s,;)]*")


class ReplayRefused(Exception):
    """The run cannot be replayed as simulated (one line): ``altered`` when the run folder's
    own files no longer match their recorded hashes (an audit failure), else something
    needed is missing."""

    def __init__(self, message: str, *, altered: bool = False) -> None:
        super().__init__(message)
        self.altered = altered


@dataclass(frozen=True)
class Rebuilt:
    """What a replay runs: the scenario as simulated, the run's settings, the stored
    summary.json dict and record, and notes on what changed since (one line each;
    ``changed`` lists those that make an identical replay impossible)."""

    stored: StoredRun
    summary_dict: dict[str, Any]
    record: RunRecord | None
    scenario: Scenario
    paths: int
    seed: int
    sampler: str
    chunk_size: int
    precision_target: float | None
    notes: tuple[str, ...]
    changed: tuple[str, ...]


def _scenario_notes(stored: StoredRun, record: RunRecord | None) -> list[str]:
    """The copy's hash and the original file's state (unchanged, changed, gone)."""
    sha = stored.summary.scenario.sha256
    notes = [f"scenario.toml: matches summary.json's sha256 ({sha[:12]}...)"]
    path = None if record is None else record.scenario_path
    if path is None:
        return notes + ["original scenario file: not recorded (a run made before replay)"]
    try:
        now = file_sha256(Path(path))
    except FileNotFoundError:
        return notes + [f"original scenario file {path}: no longer exists"]
    except OSError as error:
        return notes + [f"original scenario file {path}: unreadable ({error.strerror})"]
    if now == sha:
        return notes + [f"original scenario file {path}: unchanged"]
    return notes + [f"original scenario file {path}: CHANGED since the run (sha256 "
                    f"{now[:12]}..., was {sha[:12]}...); replaying the run folder's copy"]


def _data_file_changes(record: RunRecord) -> list[str]:
    changes = []
    for data in record.data_files:
        try:
            now = file_sha256(Path(data.path))
        except OSError:
            changes.append(f"data file {data.file} ({data.path}): missing since the run")
            continue
        if now != data.sha256:
            changes.append(f"data file {data.file} ({data.path}): CHANGED since the run "
                           f"(sha256 {now[:12]}..., was {data.sha256[:12]}...)")
    return changes


def catalog_note(summary_dict: dict[str, Any], scenario: Scenario) -> str | None:
    """Which genai-prices catalog the run's prices came from, against the one now (None
    when the run took no price from the catalog)."""
    then = sorted({m for row in summary_dict.get("inputs", ())
                   for m in _CATALOG.findall(str(row.get("source") or ""))})
    if not then:
        return None
    now = sorted({m for item in scenario.all_inputs().values()
                  for m in _CATALOG.findall(item.source or "")})
    if then == now:
        return f"catalog prices: {', '.join(now)}, as at the run"
    return (f"catalog prices: {', '.join(then)} at the run, {', '.join(now) or 'none'} now "
            "(the prices may differ)")


def _supplied(folder: Path, record: RunRecord, scenario: Scenario, paths: int) -> Scenario:
    info = record.inputs_file
    assert info is not None
    copy = folder / info.file
    try:
        data = copy.read_bytes()
    except OSError as error:
        raise ReplayRefused(f"{copy}: the supplied inputs file is missing from the run "
                            f"folder ({error.strerror or error})") from None
    if hashlib.sha256(data).hexdigest() != info.sha256:
        raise ReplayRefused(f"{copy}: edited after the run (its sha256 differs from "
                            "summary.json's simulation.inputs_file.sha256)", altered=True)
    table = inputs_table(copy, data)
    label = Path(info.source).name
    return with_supplied(scenario, SuppliedInputs(label, table.columns, table.rows), paths)


def _parse(stored: StoredRun, record: RunRecord | None) -> Scenario:
    """The scenario copy parsed as the run loaded its file (same name, folder, overrides)."""
    assert stored.scenario_toml is not None
    summary = stored.summary
    original = Path(record.scenario_path) if record and record.scenario_path else \
        Path(summary.scenario.file or "scenario.toml")
    overrides = [parse_override(text) for text in (record.overrides if record else ())]
    scenario = parse_scenario(stored.scenario_toml.decode("utf-8-sig"), file=original,
                              base_dir=original.parent, overrides=overrides,
                              allow_files_outside=bool(record and record.allow_files_outside))
    return replace(scenario, sha256=summary.scenario.sha256)


def rebuild(folder: Path) -> Rebuilt:
    """Read a run folder and rebuild the scenario it simulated.

    Raises `RunFolderError` (not a run folder), `ReplayRefused` (no or an edited copy, a
    missing or edited inputs copy) and `ScenarioError` (the copy no longer loads, e.g. a
    data file is gone).
    """
    stored = read_run_folder(Path(folder))
    summary_dict = json.loads((stored.folder / "summary.json").read_text(encoding="utf-8"))
    if stored.scenario_toml is None:
        altered = "does not match" in (stored.scenario_note or "")
        raise ReplayRefused(f"{stored.folder}: cannot replay: {stored.scenario_note}",
                            altered=altered)
    record = RunRecord.from_summary(summary_dict)
    notes = _scenario_notes(stored, record)
    changed = [] if record is None else _data_file_changes(record)
    simulation = stored.summary.simulation
    scenario = _parse(stored, record)
    if record is not None and record.inputs_file is not None:
        scenario = _supplied(stored.folder, record, scenario, simulation.paths)
    if record is not None and record.stress:
        scenario = stressed(scenario, record.stress)
    if record is None:
        notes.append("overrides: not recorded (a run made before replay): replayed without")
    else:
        notes.append("overrides: " + (", ".join(record.overrides) or "none"))
    catalog = catalog_note(summary_dict, scenario)
    if catalog is not None:
        (notes if catalog.endswith("as at the run") else changed).append(catalog)
    return Rebuilt(stored, summary_dict, record, scenario, simulation.paths, simulation.seed,
                   simulation.sampler, simulation.chunk_size, simulation.precision_target,
                   tuple(notes), tuple(changed))


# -- per-path file ------------------------------------------------------------------------


def _parquet_columns(file: Any, names: list[str]) -> dict[str, np.ndarray]:
    """Columns of an open ``pyarrow.parquet.ParquetFile`` as arrays."""
    table = file.read(columns=names)
    out = {}
    for name in names:
        column = table.column(name)
        if name == "payback_month":  # null = never paid back, 0 in the result
            column = column.fill_null(0)
        out[name] = column.to_numpy()
    return out


def per_path_differences(paths_file: Path, result: Result) -> tuple[list[Difference], int]:
    """Compare every column of the stored per-path file with the replayed result, option
    by option (``paths.parquet``: bit for bit; ``paths.csv.gz``: inputs written at float32
    precision are compared at that precision, as they were written). Returns the
    differences and the number of values compared."""
    import pyarrow.parquet as pq

    if not paths_file.name.endswith(".parquet"):
        return _csv_differences(paths_file, result)
    try:
        parquet = pq.ParquetFile(paths_file)
        options = parquet.read(columns=["option"]).column("option")
        names = [n for n in parquet.schema_arrow.names if n != "option"]
    except Exception as error:  # noqa: BLE001 - any unreadable file is one finding
        raise RunFolderError(f"{paths_file}: unreadable ({type(error).__name__})") from error
    labels = np.asarray(options.to_numpy(zero_copy_only=False))
    rows = {option_id: np.flatnonzero(labels == option_id) for option_id in result.options}
    per_option = {option_id: result.path_columns(option_id) for option_id in result.options}
    differences: list[Difference] = []
    compared = 0
    for name in names:  # one column in memory at a time
        stored_all = _parquet_columns(parquet, [name])[name]
        for option_id, columns in per_option.items():
            if name not in columns:
                continue  # another option's input: null on this option's rows
            stored = stored_all[rows[option_id]]
            replayed = np.asarray(columns[name]).astype(stored.dtype, copy=False)
            found = column_difference(f"{option_id}: {name}", stored, replayed)
            compared += stored.size
            if found is not None:
                differences.append(found)
    missing = [n for n in path_column_names(per_option) if n not in names]
    differences += [Difference(f"column {n}", "(absent)", "(present)") for n in missing]
    return differences, compared


def _csv_differences(paths_file: Path, result: Result) -> tuple[list[Difference], int]:
    import pyarrow.csv as pacsv

    table = pacsv.read_csv(paths_file)
    labels = np.asarray(table.column("option").to_numpy(zero_copy_only=False))
    per_option = {o: result.path_columns(o) for o in result.options}
    as_float32 = _csv_float32_columns(path_column_names(per_option), per_option)
    differences, compared = [], 0
    for option_id, columns in per_option.items():
        rows = np.flatnonzero(labels == option_id)
        for name, values in columns.items():
            stored_column = table.column(name)
            if name == "payback_month":
                stored_column = stored_column.fill_null(0)
            stored = np.asarray(stored_column.to_numpy(zero_copy_only=False))[rows]
            replayed = np.asarray(values)
            if name in as_float32:
                stored, replayed = stored.astype(np.float32), replayed.astype(np.float32)
            else:
                stored = stored.astype(replayed.dtype)
            found = column_difference(f"{option_id}: {name}", stored, replayed)
            compared += stored.size
            if found is not None:
                differences.append(found)
    return differences, compared

