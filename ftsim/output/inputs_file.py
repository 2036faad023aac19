"""Reading an ``--inputs`` file: one row per path, one numeric column per input (named by
its key path), from Parquet or CSV (optionally gzipped).

The file is read once into memory: the bytes parsed are the bytes the run folder keeps
(`audit.copy_inputs_file`), so a file edited during the run cannot make the copy differ from
what was simulated. Problems are one line each, naming the column and the row (rows are
numbered from 1, the first data row; a CSV's header is line 1, so row k is line k + 1).
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ScenarioError, ScenarioIssue

__all__ = ["InputsTable", "INPUTS_SUFFIXES", "read_inputs_file", "inputs_table"]

SOURCE = "--inputs"
INPUTS_SUFFIXES = (".parquet", ".csv", ".csv.gz")
_MAX_BYTES = 2 * 2**30  # a file larger than this is refused before it is read


@dataclass(frozen=True)
class InputsTable:
    """A read ``--inputs`` file: its bytes, and its columns as float64 arrays."""

    source: Path
    data: bytes
    columns: dict[str, np.ndarray]
    rows: int


def _error(message: str) -> ScenarioError:
    return ScenarioError.single(SOURCE, message)


def _kind(path: Path) -> str:
    name = path.name.lower()
    for suffix in INPUTS_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    raise _error(f"{path.name!r}: expected a {', '.join(INPUTS_SUFFIXES)} file")


def _arrow_table(data: bytes, kind: str, name: str) -> Any:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    try:
        if kind == ".parquet":
            return pq.read_table(pa.BufferReader(data))
        text = gzip.decompress(data) if kind == ".csv.gz" else data
        return pacsv.read_csv(io.BytesIO(text))
    except (pa.ArrowException, OSError, EOFError, gzip.BadGzipFile) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise _error(f"{name!r} is not a readable {kind[1:]} file ({reason})") from None


def _first_non_number(values: list[object]) -> int:
    """Index of the first cell that is not a number (None: empty)."""
    for i, value in enumerate(values):
        try:
            float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return i
    return -1


def _column(name: str, column: Any, issues: list[ScenarioIssue]) -> np.ndarray | None:
    """A column as float64, or None with its first problem added to ``issues``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        if column.null_count:
            row = int(pc.index(pc.is_null(column), True).as_py()) + 1
            issues.append(ScenarioIssue(SOURCE, f"column {name}, row {row:,}: empty (every "
                                                f"path needs a value; {column.null_count:,} "
                                                "empty rows)"))
            return None
        return np.asarray(column.to_numpy(), dtype=np.float64)
    cells = column.to_pylist()
    bad = _first_non_number(cells)
    if bad >= 0:
        what = "empty" if cells[bad] in (None, "") else "not a number"
        issues.append(ScenarioIssue(SOURCE, f"column {name}, row {bad + 1:,}: {what}"))
    else:
        issues.append(ScenarioIssue(SOURCE, f"column {name} holds {kind}, not numbers"))
    return None


def inputs_table(source: Path, data: bytes) -> InputsTable:
    """Parse an ``--inputs`` file's bytes (`ScenarioError`, one line per problem)."""
    table = _arrow_table(data, _kind(source), source.name)
    names = [str(n) for n in table.column_names]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise _error(f"{source.name!r}: column {duplicated[0]} appears more than once")
    if table.num_rows == 0:
        raise _error(f"{source.name!r} has no rows (one row per path is needed)")
    issues: list[ScenarioIssue] = []
    columns = {}
    for name in names:
        values = _column(name, table.column(name).combine_chunks(), issues)
        if values is not None:
            columns[name] = values
    if issues:
        raise ScenarioError(issues)
    return InputsTable(source, data, columns, int(table.num_rows))


def read_inputs_file(path: Path) -> InputsTable:
    """Read and parse an ``--inputs`` file (`ScenarioError` naming the problem)."""
    path = Path(path)
    _kind(path)
    try:
        size = path.stat().st_size
        if size > _MAX_BYTES:
            raise _error(f"{path.name!r} is {size / 2**30:.1f} GiB, above the 2 GiB limit")
        data = path.read_bytes()
    except OSError as error:
        raise _error(f"cannot read {str(path)!r}: {error.strerror or error}") from None
    return inputs_table(path, data)
