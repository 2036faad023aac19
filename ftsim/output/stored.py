"""A finished run folder read back: its summary, its scenario copy and its per-path outcomes
(``python -m ftsim compare`` reads them; an audit replay needs the same files)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.studies.compare import PathOutcomes
from ..core.summary_types import Summary
from .paths import PATHS_CSV, PATHS_PARQUET
from .scenario_copy import SCENARIO_COPY

__all__ = ["RunFolderError", "StoredRun", "read_run_folder", "read_path_outcomes"]


class RunFolderError(Exception):
    """A folder that is not a readable run folder; the message is one line."""


@dataclass(frozen=True)
class StoredRun:
    """What a run folder holds. ``scenario_toml`` is the scenario copy's bytes, None with
    ``scenario_note`` saying why (a run written before the copy existed, or a copy that no
    longer matches summary.json's sha256); ``paths_file`` is None with ``--no-paths``."""

    folder: Path
    summary: Summary
    scenario_toml: bytes | None
    scenario_note: str | None
    paths_file: Path | None


def _summary(folder: Path) -> Summary:
    path = folder / "summary.json"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RunFolderError(f"{folder}: not a run folder (no readable summary.json: "
                             f"{error.strerror or error})") from error
    try:
        return Summary.from_dict(json.loads(text))
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise RunFolderError(f"{path}: not a summary.json ftsim can read "
                             f"({type(error).__name__}: {error})") from error


def read_run_folder(folder: Path) -> StoredRun:
    """Read ``folder``'s summary.json, scenario.toml and find its per-path file.

    Raises `RunFolderError` when the folder or its summary.json cannot be read.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise RunFolderError(f"{folder}: no such run folder")
    summary = _summary(folder)
    scenario_toml: bytes | None = None
    note: str | None = None
    try:
        data = (folder / SCENARIO_COPY).read_bytes()
    except FileNotFoundError:
        note = f"no {SCENARIO_COPY} (a run written before run folders kept the scenario)"
    except OSError as error:
        note = f"{SCENARIO_COPY} unreadable ({error.strerror or error})"
    else:
        if hashlib.sha256(data).hexdigest() == summary.scenario.sha256:
            scenario_toml = data
        else:
            note = f"{SCENARIO_COPY} does not match summary.json's sha256 (edited after the run)"
    paths_file = next((folder / name for name in (PATHS_PARQUET, PATHS_CSV)
                       if (folder / name).is_file()), None)
    return StoredRun(folder, summary, scenario_toml, note, paths_file)


_COLUMNS = ["option", "path", "payback_month", "npv"]


def _read_table(paths_file: Path) -> object:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if paths_file.name.endswith(".parquet"):
        return pq.read_table(paths_file, columns=_COLUMNS)
    return pacsv.read_csv(paths_file, convert_options=pacsv.ConvertOptions(
        include_columns=_COLUMNS, strings_can_be_null=False))


def read_path_outcomes(paths_file: Path) -> dict[str, PathOutcomes]:
    """Per option: path numbers, payback month (NaN: never paid back) and NPV, ordered by
    path number, from paths.parquet or paths.csv.gz (only those four columns are read)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        table = _read_table(Path(paths_file))
    except (OSError, pa.ArrowException) as error:
        raise RunFolderError(f"{paths_file}: cannot read the per-path file "
                             f"({type(error).__name__}: {error})") from error
    assert isinstance(table, pa.Table)
    options = pc.dictionary_encode(table.column("option")).combine_chunks()
    codes = options.indices.to_numpy(zero_copy_only=False)
    path = table.column("path").to_numpy().astype(np.int64)
    payback = pc.fill_null(table.column("payback_month").cast(pa.float64()),
                           np.nan).to_numpy(zero_copy_only=False).copy()
    payback[payback == 0] = np.nan  # 0 is the simulation's "never"
    npv = table.column("npv").cast(pa.float64()).to_numpy()
    out: dict[str, PathOutcomes] = {}
    for code, option_id in enumerate(options.dictionary.to_pylist()):
        rows = np.flatnonzero(codes == code)
        rows = rows[np.argsort(path[rows], kind="stable")]
        out[str(option_id)] = PathOutcomes(path[rows], payback[rows], npv[rows])
    return out
