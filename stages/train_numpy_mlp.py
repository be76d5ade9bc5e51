"""Stage train_numpy_mlp: the NumPy-only multi-layer perceptron."""

import os
from pathlib import Path

from threadpoolctl import threadpool_limits

from mnist_dvc.cli import run_stage
from mnist_dvc.dataset import load_prepared
from mnist_dvc.numpy_mlp.io import INPUT_SIZE, NUM_CLASSES, save_model
from mnist_dvc.numpy_mlp.model import predict_log_proba
from mnist_dvc.numpy_mlp.train import train
from mnist_dvc.params import load_stage_params
from mnist_dvc.training import images_per_second

DATA_DIR = Path("data/prepared")
MODEL_FILE = Path("data/models/numpy_mlp.npz")
LIVE_DIR = Path("metrics/training/numpy_mlp")


def main() -> None:
    p = load_stage_params("train_numpy_mlp")
    data = load_prepared(DATA_DIR, ("train", "val"))
    params, result = train(p, data, LIVE_DIR)
    with threadpool_limits(p.num_threads):
        speed = images_per_second(lambda x: predict_log_proba(params, x, p.activation), data.images["val"])
    save_model(
        MODEL_FILE,
        params,
        {
            "layer_sizes": [INPUT_SIZE, *p.hidden, NUM_CLASSES],
            "activation": p.activation,
            "normalization": data.meta["normalization"],
            "params": p.values,
            "best_epoch": result.best_epoch,
            "train_seconds": result.train_seconds,
            "inference_images_per_s": speed,
            "num_threads": p.num_threads,
            "cpu_count": os.cpu_count(),
        },
    )
    best = result.history[result.best_epoch - 1]
    print(
        f"train_numpy_mlp: kept epoch {result.best_epoch} (val accuracy {best['val_accuracy']:.4f}); "
        f"{result.train_seconds:.1f} s of training -> {MODEL_FILE}"
    )


if __name__ == "__main__":
    run_stage("train_numpy_mlp", main)
