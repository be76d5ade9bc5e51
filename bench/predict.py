"""Benchmark of `mnist-dvc predict`. Run `python -m bench.predict` after `dvc repro` (it needs the models).

Whole-command wall time, interpreter start and model load included, as a user runs it:
* the 10,000 official test images as one notebook-format tensor file (pixels (x/255 - 0.5)/0.5), per model;
* one PNG picture of a digit;
* `python -c "import torch"` alone, to show how much of it is PyTorch's import.
It also checks the command against `evaluate` (accuracy on that tensor vs metrics/evaluation.json) and
measures how often pictures give the model's answer for the original image: the first 1,000 test images
written as 28x28 PNGs, and the same images inverted (dark on light), enlarged to 60x60 and pasted off-centre
on a 100x100 page. Writes bench/results/predict.json.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from bench.common import matmul_gflops, save
from mnist_dvc.digits import read_digits
from mnist_dvc.idx import TEST_IMAGES, TEST_LABELS, read_images, read_labels
from mnist_dvc.paths import RAW_DIR
from mnist_dvc.trained_models import load_pipeline_models

COMMAND = [str(Path(sys.executable).with_name("mnist-dvc")), "predict"]
REPEATS = 5
N_PICTURES = 1000


def wall_seconds(args: list[str]) -> float:
    """Median of REPEATS runs of the whole command."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    images = read_images(RAW_DIR / TEST_IMAGES)
    labels = read_labels(RAW_DIR / TEST_LABELS)
    evaluation = json.loads(Path("metrics/evaluation.json").read_text())
    results = {"sgemm_gflops_2_threads": round(matmul_gflops(), 1), "repeats": REPEATS}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tensor = tmp / "mnist_test.pth"
        torch.save(torch.from_numpy((images.astype(np.float32) / 255 - 0.5) / 0.5)[:, None], tensor)
        results["import_torch_s"] = round(wall_seconds([sys.executable, "-c", "import torch"]), 3)
        results["tensor_10000"] = {}
        for model in ("cnn", "torch_mlp", "numpy_mlp", "ensemble"):
            out = tmp / f"{model}.txt"
            seconds = wall_seconds([*COMMAND, str(tensor), "--model", model, "--out", str(out)])
            predicted = np.loadtxt(out, dtype=int)
            results["tensor_10000"][model] = {
                "wall_s": round(seconds, 3),
                "accuracy": float((predicted == labels).mean()),
                "evaluate_accuracy": evaluation[model]["accuracy"],
            }
        png = tmp / "digit.png"
        Image.fromarray(images[0]).save(png)
        results["one_png_cnn_wall_s"] = round(
            wall_seconds([*COMMAND, str(png), "--out", str(tmp / "p.txt")]), 3
        )

        rng = np.random.default_rng(0)
        originals, moved = tmp / "original", tmp / "moved"
        originals.mkdir()
        moved.mkdir()
        for i, image in enumerate(images[:N_PICTURES]):
            Image.fromarray(image).save(originals / f"{i:04d}.png")
            big = Image.fromarray(255 - image).resize((60, 60), Image.Resampling.BICUBIC)
            page = Image.new("L", (100, 100), 255)
            page.paste(big, tuple(int(v) for v in rng.integers(0, 41, size=2)))
            page.save(moved / f"{i:04d}.png")
        # Each picture read once, as predict reads it; one that does not give exactly one digit disagrees.
        read = {
            kind: [read_digits(p).images for p in sorted(folder.iterdir())]
            for kind, folder in (("original_28x28", originals), ("inverted_100x100_off_centre", moved))
        }
        agreement = {}
        for name, model in load_pipeline_models(["cnn", "torch_mlp", "numpy_mlp"]).items():
            reference = model.log_proba_of_unit_images(images[:N_PICTURES] / 255.0).argmax(1)
            agreement[name] = {}
            for kind, found in read.items():
                single = np.array([len(d) == 1 for d in found])
                digits = np.stack([d[0] if len(d) == 1 else np.zeros((28, 28), np.float32) for d in found])
                same = single & (model.log_proba_of_unit_images(digits).argmax(1) == reference)
                agreement[name][kind] = float(same.mean())
        results["png_agreement_first_1000"] = agreement
    save("predict", results)


if __name__ == "__main__":
    main()
