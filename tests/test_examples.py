"""The example notebook runs: every code cell, in order, in one namespace (no Jupyter kernel needed)."""

import json
import os
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "docs" / "examples").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_example_notebook_runs(path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(path.parents[2])  # notebooks run from the repository root
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    assert cells, f"{path.name} has no code"
    namespace: dict = {"__name__": "__main__"}
    for number, cell in enumerate(cells, 1):
        source = "".join(cell["source"])
        try:
            exec(compile(source, f"{path.name}, cell {number}", "exec"), namespace)
        except Exception as exc:  # noqa: BLE001 - name the cell, then fail
            pytest.fail(f"{path.name}, code cell {number} failed: {exc.__class__.__name__}: {exc}")
    assert os.getcwd() == str(path.parents[2])


def test_there_is_an_example_notebook():
    assert NOTEBOOKS
