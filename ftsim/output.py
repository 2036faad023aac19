"""Run folders (written under a temporary name, renamed when complete) and the data files of a run."""

from __future__ import annotations

import contextlib
import errno
import gzip
import json
import os
import re
import shutil
import tempfile
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .core.shared import pid_alive

if TYPE_CHECKING:  # pragma: no cover
    from .core.result import Result
    from .core.summary_types import Summary

__all__ = ["RunFolder", "remove_stale_partials", "pid_alive", "WriteCancelled",
           "atomic_path", "atomic_write_bytes", "atomic_write_text", "write_summary_json",
           "write_paths_csv", "write_monthly_csv", "RunInfo", "summary_json"]


# ``.<stamp>.partial-<pid>-<random>``: the owner's pid tells a crashed run from a live one.
_PARTIAL = re.compile(r"^\.[^/]*\.partial-(\d+)-")


class RunFolder:
    """A run folder written under a hidden temporary name, renamed into place when complete.

    ``results/<stem>/`` then only ever holds complete runs: an interrupted, failed or killed
    run leaves nothing that looks like a result (before, SIGINT during writing left a folder
    holding only summary.json, and any exit-1 run an empty folder). Creating the temporary
    folder (and a probe file in it) is also the check that ``parent`` is writable, done
    before anything is simulated. Folders that this object created on the way (``parent``,
    ``parent/<stem>``) are removed again by `discard` if they are empty.
    """

    def __init__(self, parent: Path, stem: str, now: datetime | None = None) -> None:
        self.base = Path(parent) / stem
        self.stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
        self.created: list[Path] = []
        self.final: Path | None = None
        missing = []
        folder = self.base
        while not folder.exists() and folder != folder.parent:
            missing.append(folder)
            folder = folder.parent
        try:
            for folder in reversed(missing):
                folder.mkdir()
                self.created.append(folder)
            self.path = Path(tempfile.mkdtemp(prefix=f".{self.stamp}.partial-{os.getpid()}-",
                                              dir=self.base))
            probe = self.path / ".probe"
            probe.write_bytes(b"ftsim")
            probe.unlink()
        except BaseException:
            if hasattr(self, "path"):
                shutil.rmtree(self.path, ignore_errors=True)
            self._remove_created()
            raise

    def commit(self) -> Path:
        """Rename the finished folder to ``<stamp>`` (``-2``, ``-3``... if taken) and return it.

        A rename onto an existing non-empty folder fails (ENOTEMPTY/EEXIST), so two runs
        finishing in the same second never share or overwrite a folder.
        """
        for attempt in range(1, 10_000):
            target = self.base / (self.stamp if attempt == 1 else f"{self.stamp}-{attempt}")
            if target.exists():
                continue
            try:
                os.rename(self.path, target)
            except OSError as error:
                if error.errno in (errno.EEXIST, errno.ENOTEMPTY):
                    continue
                raise
            self.final = target
            return target
        raise FileExistsError(f"no free run folder name under {self.base}")

    def discard(self) -> None:
        """Remove the unfinished folder and the empty parents this run created."""
        if self.final is None:
            shutil.rmtree(self.path, ignore_errors=True)
            self._remove_created()

    def _remove_created(self) -> None:
        for folder in reversed(self.created):
            with contextlib.suppress(OSError):  # not empty: another run uses it
                folder.rmdir()


def remove_stale_partials(parent: Path) -> list[Path]:
    """Remove ``<parent>/<stem>/.<stamp>.partial-<pid>-*`` folders whose owner is dead.

    A run killed by SIGKILL cannot remove its temporary folder; the next start does.
    """
    removed = []
    try:
        stems = [p for p in Path(parent).iterdir() if p.is_dir()]
    except OSError:
        return removed
    for stem in stems:
        try:
            entries = list(stem.iterdir())
        except OSError:
            continue
        for entry in entries:
            match = _PARTIAL.match(entry.name)
            if match and not pid_alive(int(match.group(1))) and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
    return removed


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it into place only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual file mode
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


@dataclass(frozen=True)
class RunInfo:
    """What the command line adds to summary.json (not part of the `Summary`)."""

    seconds: float


def summary_json(summary: Summary, run: RunInfo | None = None) -> dict[str, Any]:
    """``summary.to_dict()`` with ``simulation.seconds`` (rounded to ms) from ``run``, placed
    before the ``precision_*`` keys as summary.json has always had it."""
    out = summary.to_dict()
    if run is not None:
        simulation = out["simulation"]
        head = {k: v for k, v in simulation.items() if not k.startswith("precision_")}
        tail = {k: v for k, v in simulation.items() if k.startswith("precision_")}
        out["simulation"] = {**head, "seconds": round(run.seconds, 3), **tail}
    return out


