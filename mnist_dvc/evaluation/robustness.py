"""Accuracy under corruption (in the spirit of MNIST-C, Mu & Gilmer 2019): every model on the same
stratified test subset, clean and under every corruption and severity of
:mod:`mnist_dvc.evaluation.corruptions`."""

from __future__ import annotations

import numpy as np

from mnist_dvc.data.dataset import TEST_SIZE
from mnist_dvc.evaluation.corruptions import CORRUPTIONS
from mnist_dvc.models.photo_effects import SEVERITIES
from mnist_dvc.models.trained_models import TrainedModel, each_model_log_proba
from mnist_dvc.params import StageSchema
from mnist_dvc.validation import choice, integer, list_of

SCHEMA = StageSchema(
    "robustness",
    {
        # Which corruptions to measure, each at severities 1-5 (evaluation/corruptions.py says what they do).
        "corruptions": list_of(choice(*CORRUPTIONS), min_len=1, unique=True),
        "images": integer(10, TEST_SIZE),  # test images used, stratified by digit
        "seed": integer(0, 2**32 - 1),  # picks the images
        "num_threads": integer(1, 256),
    },
)


def accuracy_table(
    models: dict[str, TrainedModel], unit_images: np.ndarray, labels: np.ndarray, corruptions: list[str]
) -> dict[str, dict[str, list[float]]]:
    """{model (and ensemble): {corruption: [accuracy at severity 0, 1, ..., 5]}}; severity 0 is clean."""

    def accuracies(images: np.ndarray) -> dict[str, float]:
        log_probs = each_model_log_proba(models, images)
        return {name: float((lp.argmax(1) == labels).mean()) for name, lp in log_probs.items()}

    clean = accuracies(unit_images)
    table = {name: {} for name in clean}
    for corruption in corruptions:
        per_severity = [clean] + [
            accuracies(CORRUPTIONS[corruption](unit_images, s)) for s in range(1, SEVERITIES + 1)
        ]
        for name in clean:
            table[name][corruption] = [row[name] for row in per_severity]
    return table


def summary(table: dict[str, dict[str, list[float]]]) -> dict:
    """Per model: clean accuracy, the mean over every corruption and severity 1-5, and per corruption."""
    out = {}
    for name, curves in table.items():
        per_corruption = {c: float(np.mean(acc[1:])) for c, acc in curves.items()}
        out[name] = {
            "clean_accuracy": next(iter(curves.values()))[0],
            "mean_corrupted_accuracy": float(np.mean(list(per_corruption.values()))),
            "corruptions": per_corruption,
        }
    return out


def curve_rows(table: dict[str, dict[str, list[float]]], corruption: str) -> list[dict]:
    """One corruption's plot data: accuracy against severity, one line per model."""
    return [
        {"model": name, "severity": severity, "accuracy": accuracy}
        for name, curves in table.items()
        for severity, accuracy in enumerate(curves[corruption])
    ]
