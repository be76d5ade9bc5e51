"""What the two PyTorch stages share: train with the one loop, save the checkpoint, report."""

from pathlib import Path

import torch

from mnist_dvc.dataset import load_prepared
from mnist_dvc.params import load_stage_params
from mnist_dvc.torch_nets.checkpoint import save_checkpoint
from mnist_dvc.torch_nets.train import hparams_of, predict_logits, train
from mnist_dvc.training import images_per_second, report, run_metadata

DATA_DIR = Path("data/prepared")


def run(stage: str, model_file: Path, live_dir: Path) -> None:
    p = load_stage_params(stage)
    data = load_prepared(DATA_DIR, ("train", "val"))
    model, result = train(p, data, live_dir)
    # Reported for the CPU: the pipeline must run on one, whatever trained the model.
    cpu = torch.device("cpu")
    speed = images_per_second(lambda x: predict_logits(model, torch.from_numpy(x), cpu), data.images["val"])
    architecture = {"arch": p.arch, "hparams": hparams_of(p)}
    save_checkpoint(
        model_file, model, {**architecture, **run_metadata(p, result, data.meta["normalization"], speed)}
    )
    report(stage, result, model_file)
