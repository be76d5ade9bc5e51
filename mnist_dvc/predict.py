"""`mnist-dvc predict`: the trained models on a user's own files -> predictions.txt, probabilities, picture.

Everything is read and predicted before anything is written, and each output is written atomically:
a bad input leaves no output file, whole or half.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_dvc import PipelineError
from mnist_dvc.digits import SCALE_RULE, SCALES, Digits, expand, read_digits
from mnist_dvc.fileio import write_bytes, write_csv, write_text
from mnist_dvc.models import (
    ENSEMBLE,
    LoadedModel,
    each_model_log_proba,
    load_model,
    load_pipeline_models,
    probabilities,
)
from mnist_dvc.paths import MODEL_FILES

MODEL_CHOICES = (*MODEL_FILES, ENSEMBLE)
PICTURE_LIMIT = 16


@dataclass
class Prediction:
    sources: list[str]  # "file" or "file[i]", one per image, in input order
    images: np.ndarray  # (N, 28, 28) in [0, 1], what the models were given (before normalization)
    probs: np.ndarray  # (N, 10)

    @property
    def labels(self) -> np.ndarray:
        return self.probs.argmax(axis=1)


def select_models(model: str, model_file: str | None) -> dict[str, LoadedModel]:
    if model_file is not None:
        return {Path(model_file).stem: load_model(Path(model_file).stem, Path(model_file))}
    return load_pipeline_models(list(MODEL_FILES) if model == ENSEMBLE else [model])


def predict_digits(models: dict[str, LoadedModel], digits: list[Digits]) -> Prediction:
    """The one model's, or the ensemble's, probabilities for every image of ``digits``."""
    images = np.concatenate([d.images for d in digits])
    log_probs = each_model_log_proba(models, images)
    combined = log_probs[ENSEMBLE] if len(models) > 1 else next(iter(log_probs.values()))
    return Prediction([s for d in digits for s in d.sources()], images, probabilities(combined))


def probs_rows(prediction: Prediction) -> list[dict]:
    """One row per image for ``--probs``: its source, the predicted digit, the ten probabilities."""
    return [
        {"source": source, "predicted": int(label), **{f"p{c}": float(v) for c, v in enumerate(p)}}
        for source, label, p in zip(prediction.sources, prediction.labels, prediction.probs, strict=True)
    ]


def picture_png(prediction: Prediction, model_label: str) -> bytes:
    from mnist_dvc.pictures import png_bytes, probability_rows

    n = min(PICTURE_LIMIT, len(prediction.sources))
    titles = [_short(s) for s in prediction.sources[:n]]
    more = f" (first {n} of {len(prediction.sources)})" if len(prediction.sources) > n else ""
    return png_bytes(
        probability_rows(prediction.images[:n], prediction.probs[:n], titles, f"{model_label}{more}")
    )


def _short(source: str, width: int = 28) -> str:
    name = Path(source).name
    return name if len(name) <= width else "…" + name[-(width - 1) :]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", help="files or folders (folders: their files, sorted by name)")
    parser.add_argument(
        "--model", choices=MODEL_CHOICES, default="cnn",
        help="a model of the pipeline (data/models/); ensemble averages the probabilities of all three "
        "(default: cnn)",
    )  # fmt: skip
    parser.add_argument(
        "--model-file", metavar="PATH", help="any model file the trainers write (.npz or .pt)"
    )
    parser.add_argument(
        "--input-scale", choices=SCALES, default="auto",
        help="how tensor/.npy values map to pixels: pixels 0-255, unit [0, 1], seed [-1, 1] (the "
        "notebook's (x/255 - 0.5)/0.5), standard (normalized with the model's mean and std). "
        + SCALE_RULE.replace("%", "%%"),
    )  # fmt: skip
    parser.add_argument(
        "--out", default="predictions.txt", help="one predicted digit per line (default: %(default)s)"
    )
    parser.add_argument(
        "--probs",
        metavar="FILE.csv",
        help="also write the ten class probabilities per image, calibrated: each model's softmax is "
        "temperature-scaled with the temperature its trainer fitted on the validation split (the "
        "ensemble averages the scaled probabilities); the predicted digits are the same either way",
    )
    parser.add_argument(
        "--picture", metavar="FILE.png",
        help=f"also draw the first {PICTURE_LIMIT} images, each beside its class probabilities",
    )  # fmt: skip


def run(args: argparse.Namespace) -> None:
    files = expand(args.inputs)
    outputs = [Path(p) for p in (args.out, args.probs, args.picture) if p]
    inputs = {f.resolve() for f in files}
    for out in outputs:
        if out.resolve() in inputs:
            raise PipelineError(f"{out}: is one of the inputs; choose another output file")
    models = select_models(args.model, args.model_file)
    first = next(iter(models.values()))
    standard = (first.meta["normalization"]["mean"], first.meta["normalization"]["std"])
    digits = [read_digits(f, args.input_scale, standard) for f in files]
    prediction = predict_digits(models, digits)
    label = args.model_file or args.model
    # Render everything first: a failure here leaves no output behind.
    digits_text = "".join(f"{int(d)}\n" for d in prediction.labels)
    rows = probs_rows(prediction) if args.probs else None
    picture = picture_png(prediction, label) if args.picture else None
    write_text(args.out, digits_text)
    if rows is not None:
        write_csv(args.probs, rows)
    if picture is not None:
        write_bytes(args.picture, picture)
    counts = np.bincount(prediction.labels, minlength=10)
    print(
        f"mnist-dvc predict: {len(prediction.sources)} image(s) from {len(files)} file(s) with {label} "
        f"-> {args.out} (digits 0-9: {' '.join(map(str, counts))})"
    )
