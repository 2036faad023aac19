"""summary.json and monthly.csv: small files, written with the standard library in
milliseconds (pandas, imported for monthly.csv alone, cost most of a second)."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .folder import atomic_write_text

if TYPE_CHECKING:  # pragma: no cover
    from ..core.summary_types import Summary
    from .audit import RunRecord

__all__ = ["RunInfo", "summary_json", "summary_json_text", "write_summary_json", "csv_text",
           "monthly_table", "monthly_csv_text", "write_monthly_csv"]


@dataclass(frozen=True)
class RunInfo:
    """What the command line adds to summary.json (not part of the `Summary`): the run's
    seconds and, when given, how it was made (`audit.RunRecord`: scenario path, overrides,
    data files, supplied inputs, stress bands)."""

    seconds: float
    record: RunRecord | None = None


def summary_json(summary: Summary, run: RunInfo | None = None) -> dict[str, Any]:
    """``summary.to_dict()`` with ``simulation.seconds`` (rounded to ms) from ``run``, placed
    before the ``precision_*`` keys as summary.json has always had it, then the record's
    ``simulation`` keys, and ``scenario.path``."""
    out = summary.to_dict()
    if run is not None:
        simulation = out["simulation"]
        head = {k: v for k, v in simulation.items() if not k.startswith("precision_")}
        tail = {k: v for k, v in simulation.items() if k.startswith("precision_")}
        record = {} if run.record is None else run.record.simulation_keys()
        out["simulation"] = {**head, "seconds": round(run.seconds, 3), **tail, **record}
        if run.record is not None and run.record.scenario_path is not None:
            out["scenario"] = {**out["scenario"], "path": run.record.scenario_path}
    return out


def summary_json_text(summary: Summary, run: RunInfo | None = None) -> str:
    """The text of summary.json (also what ``--json`` prints): NaN and infinity would be
    invalid JSON, so a summary holding one is refused (`Summary.to_dict` writes null)."""
    return json.dumps(summary_json(summary, run), indent=2, allow_nan=False) + "\n"


def write_summary_json(run_dir: Path, summary: Summary, run: RunInfo | None = None) -> Path:
    """summary.json: docs/model.md sections 11-12 plus extras."""
    path = Path(run_dir) / "summary.json"
    atomic_write_text(path, summary_json_text(summary, run))
    return path


def monthly_table(summary: Summary) -> tuple[list[str], list[list[Any]]]:
    """monthly.csv's header and rows: per option and month, percentiles of cumulative net
    savings, mean monthly costs (baseline and its parts, option total and its parts) and
    P(payback <= month); the columns of ``Summary.monthly_frame``."""
    header: list[str] = []
    rows: list[list[Any]] = []
    for option_id, option in summary.options.items():
        cost = option.monthly_mean_cost
        bands = dict(option.cumulative_net_savings.items())
        baseline_parts, option_parts = cost.baseline_components(), cost.components()
        header = (["option", "month"] + [f"cumulative_net_savings_{q}" for q in bands]
                  + ["mean_baseline_cost"] + [f"mean_{k}" for k in baseline_parts]
                  + ["mean_option_cost"] + [f"mean_option_{k}" for k in option_parts]
                  + ["p_payback_by_month"])
        for j in range(len(option.p_payback_by_month)):
            rows.append([option_id, j + 1, *(band[j] for band in bands.values()),
                         cost.baseline[j], *(part[j] for part in baseline_parts.values()),
                         # summed left to right from 0, as monthly_frame does
                         sum(part[j] for part in option_parts.values()),
                         *(part[j] for part in option_parts.values()),
                         option.p_payback_by_month[j]])
    return header, rows


def _cell_formatter(column: Sequence[Any]) -> Any:
    """How pandas' ``to_csv(float_format="%.6g")`` writes a column: an all-integer column as
    integers, an all-text one as text, any other numeric column as floats ``%.6g`` with
    missing values (None, NaN) as empty cells."""
    if all(isinstance(v, str) for v in column):
        return str
    if all(isinstance(v, int) and not isinstance(v, bool) for v in column):
        return str

    def number(value: Any) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        return "%.6g" % value  # noqa: UP031 - the printf format pandas applies

    return number


def csv_text(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A table as CSV text, byte for byte what pandas' ``DataFrame(rows, columns=header)
    .to_csv(index=False, float_format="%.6g")`` writes, without importing pandas."""
    formatters = [_cell_formatter(column) for column in zip(*rows, strict=True)] if rows else []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([f(v) for f, v in zip(formatters, row, strict=True)] for row in rows)
    return out.getvalue()


def monthly_csv_text(summary: Summary) -> str:
    """monthly.csv, byte for byte what ``summary.monthly_frame().to_csv(index=False,
    float_format="%.6g")`` wrote."""
    return csv_text(*monthly_table(summary))


def write_monthly_csv(run_dir: Path, summary: Summary) -> Path:
    """monthly.csv (see `monthly_table`)."""
    path = Path(run_dir) / "monthly.csv"
    atomic_write_text(path, monthly_csv_text(summary))
    return path
