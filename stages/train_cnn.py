"""Stage train_cnn: a convolutional network in PyTorch."""

from pathlib import Path

from mnist_dvc.cli import run_stage
from stages.train_torch import run

MODEL_FILE = Path("data/models/cnn.pt")
LIVE_DIR = Path("metrics/training/cnn")

if __name__ == "__main__":
    run_stage("train_cnn", lambda: run("train_cnn", MODEL_FILE, LIVE_DIR))
