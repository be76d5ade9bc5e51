"""`mnist-dvc predict`: the trained models on a user's own files -> predictions.txt, probabilities, picture.

Everything is read and predicted before anything is written, and the outputs are written together
(each to a temporary file, all renamed once every one was written): a bad input or an unwritable output
leaves every output as it was, never half of one.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
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
from mnist_dvc.paths import project_root
from mnist_dvc.reading.digits import FORMATS, SCALE_RULE, SCALES, Digits, expand, read_digits
from mnist_dvc.reading.photo import INKS

PICTURE_LIMIT = 16
# How a picture's line in the output reads when it is not one digit (README, "Use the models").
NO_DIGIT = "-"  # nothing written on it: a blank page, only ruling lines, a photo of something else
SEVERAL = "?"  # several digits side by side, and --number was not given


@dataclass
class Prediction:
    sources: list[str]  # "file" or "file[i]", one per digit image, in input order
    images: np.ndarray  # (N, 28, 28) in [0, 1], what the models were given (before normalization)
    probs: np.ndarray  # (N, 10)

    @property
    def labels(self) -> np.ndarray:
        return self.probs.argmax(axis=1)


@dataclass
class Line:
    """One line of the output: a digit of a tensor file, or a whole picture (none, one or several)."""

    source: str
    digits: list[int]  # what the models read, left to right
    confidence: list[float]
    picture: bool

    def text(self, number: bool) -> str:
        if not self.digits:
            return NO_DIGIT
        if len(self.digits) > 1 and not number:
            return SEVERAL
        return "".join(map(str, self.digits))


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


def predict_digits(models: dict[str, TrainedModel], digits: list[Digits]) -> Prediction:
    """The one model's, or the ensemble's, probabilities for every digit image of ``digits``."""
    images = np.concatenate([d.images for d in digits] + [np.zeros((0, 28, 28), np.float32)])
    if len(images) == 0:
        return Prediction([], images, np.zeros((0, 10)))
    log_probs = each_model_log_proba(models, images)
    combined = log_probs[ENSEMBLE] if len(models) > 1 else next(iter(log_probs.values()))
    return Prediction([s for d in digits for s in d.sources()], images, probabilities(combined))


def output_lines(digits: list[Digits], prediction: Prediction) -> list[Line]:
    """A line per picture, and per image of a tensor, .npy or IDX file, in input order."""
    lines, k = [], 0
    for d in digits:
        n = len(d.images)
        labels = [int(v) for v in prediction.labels[k : k + n]]
        confidence = [float(v) for v in prediction.probs[k : k + n].max(axis=1)]
        if d.picture:
            lines.append(Line(str(d.path), labels, confidence, True))
        else:
            lines.extend(
                Line(s, [v], [c], False) for s, v, c in zip(d.sources(), labels, confidence, strict=True)
            )
        k += n
    return lines


def probs_rows(prediction: Prediction, lines: list[Line]) -> list[dict]:
    """One row per digit image for ``--probs``: its source, the predicted digit, the ten probabilities;
    and a row for each picture with no digit, its digit and probabilities empty."""
    rows = iter(
        {"source": source, "predicted": int(label), **{f"p{c}": float(v) for c, v in enumerate(p)}}
        for source, label, p in zip(prediction.sources, prediction.labels, prediction.probs, strict=True)
    )
    out = []
    for line in lines:
        if line.digits:
            out.extend(next(rows) for _ in line.digits)
        else:
            out.append({"source": line.source, "predicted": NO_DIGIT, **{f"p{c}": "" for c in range(10)}})
    return out


def picture_png(prediction: Prediction, model_label: str) -> bytes:
    from mnist_dvc.pictures import png_bytes, probability_rows

    n = min(PICTURE_LIMIT, len(prediction.sources))
    titles = [_short(s) for s in prediction.sources[:n]]
    more = f" (first {n} of {len(prediction.sources)})" if len(prediction.sources) > n else ""
    if n == 0:
        more = ": no digit found in any input"
    return png_bytes(
        probability_rows(prediction.images[:n], prediction.probs[:n], titles, f"{model_label}{more}")
    )


def _short(source: str, width: int = 28) -> str:
    name = Path(source).name
    return name if len(name) <= width else "…" + name[-(width - 1) :]


def summary(lines: list[Line], files: int, label: str, out: str, number: bool) -> str:
    """What the command says when done: one picture's answer, or counts for many."""
    if len(lines) == 1:
        line = lines[0]
        if not line.digits:
            return f"{line.source}: no digit found -> {out} ({NO_DIGIT})"
        shares = " ".join(f"{c:.0%}" for c in line.confidence)
        if len(line.digits) == 1:
            return f"{line.source}: {line.digits[0]} ({shares}) -> {out}"
        read = " ".join(map(str, line.digits))
        hint = "" if number else f"; written {SEVERAL}, --number writes them as one number"
        return f"{line.source}: {len(line.digits)} digits side by side: {read} ({shares}){hint} -> {out}"
    counts = np.bincount([d for line in lines for d in line.digits], minlength=10)
    blank = [line for line in lines if not line.digits]
    several = [line for line in lines if len(line.digits) > 1]
    text = [
        f"mnist-dvc predict: {len(lines)} lines from {files} file(s) with {label} -> {out}",
        "  digits read, count per digit: " + "  ".join(f"{d}: {c}" for d, c in enumerate(counts)),
    ]
    if blank:
        text.append(f"  no digit found ({NO_DIGIT}): {len(blank)}")
    if several:
        text.append(
            f"  several digits side by side: {len(several)}"
            + ("" if number else f" (written {SEVERAL}; --number writes them as one number)")
        )
    return "\n".join(text)


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
        f"and write them as one number; without it such a picture's line is {SEVERAL}",
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
    digits = [read_digits(f, args.input_scale, first.normalization, args.ink, judge) for f in files]
    prediction = predict_digits(models, digits)
    lines = output_lines(digits, prediction)
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
