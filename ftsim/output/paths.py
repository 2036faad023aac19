"""The per-path file of a run: paths.parquet (default) or paths.csv.gz, written on a
background thread while the run goes on, through a temporary name, and cancellable."""

from __future__ import annotations

import gzip
import os
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .._version import __version__
from ..core.result import PATH_OUTCOMES
from .folder import atomic_path

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

    from ..core.result import Result

__all__ = ["PATHS_PARQUET", "PATHS_CSV", "PathsFormat", "WriteCancelled", "path_column_names",
           "paths_schema", "write_paths_parquet", "write_paths_csv", "PathsWriter"]

PATHS_PARQUET, PATHS_CSV = "paths.parquet", "paths.csv.gz"
PathsFormat = Literal["parquet", "csv"]
Columns = Mapping[str, np.ndarray]

_MONEY = frozenset({"npv", "upfront", "tco_baseline", "tco_option"})
# Integer columns and the narrow type each is written as: path numbers stay below the
# command line's 1e9 paths; payback months and retrains (at most one a month) stay below
# the int16 horizon cap `Result.allocate` enforces.
_NARROW_INTS: dict[str, type[np.signedinteger]] = {
    "path": np.int32, "payback_month": np.int16, "retrains": np.int16}
_F32 = np.finfo(np.float32)


class WriteCancelled(Exception):
    """The paths writer was told to stop (the run is being abandoned)."""


def path_column_names(per_option: Mapping[str, Columns]) -> list[str]:
    """The file's columns after ``option``: path, the union of the options' inputs in
    first-seen order (an option's own as ``option.<key>``), then the outcomes."""
    names: list[str] = []
    for columns in per_option.values():
        names += [name for name in columns if name not in names]
    return [n for n in names if n not in PATH_OUTCOMES] + [n for n in PATH_OUTCOMES if n in names]


def _columns_by_option(result: Result) -> dict[str, Columns]:
    return {option_id: result.path_columns(option_id) for option_id in result.options}


def _narrow(name: str, values: np.ndarray) -> np.ndarray:
    """``values`` as the column's narrow integer type, refusing any value it cannot hold."""
    dtype = _NARROW_INTS[name]
    info = np.iinfo(dtype)
    if values.size and (values.min() < info.min or values.max() > info.max):
        raise ValueError(f"{name}: values outside {np.dtype(dtype).name} cannot be written")
    return values.astype(dtype, copy=False)


# -- Parquet --------------------------------------------------------------------------------


def paths_schema(result: Result, per_option: Mapping[str, Columns] | None = None) -> pa.Schema:
    """paths.parquet's columns and types, with the run's identity as file metadata.

    Floats keep the dtype the simulation holds them in (float64 today), so the file reads
    back bit for bit; integers are narrowed (`_NARROW_INTS`); ``payback_month`` is null
    when a path never pays back. Money columns carry their currency as field metadata.
    """
    import pyarrow as pa  # lazy: pyarrow is heavy to import

    per_option = _columns_by_option(result) if per_option is None else per_option
    currency = result.scenario.currency
    fields = [pa.field("option", pa.string(), nullable=False)]
    for name in path_column_names(per_option):
        if name in _NARROW_INTS:
            kind = pa.from_numpy_dtype(_NARROW_INTS[name])
        elif name == "abandoned":
            kind = pa.bool_()
        else:
            kind = pa.from_numpy_dtype(np.result_type(
                *(columns[name].dtype for columns in per_option.values() if name in columns)))
        unit = {"payback_month": "month", "retrains": "count"}.get(
            name, currency if name in _MONEY else None)
        fields.append(pa.field(name, kind, nullable=name == "payback_month"
                               or any(name not in columns for columns in per_option.values()),
                               metadata={"unit": unit} if unit else None))
    return pa.schema(fields, metadata=_file_metadata(result))


def _file_metadata(result: Result) -> dict[str, str]:
    scenario = result.scenario
    return {"ftsim_version": __version__, "scenario_name": scenario.name,
            "scenario_sha256": scenario.sha256, "seed": str(result.seed),
            "sampler": result.sampler, "chunk_size": str(result.chunk_size),
            "paths": str(result.n_paths), "horizon_months": str(scenario.horizon_months),
            "payback_within_months": str(scenario.payback_within_months),
            "currency": scenario.currency}


