"""The [report] table: what the report shows beyond the defaults (today: NPV targets)."""

from __future__ import annotations

import math
from collections.abc import Mapping

from ..format import show_value as _show
from .checks import _SchemaReader
from .schema import _WORLD_HOMES, ALLOWED_RANGES, DEFAULT_NPV_TARGETS, NPV_TARGETS_MAX, REPORT_KEYS

__all__: list[str] = []


def npv_targets(reader: _SchemaReader, raw: Mapping[str, object]) -> tuple[float, ...]:
    """``[report] npv_targets``: 1..NPV_TARGETS_MAX money amounts t, each within its hard
    range, for P(NPV < t); sorted ascending, duplicates dropped. (0,) when not written; the
    default when invalid (every issue is recorded on ``reader``)."""
    table = reader.table(raw, "report", "report")
    if table is None:
        return DEFAULT_NPV_TARGETS
    reader.check_keys(table, "report", REPORT_KEYS, homes=_WORLD_HOMES)
    reader.metadata(table, "report")
    if "npv_targets" not in table:
        return DEFAULT_NPV_TARGETS
    path, value = "report.npv_targets", table["npv_targets"]
    if not isinstance(value, list) or not 1 <= len(value) <= NPV_TARGETS_MAX:
        found = f"{len(value)} entries: " if isinstance(value, list) else ""
        reader.issue(path, f"expected a list of 1 to {NPV_TARGETS_MAX} numbers (money in the "
                           f"scenario currency), got {found}{_show(value)}")
        return DEFAULT_NPV_TARGETS
    bounds = ALLOWED_RANGES["npv_targets"]
    targets: list[float] = []
    for i, entry in enumerate(value):
        at = f"{path}[{i}]"
        if not isinstance(entry, int | float) or isinstance(entry, bool):
            reader.issue(at, f"expected a number, got {_show(entry)}")
        elif isinstance(entry, int) and not -1e308 < entry < 1e308 or \
                isinstance(entry, float) and not math.isfinite(entry):
            reader.issue(at, f"expected a finite number, got {_show(entry)}")
        elif reader.check_value(at, bounds, float(entry), entry):
            targets.append(float(entry) + 0.0)  # -0.0 is 0
    if len(targets) < len(value):
        return DEFAULT_NPV_TARGETS
    return tuple(sorted(set(targets)))
