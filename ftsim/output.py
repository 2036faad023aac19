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

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .result import Result

__all__ = ["new_run_dir", "atomic_path", "atomic_write_bytes", "atomic_write_text",
           "write_summary_json", "paths_frame", "write_paths_csv", "monthly_frame",
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
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


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


def paths_frame(result: Result) -> pd.DataFrame:
    """One row per (option, path): the option's and the world's sampled inputs and outcomes."""
    import pandas as pd

    frames = []
    for option_id, option in result.options.items():
        own = f"options.{option_id}."
        columns: dict[str, object] = {"option": option_id, "path": np.arange(result.n_paths)}
        for key, values in result.inputs.items():
            if not key.startswith("options.") or key.startswith(own):
                columns[key.replace(own, "option.") if key.startswith(own) else key] = values
        payback = option.payback_month.astype(float)
        payback[payback == 0] = np.nan
        columns.update({
            "payback_month": pd.array(payback, dtype="Int64") if payback.size else payback,
            "npv": option.npv, "upfront": option.upfront, "tco_baseline": option.tco_baseline,
            "tco_option": option.tco_option, "abandoned": option.abandoned,
            "retrains": option.retrains,
        })
        frames.append(pd.DataFrame(columns))
    return pd.concat(frames, ignore_index=True)


def write_paths_csv(run_dir: Path, result: Result) -> Path:
    """paths.csv.gz; option-specific inputs are named ``option.<key>`` so columns align."""
    path = Path(run_dir) / "paths.csv.gz"
    frame = paths_frame(result)
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g",
                     compression={"method": "gzip", "compresslevel": 1})
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
            row["mean_option_cost"] = sum(cost[k][j] for k in cost if k != "baseline")
            for k in cost:
                if k != "baseline":
                    row[f"mean_option_{k}"] = cost[k][j]
            row["p_payback_by_month"] = option["p_payback_by_month"][j]
            rows.append(row)
    return pd.DataFrame(rows)


def write_monthly_csv(run_dir: Path, summary: dict) -> Path:
    path = Path(run_dir) / "monthly.csv"
    atomic_write_text(path, monthly_frame(summary).to_csv(index=False, float_format="%.6g"))
    return path
