"""Where the pipeline keeps things: the one place a stage, `evaluate` and `mnist-dvc predict` look them up.

Paths are relative to the project root (DVC runs every stage there); dvc.yaml names the same paths.
"""

from __future__ import annotations

from pathlib import Path

RAW_DIR = Path("data/raw")
PREPARED_DIR = Path("data/prepared")
MODELS_DIR = Path("data/models")
METRICS_DIR = Path("metrics")

# Model name (as in metrics/evaluation.json and `--model`) -> the file its trainer writes.
MODEL_FILES = {
    "numpy_mlp": MODELS_DIR / "numpy_mlp.npz",
    "torch_mlp": MODELS_DIR / "torch_mlp.pt",
    "cnn": MODELS_DIR / "cnn.pt",
}


def training_dir(model: str) -> Path:
    """The trainer's dvclive directory: per-epoch metrics and plots."""
    return METRICS_DIR / "training" / model


def timing_file(model: str) -> Path:
    """Training seconds and inference speed: kept out of the model file so identical retrains give
    identical model bytes."""
    return training_dir(model) / "timing.json"


def project_root() -> Path:
    """The pipeline's root: the working directory when it holds dvc.yaml (as under `dvc repro`), else the
    checkout this package is installed from (`make setup` installs it editable), else the working
    directory. Lets `mnist-dvc predict` find data/models/ when run from anywhere."""
    cwd = Path.cwd()
    if (cwd / "dvc.yaml").is_file():
        return cwd
    checkout = Path(__file__).resolve().parent.parent
    return checkout if (checkout / "dvc.yaml").is_file() else cwd
