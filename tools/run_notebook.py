"""Run a notebook top to bottom in place with nbclient, so that it is committed with the outputs of a
real run: `python -m tools.run_notebook notebooks/tour.ipynb` (after `dvc repro`)."""

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def main(path: str) -> None:
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(Path(path).parent)}}).execute()  # fmt: skip
    nbformat.write(notebook, path)
    print(f"{path}: run, outputs saved")


if __name__ == "__main__":
    main(sys.argv[1])
