"""The core and the layers beneath it type-check (issue 10): mypy over the files listed in
pyproject.toml's [tool.mypy], so a renamed field or a None passed where a number is needed
fails here rather than in a user's run."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_core_scenario_and_distributions_type_check(monkeypatch: pytest.MonkeyPatch) -> None:
    api = pytest.importorskip("mypy.api")
    monkeypatch.chdir(ROOT)  # [tool.mypy] files are relative to the repository
    stdout, stderr, status = api.run(["--config-file", "pyproject.toml", "--no-error-summary"])
    assert status == 0, stdout + stderr