def write_summary_json(run_dir: Path, summary: Summary, run: RunInfo | None = None) -> Path:
    """summary.json: MODEL.md section 5 plus extras; NaN/inf would be invalid JSON, so none."""
    path = Path(run_dir) / "summary.json"
    atomic_write_text(path, json.dumps(summary_json(summary, run), indent=2, allow_nan=False)
                      + "\n")
    return path


_MONEY = frozenset({"npv", "upfront", "tco_baseline", "tco_option"})
_F32 = np.finfo(np.float32)


def _fits_float32(values: np.ndarray) -> bool:
    """Whether every value is 0 or has a normal float32 magnitude (no overflow to inf, no
    underflow to 0 or to a subnormal's lost digits when written as float32)."""
    if values.dtype != np.float64:
        return False
    magnitude = np.abs(values)
    return bool(np.all((magnitude == 0)
                       | ((magnitude >= _F32.smallest_normal) & (magnitude <= _F32.max))))


class WriteCancelled(Exception):
    """The paths writer was told to stop (the run is being abandoned)."""


def write_paths_csv(
    run_dir: Path, result: Result, rows_per_batch: int = 65_536, threads: int | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """paths.csv.gz, in batches of rows formatted by Arrow's C++ CSV writer and gzipped.

    Money (npv, upfront, tco_baseline, tco_option) is written from float64, as the
    shortest text that reads back to the same double, so the file agrees with summary.json
    at any magnitude. Inputs are written at float32 precision (about 7 significant digits)
    when float32 holds every value of the column, else as float64; gzip runs at level 1:
    formatting and compressing full float64 text for ~50 input columns costs far more for
    digits no analysis needs (benchmarks/RESULTS.md). Each batch becomes one gzip
    member (a multi-member file, which gzip, zcat and pandas read as one stream), so
    batches are encoded on ``threads`` threads (Arrow and zlib release the GIL) and
    written in order; at most two per thread are in memory at once. Setting ``cancel``
    stops it after the batch in hand (`WriteCancelled`; the partial file is removed).
    """
    import pyarrow as pa  # lazy: pyarrow is heavy to import
    import pyarrow.csv as pacsv

    path = Path(run_dir) / "paths.csv.gz"
    per_option = {oid: result.path_columns(oid) for oid in result.options}
    names: list[str] = []  # union of the options' columns, first-seen order
    for columns in per_option.values():
        names += [name for name in columns if name not in names]
    outcomes = [n for n in names if n in ("payback_month", "npv", "upfront", "tco_baseline",
                                          "tco_option", "abandoned", "retrains")]
    names = [n for n in names if n not in outcomes] + outcomes
    # Inputs whose every value float32 holds (zero or a normal float32 magnitude) are
    # written at float32 precision; money is always float64 (it left +-inf in 388 of 400
    # NPV cells once values passed float32's 3.4e38 while summary.json was finite).
    as_float32 = {name for name in names if name not in _MONEY and all(
        _fits_float32(columns[name]) for columns in per_option.values() if name in columns)}

    def encode(option_id: str, start: int, stop: int, header: bool) -> bytes:
        columns = per_option[option_id]
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

    batches = [(option_id, start, min(start + rows_per_batch, result.n_paths))
               for option_id in per_option for start in range(0, result.n_paths, rows_per_batch)]
    threads = threads or min(4, os.cpu_count() or 1)
    with (atomic_path(path) as tmp, open(tmp, "wb") as out,
          ThreadPoolExecutor(max_workers=threads) as pool):
        pending: deque = deque()
        try:
            for number, (option_id, start, stop) in enumerate(batches):
                if cancel is not None and cancel.is_set():
                    raise WriteCancelled("paths.csv.gz: writing stopped")
                pending.append(pool.submit(encode, option_id, start, stop, number == 0))
                if len(pending) >= 2 * threads:
                    out.write(pending.popleft().result())
            while pending:
                out.write(pending.popleft().result())
        finally:
            for future in pending:  # an exception: do not encode what will not be written
                future.cancel()
    return path


def write_monthly_csv(run_dir: Path, summary: Summary) -> Path:
    """monthly.csv: ``summary.monthly_frame()``."""
    path = Path(run_dir) / "monthly.csv"
    atomic_write_text(path, summary.monthly_frame().to_csv(index=False, float_format="%.6g"))
    return path