def _arrow_array(kind: pa.DataType, values: np.ndarray, valid: np.ndarray | None = None
                 ) -> pa.Array:
    """``values`` as an Arrow array over the same memory (bools packed to bits), with
    ``valid`` as its validity bitmap. Built from buffers: ``pa.array`` of a NumPy array
    would import pandas (0.6 s) on a run that has no other use for it."""
    import pyarrow as pa

    def bits(flags: np.ndarray) -> pa.Buffer:
        return pa.py_buffer(np.packbits(flags, bitorder="little"))

    data = bits(values) if values.dtype == np.bool_ else pa.py_buffer(
        np.ascontiguousarray(values))
    return pa.Array.from_buffers(kind, len(values), [None if valid is None else bits(valid), data])


def _repeated_text(text: str, n: int) -> pa.Array:
    """A string column holding ``text`` n times (for the ``option`` column)."""
    import pyarrow as pa

    encoded = text.encode("utf-8")
    offsets = np.arange(n + 1, dtype=np.int32) * len(encoded)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets),
                                                  pa.py_buffer(encoded * n)])


def _parquet_batch(schema: pa.Schema, option_id: str, columns: Columns, start: int,
                   stop: int) -> pa.RecordBatch:
    """Rows ``start:stop`` of one option; float columns are zero-copy views of the result."""
    import pyarrow as pa

    arrays = [_repeated_text(option_id, stop - start)]
    for field in list(schema)[1:]:
        if field.name not in columns:  # another option's input: null
            arrays.append(pa.nulls(stop - start, field.type))
            continue
        part = columns[field.name][start:stop]
        if field.name in _NARROW_INTS:
            narrow = _narrow(field.name, part)
            valid = narrow != 0 if field.name == "payback_month" else None
            arrays.append(_arrow_array(field.type, narrow, valid))
        else:
            arrays.append(_arrow_array(field.type, part.astype(
                field.type.to_pandas_dtype(), copy=False)))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def write_paths_parquet(run_dir: Path, result: Result, *, rows_per_group: int = 131_072,
                        cancel: threading.Event | None = None) -> Path:
    """paths.parquet: one row per option and path (`paths_schema`), zstd-compressed.

    Floats are stored without dictionary encoding and byte-stream-split (simulated values
    are almost all distinct: 42 MB instead of 57 MB for 100,000 support_bot paths). Each
    row group of ``rows_per_group`` rows is encoded and written in turn (Arrow releases the
    GIL), so memory stays at about one row group; setting ``cancel`` stops it after the
    group in hand (`WriteCancelled`; the partial file is removed).
    """
    import pyarrow.parquet as pq  # lazy: pyarrow is heavy to import

    path = Path(run_dir) / PATHS_PARQUET
    per_option = _columns_by_option(result)
    schema = paths_schema(result, per_option)
    floats = [f.name for f in schema if f.type.id in _float_type_ids()]
    with atomic_path(path) as tmp, pq.ParquetWriter(
            tmp, schema, compression="zstd", use_dictionary=["option"],
            use_byte_stream_split=floats) as writer:
        for option_id, columns in per_option.items():
            for start in range(0, result.n_paths, rows_per_group):
                if cancel is not None and cancel.is_set():
                    raise WriteCancelled(f"{PATHS_PARQUET}: writing stopped")
                stop = min(start + rows_per_group, result.n_paths)
                writer.write_batch(_parquet_batch(schema, option_id, columns, start, stop),
                                   row_group_size=rows_per_group)
    return path


def _float_type_ids() -> frozenset[int]:
    import pyarrow as pa

    return frozenset({pa.float32().id, pa.float64().id})


# -- CSV ------------------------------------------------------------------------------------


def _fits_float32(values: np.ndarray) -> bool:
    """Whether every value is 0 or has a normal float32 magnitude (no overflow to inf, no
    underflow to 0 or to a subnormal's lost digits when written as float32)."""
    if values.dtype != np.float64:
        return False
    magnitude = np.abs(values)
    return bool(np.all((magnitude == 0)
                       | ((magnitude >= _F32.smallest_normal) & (magnitude <= _F32.max))))


def _csv_float32_columns(names: list[str], per_option: Mapping[str, Columns]) -> set[str]:
    """Inputs whose every value float32 holds, written at float32 precision. Money is always
    float64 (it left +-inf in 388 of 400 NPV cells once values passed float32's 3.4e38
    while summary.json was finite)."""
    return {name for name in names if name not in _MONEY and all(
        _fits_float32(columns[name]) for columns in per_option.values() if name in columns)}


