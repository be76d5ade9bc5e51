"""Where the pipeline keeps things: the one place a stage, `evaluate` and `mnist-dvc predict` look them up.

Paths are relative to the project root (DVC runs every stage there); dvc.yaml names the same paths.
"""

from __future__ import annotations

from pathlib import Path

RAW_DIR = Path("data/raw")
PREPARED_DIR = Path("data/prepared")
MODELS_DIR = Path("data/models")
# The number reader (stage train_number_reader): kept apart from data/models, which holds the models of
# params.yaml's `models` that evaluate compares.
READER_FILE = Path("data/number_reader/reader.onnx")
METRICS_DIR = Path("metrics")
PIPELINE_FILE = Path("dvc.yaml")
# Written by stage check_params when every group of params.yaml is valid; every other stage depends on it.
PARAMS_CHECKED = Path("data/params_checked")

# Each model's files, one per seed, are data/models/<name>/seed_<seed>.<npz|pt> (models/registry.py).


def training_dir(model: str, seed: int) -> Path:
    """A trainer's dvclive directory for one seed: per-epoch metrics and plots."""
    return METRICS_DIR / "training" / model / f"seed_{seed}"


def timing_file(model: str, seed: int) -> Path:
    """Training seconds and inference speed: kept out of the model file so identical retrains give
    identical model bytes."""
    return training_dir(model, seed) / "timing.json"


def project_root() -> Path:
    """The pipeline's root: the working directory when it holds dvc.yaml (as under `dvc repro`), else the
    checkout this package is installed from (`make setup` installs it editable), else the working
    directory. Lets `mnist-dvc predict` find data/models/ when run from anywhere."""
    cwd = Path.cwd()
    if (cwd / "dvc.yaml").is_file():
        return cwd
    checkout = Path(__file__).resolve().parent.parent
    return checkout if (checkout / "dvc.yaml").is_file() else cwd
