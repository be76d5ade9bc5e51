"""Tune a trainer on the validation split: `python -m bench.tune train_cnn ema_decay=0.999 epochs=12`.

Trains with params.yaml's group for the stage, overridden by the given key=value pairs (YAML 1.2 values,
validated like the stage's own), through the code the stage uses, and appends one line to
bench/results/tuning.jsonl: the overrides, the kept epoch's validation accuracy, training seconds and this
machine's sgemm throughput. The test split is never loaded, so nothing here can select on it.
"""

from __future__ import annotations

import argparse
import json

import yaml

from bench.common import RESULTS_DIR, matmul_gflops
from mnist_dvc.dataset import load_prepared
from mnist_dvc.params import SCHEMAS, load_stage_params
from mnist_dvc.validation import StageParams, Yaml12Loader, group

TRAINERS = ("train_numpy_mlp", "train_torch_mlp", "train_cnn")


def train(stage: str, p: StageParams, data):
    if stage == "train_numpy_mlp":
        from mnist_dvc.numpy_mlp.train import train as train_numpy

        return train_numpy(p, data, live_dir=None)[1]
    from mnist_dvc.torch_nets.train import train as train_torch

    return train_torch(p, data, live_dir=None)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=TRAINERS)
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE")
    args = parser.parse_args()
    values = dict(load_stage_params(args.stage).values)
    for override in args.overrides:
        key, _, text = override.partition("=")
        values[key] = yaml.load(text, Loader=Yaml12Loader)
    p = StageParams(args.stage, group(SCHEMAS[args.stage])(values, args.stage))
    data = load_prepared("data/prepared", ("train", "val"))
    result = train(args.stage, p, data)
    row = {
        "stage": args.stage,
        "overrides": args.overrides,
        "val_accuracy": result.history[result.best_epoch - 1]["val_accuracy"],
        "best_epoch": result.best_epoch,
        "last_val_accuracy": result.history[-1]["val_accuracy"],
        "train_seconds": round(result.train_seconds, 1),
        "n_train": len(data.labels["train"]),
        "sgemm_gflops": round(matmul_gflops(), 1),
    }
    print(json.dumps(row))
    with open(RESULTS_DIR / "tuning.jsonl", "a") as log:
        log.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
