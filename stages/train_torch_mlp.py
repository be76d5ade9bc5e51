"""Stage train_torch_mlp: a multi-layer perceptron in PyTorch."""

from pathlib import Path

from mnist_dvc.cli import run_stage
from stages.train_torch import run

MODEL_FILE = Path("data/models/torch_mlp.pt")
LIVE_DIR = Path("metrics/training/torch_mlp")

if __name__ == "__main__":
    run_stage("train_torch_mlp", lambda: run("train_torch_mlp", MODEL_FILE, LIVE_DIR))
