"""Evaluating trained models on the official test set: scikit-learn metrics and the per-digit tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, f1_score, log_loss

from mnist_dvc.data.dataset import TEST_SIZE
from mnist_dvc.models.calibration import expected_calibration_error
from mnist_dvc.models.trained_models import probabilities
from mnist_dvc.params import StageSchema
from mnist_dvc.validation import integer, list_of

SCHEMA = StageSchema(
    "evaluate",
    {
        "num_threads": integer(1, 256),
        # Test-set indices drawn in metrics/examples/<model>.png for every model (chosen once).
        "example_indices": list_of(integer(0, TEST_SIZE - 1), min_len=1, unique=True),
    },
)

CLASSES = list(range(10))


def score(labels: np.ndarray, log_probs: np.ndarray) -> dict:
    """Headline metrics (for `dvc metrics diff`), computed with scikit-learn."""
    predicted = log_probs.argmax(axis=1)
    probs = probabilities(log_probs)
    return {
        "accuracy": float(accuracy_score(labels, predicted)),
        "macro_f1": float(f1_score(labels, predicted, average="macro")),
        "log_loss": float(log_loss(labels, probs, labels=CLASSES)),
        "errors": int((predicted != labels).sum()),
    }


def calibration_metrics(labels: np.ndarray, raw_log_probs: np.ndarray, log_probs: np.ndarray) -> dict:
    """ECE and log-loss before (``raw_log_probs``, temperature 1) and after temperature scaling."""
    raw, calibrated = probabilities(raw_log_probs), probabilities(log_probs)
    return {
        "ece": expected_calibration_error(calibrated, labels),
        "ece_uncalibrated": expected_calibration_error(raw, labels),
        "log_loss_uncalibrated": float(log_loss(labels, raw, labels=CLASSES)),
    }


def per_class_rows(labels: np.ndarray, predicted: np.ndarray) -> list[dict]:
    """scikit-learn's classification_report, one row per digit."""
    report = classification_report(labels, predicted, labels=CLASSES, output_dict=True, zero_division=0)
    return [
        {
            "class": str(c),
            "precision": report[str(c)]["precision"],
            "recall": report[str(c)]["recall"],
            "f1": report[str(c)]["f1-score"],
            "support": int(report[str(c)]["support"]),
            # What people compare at 99% accuracy: F1 bars all look full, error counts do not.
            "errors": int(((labels == c) & (predicted != c)).sum()),
        }
        for c in CLASSES
    ]


def confusion(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    return confusion_matrix(labels, predicted, labels=CLASSES)


def most_confident_errors(labels: np.ndarray, log_probs: np.ndarray, k: int) -> np.ndarray:
    """Indices of the (at most) ``k`` wrong predictions made with the highest probability."""
    predicted = log_probs.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    confidence = log_probs[wrong, predicted[wrong]]
    return wrong[np.argsort(-confidence, kind="stable")[:k]]


NOTEBOOK = {  # the notebook this project grew from, for the report
    "numpy_mlp": "97.65% (784-128-10 sigmoid, hold-out)",
    "torch_mlp": "88.9% (784-128-64-10, validation)",
    "cnn": "96.06% (simple CNN), 97.59% (improved CNN)",
    "ensemble": "-",
}


def report_markdown(metrics: dict, pictures: dict[str, list[str]]) -> str:
    """metrics/report.md: the page a person reads first. ``pictures``: title -> paths relative to metrics/."""

    def cell(row: dict, key: str, fmt: str) -> str:
        return format(row[key], fmt) if key in row else "-"

    lines = [
        "# mnist-dvc: the models side by side",
        "",
        "Test set: the 10,000 official MNIST test images. Written by the `evaluate` stage; the pictures are "
        "in this folder, and `dvc plots diff` compares them between revisions.",
        "",
        "| model | accuracy | errors | macro-F1 | log-loss | ECE (T = 1 → fitted T) | parameters "
        "| training s | inference images/s | the notebook |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, row in metrics.items():
        lines.append(
            f"| {name} | {row['accuracy']:.2%} | {row['errors']} | {row['macro_f1']:.4f} | "
            f"{row['log_loss']:.4f} | {row['ece_uncalibrated']:.4f} → {row['ece']:.4f} | "
            f"{row['parameters']:,} | {cell(row, 'train_seconds', '.1f')} | "
            f"{cell(row, 'inference_images_per_s', ',')} | {NOTEBOOK.get(name, '-')} |"
        )
    lines += [
        "",
        "Probabilities are temperature-scaled: each trainer fits one temperature T on the validation split "
        "(it changes no prediction); log-loss is after scaling. ECE: expected calibration error, 15 bins. "
        "The ensemble averages the models' scaled probabilities; its training time is theirs together.",
    ]
    several = {name: row for name, row in metrics.items() if len(row.get("seeds", {})) > 1}
    if several:
        lines += [
            "",
            "## Seeds",
            "",
            "Each model is trained once per seed (params.yaml `seeds`); the table above shows each model's "
            "committee, the mean of its seeds' scaled probabilities. Standard deviation over the seeds.",
            "",
            "| model | each seed | mean ± std | committee |",
            "| --- | --- | ---: | ---: |",
        ]
        for name, row in several.items():
            each = ", ".join(f"{seed}: {value['accuracy']:.2%}" for seed, value in row["seeds"].items())
            lines.append(
                f"| {name} | {each} | {row['accuracy_mean']:.2%} ± {row['accuracy_std']:.2%} "
                f"| {row['accuracy']:.2%} |"
            )
    for title, paths in pictures.items():
        lines += ["", f"## {title}", ""]
        lines += [f"![{Path(path).stem}]({path})" for path in paths]
    return "\n".join(lines) + "\n"
