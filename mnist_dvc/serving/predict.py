"""`mnist-dvc predict`: the trained models on a user's own files -> predictions.txt, probabilities, picture.

Everything is read and predicted before anything is written, and the outputs are written together
(each to a temporary file, all renamed once every one was written): a bad input or an unwritable output
leaves every output as it was, never half of one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from mnist_dvc import PipelineError
from mnist_dvc.fileio import csv_text, write_together
from mnist_dvc.models import registry
from mnist_dvc.models.trained_models import (
    ENSEMBLE,
    TrainedModel,
    each_model_log_proba,
    judge_of,
    load_model,
    load_pipeline_models,
    probabilities,
)
from mnist_dvc.params import PARAMS_FILE
from mnist_dvc.paths import READER_FILE, project_root
from mnist_dvc.reading.arrays import SCALE_RULE, SCALES
from mnist_dvc.reading.digits import FORMATS, Digits, expand, is_picture, read_digits
from mnist_dvc.reading.number_reader import load_reader, overruled, read_rows
from mnist_dvc.reading.photo import INKS
from mnist_dvc.serving.outputs import (
    NO_DIGIT,
    PICTURE_LIMIT,
    SEVERAL,
    Prediction,
    output_lines,
    picture_png,
    probs_rows,
    summary,
)


def select_models(model: str, model_file: str | None) -> dict[str, TrainedModel]:
    if model_file is not None:
        return {Path(model_file).stem: load_model(Path(model_file).stem, Path(model_file))}
    names = pipeline_model_names()
    if names and model != ENSEMBLE and model not in names:
        choices = ", ".join([*names, ENSEMBLE])
        raise PipelineError(f"--model {model!r}: no such model; choose one of {choices}")
    return load_pipeline_models(None if model == ENSEMBLE else [model])


def pipeline_model_names() -> list[str]:
    """The models params.yaml lists, for --help and --model's choices; none when it cannot be read."""
    try:
        return list(registry.models(project_root() / PARAMS_FILE))
    except PipelineError:
        return []


def predict_digits(models: dict[str, TrainedModel], inputs: list[Digits]) -> Prediction:
    """The one model's, or the ensemble's, probabilities for every digit image of ``inputs``; the
    number reader's for the digits it read."""
    images = np.concatenate([d.images for d in inputs] + [np.zeros((0, 28, 28), np.float32)])
    if len(images) == 0:
        return Prediction([], images, np.zeros((0, 10)))
    log_probs = each_model_log_proba(models, images)
    combined = log_probs[ENSEMBLE] if len(models) > 1 else next(iter(log_probs.values()))
    read = np.concatenate([read_rows(len(d.images), d.read) for d in inputs])
    sources = [s for d in inputs for s in d.sources()]
    return Prediction(sources, images, overruled(probabilities(combined), read), ~np.isnan(read[:, 0]))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "inputs", nargs="+",
        help="files or folders (folders: every file under them, subfolders too, sorted by path); "
        f"reads {FORMATS}",
    )  # fmt: skip
    names = pipeline_model_names()
    parser.add_argument(
        "--model", default="cnn",
        help=f"a model of the pipeline ({', '.join(names) or 'params.yaml'}: params.yaml `models`, each the "
        f"committee of its seeds), or {ENSEMBLE}: the mean of every model's probabilities (default: cnn)",
    )  # fmt: skip
    parser.add_argument(
        "--model-file", metavar="PATH",
        help="any model file the trainers write (.npz, .pt or its .onnx twin); instead of --model",
    )  # fmt: skip
    parser.add_argument(
        "--number", action="store_true",
        help=f"read several digits side by side in a picture (a written number such as 2025) left to right "
        f"and write them as one number (digits that touch are read whole by the number reader, where the "
        f"pipeline trained it); without it such a picture's line is {SEVERAL}",
    )  # fmt: skip
    parser.add_argument(
        "--ink", choices=INKS, default="auto",
        help="pictures: dark ink on light paper, or light chalk or marker on a dark board; auto decides "
        "from each picture (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--input-scale", choices=SCALES, default="auto",
        help="how tensor/.npy values map to pixels: pixels 0-255, unit [0, 1], notebook [-1, 1] (the "
        "notebook's (x/255 - 0.5)/0.5), standard (normalized with the model's mean and std). "
        + SCALE_RULE.replace("%", "%%"),
    )  # fmt: skip
    parser.add_argument(
        "--out", default="predictions.txt",
        help=f"one line per picture (its digit, {NO_DIGIT} for no digit, {SEVERAL} for several) and per "
        "tensor image (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--probs",
        metavar="FILE.csv",
        help="also write the ten class probabilities per digit read, calibrated: each model's softmax is "
        "temperature-scaled with the temperature its trainer fitted on the validation split (the "
        "ensemble averages the scaled probabilities); the predicted digits are the same either way",
    )
    parser.add_argument(
        "--picture", metavar="FILE.png",
        help=f"also draw the first {PICTURE_LIMIT} digit images the models received, each beside its class "
        "probabilities",
    )  # fmt: skip


def check_outputs(args: argparse.Namespace, files: list[Path]) -> None:
    """Refuse, before any work, outputs that would overwrite an input or each other, or are folders."""
    given = [(flag, p) for flag, p in (("--out", args.out), ("--probs", args.probs),
                                        ("--picture", args.picture)) if p is not None]  # fmt: skip
    for flag, name in given:
        if not name.strip():
            raise PipelineError(f"{flag}: an empty file name; give a file name")
    named = [(flag, Path(name)) for flag, name in given]
    inputs = {f.resolve() for f in files}
    seen: dict[Path, str] = {}
    for flag, out in named:
        if out.is_dir():
            raise PipelineError(f"{out}: {flag} names a folder; give a file name")
        if out.resolve() in inputs:
            raise PipelineError(f"{out}: is one of the inputs; choose another output file")
        if out.resolve() in seen:
            raise PipelineError(f"{out}: given to both {seen[out.resolve()]} and {flag}; choose two files")
        seen[out.resolve()] = flag


def run(args: argparse.Namespace) -> None:
    files, skipped = expand(args.inputs)
    check_outputs(args, files)
    for reason in skipped:
        print(f"mnist-dvc predict: {reason}", file=sys.stderr)
    models = select_models(args.model, args.model_file)
    first = next(iter(models.values()))
    judge = judge_of(models)
    # Only pictures are read with the number reader: tensor files alone need not load it.
    reader = load_reader(project_root() / READER_FILE) if any(map(is_picture, files)) else None
    inputs = [
        read_digits(f, args.input_scale, first.normalization, args.ink, judge, reader, args.number)
        for f in files
    ]
    prediction = predict_digits(models, inputs)
    lines = output_lines(inputs, prediction)
    label = args.model_file or args.model
    # Render everything first: a failure here leaves no output behind.
    outputs = {args.out: "".join(f"{line.text(args.number)}\n" for line in lines).encode()}
    if args.probs:
        outputs[args.probs] = csv_text(probs_rows(prediction, lines)).encode()
    if args.picture:
        outputs[args.picture] = picture_png(prediction, label)
    try:
        write_together(outputs)  # all or none: a failed third file leaves the first two as they were
    except OSError as exc:
        message = f"{exc.filename}: cannot write it: {exc.strerror}; no output was changed"
        raise PipelineError(message) from None
    print(summary(lines, len(files), label, args.out, args.number))
