"""Tune a trainer on the validation split: `python -m bench.tune train_cnn ema_decay=0.999 epochs=12`.

Trains with params.yaml's group for the stage, overridden by the given key=value pairs (YAML 1.2 values,
validated like the stage's own), through the code the stage uses, and appends one line to
bench/results/tuning.jsonl: the overrides, the kept epoch's validation accuracy, training seconds, this
machine's sgemm throughput, and the robustness stage's corruptions measured on 2,000 validation images
(noise, blur and the mean over all). The test split is never loaded, so nothing here can select on it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import yaml

from bench.common import RESULTS_DIR, matmul_gflops
from mnist_dvc.data.dataset import load_prepared, stratified_subset
from mnist_dvc.evaluation import robustness
from mnist_dvc.evaluation.robustness import accuracy_table, summary
from mnist_dvc.models.families import trainer_params
from mnist_dvc.models.model_file import ModelFile
from mnist_dvc.models.registry import models
from mnist_dvc.models.trained_models import TrainedModel
from mnist_dvc.validation import StageParams, Yaml12Loader

VAL_IMAGES = 2000


def train(stage: str, p: StageParams, data) -> tuple[TrainedModel, object]:
    """Train; return the kept model, ready to predict like a loaded model file, and the run's result."""
    meta = {"normalization": data.meta["normalization"]}
    if models()[stage.removeprefix("train_")].family == "numpy":
        from mnist_dvc.models.numpy_mlp.network import predict_log_proba
        from mnist_dvc.models.numpy_mlp.train import train as train_numpy

        params, result = train_numpy(p, data, live_dir=None)
        kept = ModelFile(Path(stage), meta, 0, lambda x: predict_log_proba(params, x, p.activation))
        return TrainedModel(stage, [kept]), result
    import torch

    from mnist_dvc.models.torch_nets.inference import predict_logits
    from mnist_dvc.models.torch_nets.train import train as train_torch

    net, result = train_torch(p, data, live_dir=None)

    def log_proba(x):
        return torch.log_softmax(predict_logits(net, torch.from_numpy(x), torch.device("cpu")), 1).numpy()

    return TrainedModel(stage, [ModelFile(Path(stage), meta, 0, log_proba)]), result


def validation_robustness(model: TrainedModel, data) -> dict:
    """The robustness stage's corruptions on VAL_IMAGES stratified validation images."""
    corruptions = robustness.SCHEMA.load().corruptions
    chosen = stratified_subset(data.labels["val"], VAL_IMAGES, 0)
    table = accuracy_table({model.name: model}, data.unit_images("val")[chosen], data.labels["val"][chosen],
                           corruptions)  # fmt: skip
    result = summary(table)[model.name]
    return {
        "val_mean_corrupted": round(result["mean_corrupted_accuracy"], 4),
        **{f"val_{c}": round(result["corruptions"][c], 4) for c in ("noise", "blur") if c in corruptions},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", help="a trainer's params group: train_<model> (e.g. train_cnn)")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE")
    args = parser.parse_args()
    overrides = {}
    for override in args.overrides:
        key, _, text = override.partition("=")
        overrides[key] = yaml.load(text, Loader=Yaml12Loader)
    entry = models()[args.stage.removeprefix("train_")]
    p = trainer_params(entry, **overrides)
    data = load_prepared("data/prepared", ("train", "val"))
    model, result = train(args.stage, p, data)
    row = {
        "stage": args.stage,
        "overrides": args.overrides,
        "val_accuracy": result.history[result.best_epoch - 1]["val_accuracy"],
        "best_epoch": result.best_epoch,
        "last_val_accuracy": result.history[-1]["val_accuracy"],
        "train_seconds": round(result.train_seconds, 1),
        "n_train": len(data.labels["train"]),
        **validation_robustness(model, data),
        "sgemm_gflops": round(matmul_gflops(), 1),
    }
    print(json.dumps(row))
    with open(RESULTS_DIR / "tuning.jsonl", "a") as log:
        log.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