def _csv_batch(columns: Columns, names: list[str], as_float32: set[str], option_id: str,
               start: int, stop: int, header: bool) -> bytes:
    """Rows ``start:stop`` of one option as gzipped CSV text (one gzip member)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    arrays = {"option": pa.array([option_id] * (stop - start))}
    for name in names:
        if name not in columns:  # another option's input: empty cells
            arrays[name] = pa.nulls(stop - start, pa.float64())
            continue
        part = columns[name][start:stop]
        if name == "payback_month":
            arrays[name] = pa.array(part.astype(np.int64), mask=part == 0)
        elif name in as_float32:
            arrays[name] = pa.array(part.astype(np.float32))
        else:  # money and wide inputs: float64, the shortest text that reads back exactly
            arrays[name] = pa.array(part)
    sink = pa.BufferOutputStream()
    pacsv.write_csv(pa.table(arrays), sink,
                    pacsv.WriteOptions(include_header=header, quoting_style="none"))
    return gzip.compress(sink.getvalue(), compresslevel=1, mtime=0)


def _write_in_order(out: Any, encoders: Sequence[Callable[[], bytes]], threads: int,
                    cancel: threading.Event | None) -> None:
    """Run ``encoders`` on ``threads`` threads and write their bytes in list order, with at
    most two per thread in memory; ``cancel`` stops before the next one is started."""
    with ThreadPoolExecutor(max_workers=threads) as pool:
        pending: deque[Future[bytes]] = deque()
        try:
            for encode in encoders:
                if cancel is not None and cancel.is_set():
                    raise WriteCancelled(f"{PATHS_CSV}: writing stopped")
                pending.append(pool.submit(encode))
                if len(pending) >= 2 * threads:
                    out.write(pending.popleft().result())
            while pending:
                out.write(pending.popleft().result())
        finally:
            for future in pending:  # an exception: do not encode what will not be written
                future.cancel()


def write_paths_csv(
    run_dir: Path, result: Result, rows_per_batch: int = 65_536, threads: int | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """paths.csv.gz (``--paths-csv``), in batches formatted by Arrow's CSV writer, gzipped.

    Money is written from float64 as the shortest text that reads back to the same
    double. Inputs are written at float32 precision (about 7 significant digits) when
    float32 holds every value of the column, else as float64; gzip runs at level 1. Each
    batch becomes one gzip member (gzip, zcat and pandas read the file as one stream), so
    batches are encoded on ``threads`` threads (Arrow and zlib release the GIL) and written
    in order. Setting ``cancel`` stops it (`WriteCancelled`; the partial file is removed).
    """
    path = Path(run_dir) / PATHS_CSV
    per_option = _columns_by_option(result)
    names = path_column_names(per_option)
    as_float32 = _csv_float32_columns(names, per_option)
    batches = [(option_id, start) for option_id in per_option
               for start in range(0, result.n_paths, rows_per_batch)]
    encoders = [partial(_csv_batch, per_option[option_id], names, as_float32, option_id, start,
                        min(start + rows_per_batch, result.n_paths), number == 0)
                for number, (option_id, start) in enumerate(batches)]
    with atomic_path(path) as tmp, open(tmp, "wb") as out:
        _write_in_order(out, encoders, threads or min(4, os.cpu_count() or 1), cancel)
    return path


# -- in the background ----------------------------------------------------------------------


class PathsWriter:
    """The per-path file, written on a background thread while the run goes on.

    ``with PathsWriter(run_dir, result, "parquet") as paths: ...`` starts the writer on
    entering the block; `wait` returns the file's path (or raises the writer's error).
    Leaving the block normally waits for the file; leaving it by an exception (a failed
    report, Ctrl-C, SIGTERM) tells the writer to stop after the batch in hand and waits for
    that, so the temporary file is gone before the run folder is discarded. ``fmt=None``
    writes nothing. ``threads`` is the CSV writer's encoding threads (Parquet uses one).
    """

    def __init__(self, run_dir: Path, result: Result, fmt: PathsFormat | None, *,
                 threads: int | None = None) -> None:
        self.run_dir, self.result, self.fmt, self.threads = Path(run_dir), result, fmt, threads
        self.cancel = threading.Event()
        self._pool: ThreadPoolExecutor | None = None
        self._future: Future[Path] | None = None

    def __enter__(self) -> PathsWriter:
        if self.fmt is not None:
            write: Callable[..., Path] = (
                write_paths_parquet if self.fmt == "parquet"
                else partial(write_paths_csv, threads=self.threads))
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ftsim-paths")
            self._future = self._pool.submit(write, self.run_dir, self.result,
                                             cancel=self.cancel)
        return self

    def wait(self) -> Path | None:
        """The written file (None when ``fmt`` is None), once the writer is done."""
        return None if self._future is None else self._future.result()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if kind is not None:
            self.cancel.set()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        if kind is None:
            self.wait()  # the writer's own error, if nobody waited for it
