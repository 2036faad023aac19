"""scenario.toml: the scenario file's bytes, copied into the run folder.

Why: summary.json's ``scenario.sha256`` identifies the file a run simulated, but the file
itself may be edited or deleted afterwards. With the copy a run folder alone can be audited,
replayed and compared with another run (``python -m ftsim compare``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ScenarioError
from .folder import atomic_write_bytes

if TYPE_CHECKING:  # pragma: no cover
    from ..scenario import Scenario

__all__ = ["SCENARIO_COPY", "write_scenario_copy", "scenario_copy_bytes"]

SCENARIO_COPY = "scenario.toml"


def scenario_copy_bytes(scenario: Scenario) -> bytes | None:
    """The bytes of the file ``scenario`` was loaded from, checked against its sha256.

    None for a scenario built from text (no file). Raises `ScenarioError` when the file now
    holds other bytes (edited or removed since it was loaded): a copy that is not the
    simulated file would be worse than none.
    """
    if scenario.file is None or not scenario.sha256:
        return None
    try:
        data = Path(scenario.file).read_bytes()
    except OSError as error:
        raise ScenarioError.single(str(scenario.file), "cannot copy the scenario file into the "
                                   f"run folder: {error.strerror or error}") from error
    if hashlib.sha256(data).hexdigest() != scenario.sha256:
        raise ScenarioError.single(str(scenario.file), "the scenario file changed after it was "
                                   "loaded (its sha256 differs); run again")
    return data


def write_scenario_copy(run_dir: Path, scenario: Scenario) -> Path | None:
    """Write ``run_dir/scenario.toml``, an exact byte copy of the scenario file as loaded
    (the file summary.json's ``scenario.sha256`` is the hash of); None without a file."""
    data = scenario_copy_bytes(scenario)
    if data is None:
        return None
    path = Path(run_dir) / SCENARIO_COPY
    atomic_write_bytes(path, data)
    return path
