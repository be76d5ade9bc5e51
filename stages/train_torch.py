"""What the two PyTorch stages share: train with the one loop, save the checkpoint, report."""

import os
from pathlib import Path

import torch

from mnist_dvc.dataset import load_prepared
from mnist_dvc.params import load_stage_params
from mnist_dvc.torch_nets.checkpoint import save_checkpoint
from mnist_dvc.torch_nets.train import hparams_of, predict_logits, train
from mnist_dvc.training import images_per_second

DATA_DIR = Path("data/prepared")


def run(stage: str, model_file: Path, live_dir: Path) -> None:
    p = load_stage_params(stage)
    data = load_prepared(DATA_DIR, ("train", "val"))
    model, result = train(p, data, live_dir)
    # Reported for the CPU: the pipeline must run on one, whatever trained the model.
    cpu = torch.device("cpu")
    speed = images_per_second(lambda x: predict_logits(model, torch.from_numpy(x), cpu), data.images["val"])
    save_checkpoint(
        model_file,
        model,
        {
            "arch": p.arch,
            "hparams": hparams_of(p),
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
        f"{stage}: kept epoch {result.best_epoch} (val accuracy {best['val_accuracy']:.4f}); "
        f"{result.train_seconds:.1f} s of training -> {model_file}"
    )
