"""notebooks/support_bot.ipynb runs top to bottom in a fresh python3 kernel, so it cannot rot."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "support_bot.ipynb"


def _code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def test_notebook_is_committed_without_outputs():
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not cell.outputs and cell.execution_count is None for cell in _code_cells(nb))


@pytest.mark.parametrize("cwd", ["notebooks", "."], ids=["from-notebooks", "from-root"])
def test_notebook_executes(cwd):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / cwd)}})
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    outputs = [o for cell in _code_cells(nb) for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # the summary table and the comparison were displayed
    shown = "".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "lora_8b_provider" in shown and "provider at parity" in shown
