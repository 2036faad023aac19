"""The files of a run: the run folder (written under a temporary name, renamed when
complete), summary.json, monthly.csv, scenario.toml (the scenario file's bytes) and the
per-path file (paths.parquet or paths.csv.gz); and a finished run folder read back."""

from __future__ import annotations

from ..core.shared import pid_alive
from .files import (
    RunInfo,
    csv_text,
    monthly_csv_text,
    monthly_table,
    summary_json,
    summary_json_text,
    write_monthly_csv,
    write_summary_json,
)
from .folder import (
    RunFolder,
    atomic_path,
    atomic_write_bytes,
    atomic_write_text,
    remove_stale_partials,
)
from .paths import (
    PATHS_CSV,
    PATHS_PARQUET,
    PathsFormat,
    PathsWriter,
    WriteCancelled,
    path_column_names,
    paths_schema,
    write_paths_csv,
    write_paths_parquet,
)
from .scenario_copy import SCENARIO_COPY, scenario_copy_bytes, write_scenario_copy
from .stored import RunFolderError, StoredRun, read_path_outcomes, read_run_folder

__all__ = ["RunFolder", "remove_stale_partials", "pid_alive", "atomic_path",
           "atomic_write_bytes", "atomic_write_text", "RunInfo", "csv_text", "summary_json",
           "summary_json_text", "write_summary_json", "monthly_table", "monthly_csv_text",
           "write_monthly_csv", "PATHS_PARQUET", "PATHS_CSV", "PathsFormat", "PathsWriter",
           "WriteCancelled", "path_column_names", "paths_schema", "write_paths_parquet",
           "write_paths_csv", "SCENARIO_COPY", "scenario_copy_bytes", "write_scenario_copy",
           "RunFolderError", "StoredRun", "read_run_folder", "read_path_outcomes"]
