"""notebooks/tour.ipynb runs from top to bottom (nbclient, a real Jupyter kernel) in a clone of the
synthetic pipeline, and says what the committed notebook says it does."""

from __future__ import annotations

import shutil

import nbformat
import pytest
from nbclient import NotebookClient

from tests.fixtures import PROJECT_ROOT

TOUR = PROJECT_ROOT / "notebooks" / "tour.ipynb"

pytestmark = pytest.mark.e2e


def outputs(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def test_the_committed_tour_carries_the_outputs_of_a_real_run():
    notebook = nbformat.read(TOUR, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.get("execution_count") for cell in code)  # run top to bottom, every cell
    assert not any(o.get("output_type") == "error" for cell in code for o in cell.get("outputs", []))
    assert "test accuracy 99." in "".join(outputs(cell) for cell in code)  # MNIST, not the synthetic set


def test_the_tour_runs_on_the_pipelines_own_outputs(clone, monkeypatch):
    clone.dvc("checkout", "-q")
    (clone.root / "notebooks").mkdir()
    shutil.copy2(TOUR, clone.root / "notebooks" / "tour.ipynb")
    for key in ("HOME", "DVC_SITE_CACHE_DIR", "DVC_NO_ANALYTICS", "PATH"):
        monkeypatch.setenv(key, clone.env[key])
    notebook = nbformat.read(clone.root / "notebooks" / "tour.ipynb", as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(clone.root / "notebooks")}}).execute()  # fmt: skip
    printed = "".join(outputs(cell) for cell in notebook.cells if cell.cell_type == "code")
    assert "params.yaml here: True" in printed
    assert "numpy_mlp  test accuracy" in printed and "ensemble   test accuracy" in printed
    assert "epoch 2: last batch loss" in printed and "largest difference:" in printed
    shown = [o for cell in notebook.cells for o in cell.get("outputs", [])]
    images = [o for o in shown if "image/png" in o.get("data", {})]
    assert len(images) == 3  # each model's probabilities
    assert "6 pictures: attribution.png, embedding.png, feature_maps_cnn.png" in printed
    markdown = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    for link in [line for line in markdown.split("\n") if line.startswith("![")]:  # the stage's own files
        assert (clone.root / "notebooks" / link.split("(")[1].rstrip(")")).is_file(), link
