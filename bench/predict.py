"""Benchmark of `mnist-dvc predict`. Run `python -m bench.predict` after `dvc repro` (it needs the models).

Whole-command wall time (median of 5) and peak memory, interpreter start and model load included, as a
user runs it, beside `python -c "import torch"` alone (the yardstick: machines differ 4x in speed, so the
targets are ratios to it):
* the 10,000 official test images as one notebook-format tensor file (pixels (x/255 - 0.5)/0.5), per model
  (reading a .pth imports torch: that is its format);
* the same images as an .npy array of pixels, per model;
* one PNG picture of a digit (28x28), one phone-sized photo (640x480, a digit on ruled paper) and a
  phone's 12-Mpixel JPEG (4000x3000, a sheet on a desk).
The torch models run through their ONNX twins; the same models through torch must give the same digit
for every test image, and probabilities within 1e-5.
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
from bench.photos import compose, make_picture
from mnist_dvc.data.idx import TEST_IMAGES, TEST_LABELS, read_images, read_labels
from mnist_dvc.models.trained_models import load_pipeline_models
from mnist_dvc.paths import RAW_DIR
from mnist_dvc.reading.digits import read_digits

COMMAND = [str(Path(sys.executable).with_name("mnist-dvc")), "predict"]
REPEATS = 5
N_PICTURES = 1000


# Peak memory of a command, measured by a small launcher: a child forked from this (large) process would
# report this process's size as its own peak.
PEAK = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def measure(args: list[str]) -> dict:
    """Median wall seconds of REPEATS runs of the whole command, and its peak resident memory (MB)."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    launcher = subprocess.run([sys.executable, "-c", PEAK, *args], check=True, capture_output=True, text=True)
    peak_mb = int(launcher.stdout.split()[-1]) / 1024  # KB on Linux
    return {"wall_s": round(statistics.median(times), 3), "peak_mb": round(peak_mb, 1)}


def wall_seconds(args: list[str]) -> float:
    return measure(args)["wall_s"]


def onnx_against_torch(images: np.ndarray) -> dict:
    """The torch models through their ONNX twins and through torch, on the same images."""
    from mnist_dvc.models.model_file import read_through_torch
    from mnist_dvc.models.registry import read
    from mnist_dvc.models.trained_models import TrainedModel, load_model

    out = {}
    entries, seeds = read()
    for entry in entries.values():
        if entry.family != "torch":
            continue
        path = entry.file(seeds[0])
        onnx, torch_ = load_model(entry.name, path), TrainedModel(entry.name, [read_through_torch(path)])
        p_onnx = np.exp(onnx.log_proba_of_unit_images(images))
        p_torch = np.exp(torch_.log_proba_of_unit_images(images))
        out[entry.name] = {
            "images": len(images),
            "same_digit_share": float((p_onnx.argmax(1) == p_torch.argmax(1)).mean()),
            "max_abs_probability_difference": float(np.abs(p_onnx - p_torch).max()),
        }
    return out


def main() -> None:
    images = read_images(RAW_DIR / TEST_IMAGES)
    labels = read_labels(RAW_DIR / TEST_LABELS)
    evaluation = json.loads(Path("metrics/evaluation.json").read_text())
    results = {"sgemm_gflops_2_threads": round(matmul_gflops(), 1), "repeats": REPEATS}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tensor = tmp / "mnist_test.pth"
        torch.save(torch.from_numpy((images.astype(np.float32) / 255 - 0.5) / 0.5)[:, None], tensor)
        results["import_torch"] = measure([sys.executable, "-c", "import torch"])
        torch_s = results["import_torch"]["wall_s"]
        results["onnx_vs_torch"] = onnx_against_torch(images / 255.0)
        array = tmp / "mnist_test.npy"
        np.save(array, images)
        results["npy_10000"] = {}
        for model in ("cnn", "torch_mlp", "numpy_mlp", "ensemble"):
            run = measure([*COMMAND, str(array), "--model", model, "--out", str(tmp / f"{model}.txt")])
            predicted = np.loadtxt(tmp / f"{model}.txt", dtype=int)
            results["npy_10000"][model] = {**run, "of_import_torch": round(run["wall_s"] / torch_s, 2),
                                           "accuracy": float((predicted == labels).mean())}  # fmt: skip
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
        photo = tmp / "photo.png"
        compose([images[0]], "ruled_ballpoint", np.random.default_rng(0)).resize((640, 480)).save(photo)
        # A phone's 12-Mpixel JPEG: a sheet on a desk (bench.scenes), enlarged to 4000x3000.
        phone = tmp / "phone.jpg"
        scene, _, _ = make_picture("sheet_on_desk", 0, 0, (images, labels))
        scene.resize((4000, 3000), Image.Resampling.BICUBIC).save(phone, quality=90)
        pictures = (("one_png_cnn", png), ("one_photo_cnn", photo), ("one_12mpixel_photo_cnn", phone))
        for name, picture in pictures:
            run = measure([*COMMAND, str(picture), "--out", str(tmp / "p.txt")])
            results[name] = {**run, "of_import_torch": round(run["wall_s"] / torch_s, 2)}

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
