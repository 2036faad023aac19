"""The import-linter contracts of pyproject.toml (one-way layers, no plotting, argparse or
tqdm below the shell) hold for the package as it is, and a broken contract fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter")

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(config: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter on the package next to the tests (not an installed copy)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    code = ("import sys; from importlinter.cli import lint_imports; "
            f"sys.exit(lint_imports(config_filename={str(config)!r}, no_cache=True))")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_import_contracts_hold():
    done = lint_imports(ROOT / "pyproject.toml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 2 kept, 0 broken." in done.stdout


@pytest.mark.parametrize(("name", "contract"), [
    # the CLI imports the formatter: a formatter layered above the CLI is broken
    ("layers", 'type = "layers"\nlayers = ["ftsim.format", "ftsim.cli"]\n'),
    # the CLI imports argparse (standard library) and matplotlib (lazily): both are seen
    ("forbidden", 'type = "forbidden"\nsource_modules = ["ftsim.cli"]\n'
                  'forbidden_modules = ["argparse", "matplotlib"]\n'),
])
def test_a_broken_contract_fails(tmp_path, name, contract):
    """The check can fail: contracts the package is known to break make lint-imports exit 1."""
    config = tmp_path / f"{name}.toml"
    config.write_text('[tool.importlinter]\nroot_package = "ftsim"\n'
                      "include_external_packages = true\n\n"
                      f'[[tool.importlinter.contracts]]\nname = "must break"\n{contract}',
                      encoding="utf-8")
    done = lint_imports(config)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Contracts: 0 kept, 1 broken." in done.stdout
