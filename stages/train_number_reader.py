"""Stage train_number_reader: numbers written from the train split's digits -> the number reader
(data/number_reader/reader.onnx), which `predict --number` and the app use for writing whose digits
touch; its exact share on numbers written from the validation split -> metrics/number_reader/."""

import time

import numpy as np

from mnist_dvc.data.dataset import load_prepared
from mnist_dvc.fileio import write_csv, write_json
from mnist_dvc.models.number_reader.params import SCHEMA
from mnist_dvc.models.number_reader.train import export_reader, train_reader, written_numbers
from mnist_dvc.paths import METRICS_DIR, PREPARED_DIR, READER_FILE
from mnist_dvc.stage_runner import run_stage

OUT_DIR = METRICS_DIR / "number_reader"  # apart from metrics/training, which evaluate reads


def main() -> None:
    started = time.perf_counter()
    p = SCHEMA.load()
    data = load_prepared(PREPARED_DIR, ("train", "val"))
    rng = np.random.default_rng(p.seed)
    train = written_numbers(data.unit_images("train"), data.labels["train"], p.numbers, p, rng)
    val = written_numbers(data.unit_images("val"), data.labels["val"], p.val_numbers, p, rng)
    written = time.perf_counter()
    model, history = train_reader(p, train, val)
    export_reader(READER_FILE, model, {"seed": p.seed, "val_exact": history[-1]["val_exact"]})
    write_csv(OUT_DIR / "history.csv", history)
    write_json(
        OUT_DIR / "metrics.json", {"val_exact": history[-1]["val_exact"], "val_numbers": p.val_numbers}
    )
    seconds = {"writing": round(written - started, 1), "training": round(time.perf_counter() - written, 1)}
    write_json(OUT_DIR / "timing.json", seconds)


if __name__ == "__main__":
    run_stage("train_number_reader", main)
