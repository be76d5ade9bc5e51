"""Benchmark of the PyTorch models. Run `python -m bench.torch_models` after `dvc repro prepare`.

Trains each model with the stage's params from params.yaml (the defaults) and, with --notebook, the
notebook's three configurations, all through the pipeline's own training loop; reports test accuracy,
training seconds, training and inference images per second. Writes bench/results/torch_models.json.
"""

from __future__ import annotations

import argparse

import torch

from bench.common import load_data, save
from bench.notebook import configs as notebook_configs
from mnist_dvc.models.families import trainer_params
from mnist_dvc.models.torch_nets.inference import predict_logits
from mnist_dvc.models.torch_nets.train import evaluate, train
from mnist_dvc.models.training import images_per_second


def run(model: str, overrides: dict, data) -> dict:
    p = trainer_params(model, **overrides)
    model, result = train(p, data, live_dir=None)
    x_test, y_test = torch.from_numpy(data.images["test"]), torch.from_numpy(data.labels["test"])
    cpu = torch.device("cpu")
    _, test_accuracy = evaluate(model, x_test, y_test, cpu)
    epochs_run = len(result.history)
    return {
        "params": p.values,
        "test_accuracy": test_accuracy,
        "best_epoch": result.best_epoch,
        "val_accuracy": result.history[result.best_epoch - 1]["val_accuracy"],
        "train_seconds": result.train_seconds,
        "train_images_per_s": epochs_run * len(data.labels["train"]) / result.train_seconds,
        "inference_images_per_s": images_per_second(
            lambda x: predict_logits(model, torch.from_numpy(x), cpu), data.images["test"]
        ),
        "parameters": sum(w.numel() for w in model.parameters()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--notebook", action="store_true", help="also run the notebook's three configurations"
    )
    parser.add_argument("--only", choices=["mlp", "cnn"], help="run one default model only")
    args = parser.parse_args()
    data, _ = load_data()
    results = {}
    for name, model in (("mlp", "torch_mlp"), ("cnn", "cnn")):
        if args.only in (None, name):
            results[f"default_{name}"] = run(model, {}, data)
    if args.notebook:
        for name, (model, overrides) in notebook_configs().items():
            if model == "numpy_mlp":
                continue  # bench.numpy_mlp and bench.peers train it
            results[name] = run(model, overrides, data)
    save("torch_models" if args.only is None else f"torch_{args.only}", results)


if __name__ == "__main__":
    main()
