"""Run folders and the data files of a run (summary.json, paths, monthly), written atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .engine import BASELINE_COMPONENTS, COST_COMPONENTS

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .result import Result

__all__ = ["new_run_dir", "atomic_path", "atomic_write_bytes", "atomic_write_text",
           "write_summary_json", "write_paths_csv", "monthly_frame",
           "write_monthly_csv"]


def new_run_dir(parent: Path, stem: str, now: datetime | None = None) -> Path:
    """Create ``parent/<stem>/<YYYYmmdd-HHMMSS>`` (with ``-2``, ``-3``... if taken) and return it.

    ``mkdir(exist_ok=False)`` makes the claim atomic, so two runs started in the same
    second never share (or overwrite) a folder.
    """
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = Path(parent) / stem
    base.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 10_000):
        candidate = base / (stamp if attempt == 1 else f"{stamp}-{attempt}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"no free run folder name under {base}")


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


def write_summary_json(run_dir: Path, summary: dict) -> Path:
    """summary.json: MODEL.md section 5 plus extras; NaN/inf would be invalid JSON, so none."""
    import json

    path = Path(run_dir) / "summary.json"
    atomic_write_text(path, json.dumps(summary, indent=2, allow_nan=False) + "\n")
    return path


def _path_columns(result: Result, option_id: str) -> dict[str, np.ndarray]:
    """Columns of one option's rows; its own inputs are named ``option.<key>`` so all align."""
    own = f"options.{option_id}."
    option = result.options[option_id]
    columns: dict[str, np.ndarray] = {"path": np.arange(result.n_paths)}
    for key, values in result.inputs.items():
        if key.startswith(own):
            columns["option." + key[len(own):]] = values
        elif not key.startswith("options."):
            columns[key] = values
    columns.update({"payback_month": option.payback_month, "npv": option.npv,
                    "upfront": option.upfront, "tco_baseline": option.tco_baseline,
                    "tco_option": option.tco_option, "abandoned": option.abandoned,
                    "retrains": option.retrains})
    return columns


def write_paths_csv(
    run_dir: Path, result: Result, rows_per_batch: int = 65_536, threads: int | None = None,
) -> Path:
    """paths.csv.gz, in batches of rows formatted by Arrow's C++ CSV writer and gzipped.

    Money and inputs are written at float32 precision (about 7 significant digits), and
    gzip runs at level 1: formatting and compressing full float64 text cost ~10x more
    for digits no analysis needs (benchmarks/RESULTS.md). Each batch becomes one gzip
    member (a multi-member file, which gzip, zcat and pandas read as one stream), so
    batches are encoded on ``threads`` threads (Arrow and zlib release the GIL) and
    written in order; at most two per thread are in memory at once.
    """
    import gzip
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = Path(run_dir) / "paths.csv.gz"
    per_option = {oid: _path_columns(result, oid) for oid in result.options}
    names: list[str] = []  # union of the options' columns, first-seen order
    for columns in per_option.values():
        names += [name for name in columns if name not in names]
    outcomes = [n for n in names if n in ("payback_month", "npv", "upfront", "tco_baseline",
                                          "tco_option", "abandoned", "retrains")]
    names = [n for n in names if n not in outcomes] + outcomes

    def encode(option_id: str, start: int, stop: int, header: bool) -> bytes:
        columns = per_option[option_id]
        arrays = {"option": pa.array([option_id] * (stop - start))}
        for name in names:
            if name not in columns:  # another option's input: empty cells
                arrays[name] = pa.nulls(stop - start, pa.float32())
                continue
            part = columns[name][start:stop]
            if name == "payback_month":
                arrays[name] = pa.array(part.astype(np.int64), mask=part == 0)
            elif part.dtype == np.float64:
                arrays[name] = pa.array(part.astype(np.float32))
            else:
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
        for number, (option_id, start, stop) in enumerate(batches):
            pending.append(pool.submit(encode, option_id, start, stop, number == 0))
            if len(pending) >= 2 * threads:
                out.write(pending.popleft().result())
        while pending:
            out.write(pending.popleft().result())
    return path


def monthly_frame(summary: dict) -> pd.DataFrame:
    """Per option and month: percentiles of cumulative net savings and mean monthly costs."""
    import pandas as pd

    rows = []
    for option_id, option in summary["options"].items():
        horizon = len(option["p_payback_by_month"])
        cost = option["monthly_mean_cost"]
        for j in range(horizon):
            row = {"option": option_id, "month": j + 1}
            for q, values in option["cumulative_net_savings"].items():
                row[f"cumulative_net_savings_{q}"] = values[j]
            row["mean_baseline_cost"] = cost["baseline"][j]
            for k in BASELINE_COMPONENTS:
                row[f"mean_{k}"] = cost[k][j]
            row["mean_option_cost"] = sum(cost[k][j] for k in COST_COMPONENTS)
            for k in COST_COMPONENTS:
                row[f"mean_option_{k}"] = cost[k][j]
            row["p_payback_by_month"] = option["p_payback_by_month"][j]
            rows.append(row)
    return pd.DataFrame(rows)


def write_monthly_csv(run_dir: Path, summary: dict) -> Path:
    path = Path(run_dir) / "monthly.csv"
    atomic_write_text(path, monthly_frame(summary).to_csv(index=False, float_format="%.6g"))
    return path
