"""Evaluating trained models on the official test set: one loader for every model kind, sklearn metrics.

Models are loaded through the same loaders the trainers' files are written with, so a file that a
trainer could not have produced is refused here with its name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, f1_score, log_loss

from mnist_dvc import PipelineError
from mnist_dvc.dataset import Normalization

CLASSES = list(range(10))


@dataclass
class LoadedModel:
    name: str
    path: Path
    meta: dict
    param_count: int
    predict_log_proba: object  # callable: float32 images (N, 1, 28, 28) -> log-probabilities (N, 10)


def load_model(name: str, path: Path) -> LoadedModel:
    """A NumPy MLP (.npz) or a PyTorch checkpoint (.pt), ready to predict."""
    path = Path(path)
    if path.suffix == ".npz":
        from mnist_dvc.numpy_mlp.io import load_model as load_npz
        from mnist_dvc.numpy_mlp.model import predict_log_proba

        params, meta = load_npz(path)
        return LoadedModel(
            name,
            path,
            meta,
            sum(p.size for p in params),
            lambda x: predict_log_proba(params, x, meta["activation"]),
        )
    if path.suffix == ".pt":
        import torch

        from mnist_dvc.torch_nets.checkpoint import load_checkpoint
        from mnist_dvc.torch_nets.train import predict_logits

        model, meta = load_checkpoint(path)
        count = sum(p.numel() for p in model.parameters())

        def predict(x: np.ndarray) -> np.ndarray:
            logits = predict_logits(model, torch.from_numpy(x), torch.device("cpu"))
            return torch.log_softmax(logits, 1).numpy()

        return LoadedModel(name, path, meta, count, predict)
    raise PipelineError(f"{path}: unknown model file type {path.suffix!r} (expected .npz or .pt)")


def check_normalization(model: LoadedModel, data_norm: Normalization) -> None:
    """A model trained on differently scaled inputs would be evaluated on garbage: refuse it."""
    norm = model.meta.get("normalization", {})
    if norm.get("mean") != data_norm.mean or norm.get("std") != data_norm.std:
        raise PipelineError(
            f"{model.path}: trained with normalization {norm}, but data/prepared uses "
            f"{{'method': {data_norm.method!r}, 'mean': {data_norm.mean}, 'std': {data_norm.std}}}; "
            "retrain it (dvc repro)"
        )


def score(labels: np.ndarray, log_probs: np.ndarray) -> dict:
    """Headline metrics (for `dvc metrics diff`), computed with scikit-learn."""
    predicted = log_probs.argmax(axis=1)
    # float32 log-probabilities exponentiate to rows that miss 1 by ~1e-7; renormalize in float64 so
    # scikit-learn scores the model's distribution rather than warning about rounding.
    probs = np.exp(log_probs.astype(np.float64))
    probs /= probs.sum(axis=1, keepdims=True)
    return {
        "accuracy": float(accuracy_score(labels, predicted)),
        "macro_f1": float(f1_score(labels, predicted, average="macro")),
        "log_loss": float(log_loss(labels, probs, labels=CLASSES)),
        "errors": int((predicted != labels).sum()),
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
        }
        for c in CLASSES
    ]


def confusion(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    return confusion_matrix(labels, predicted, labels=CLASSES)


def plot_confusion_png(path: Path, matrix: np.ndarray, title: str) -> None:
    """A confusion matrix with every count written in its cell, for people who just open files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mnist_dvc.fileio import atomic_open

    fig, ax = plt.subplots(figsize=(7, 6))
    shown = np.log1p(matrix)  # log colour scale: otherwise the diagonal hides every error
    ax.imshow(shown, cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(
            j,
            i,
            str(count),
            ha="center",
            va="center",
            fontsize=8,
            color="white" if shown[i, j] > shown.max() * 0.6 else "black",
        )
    ax.set(xticks=CLASSES, yticks=CLASSES, xlabel="predicted", ylabel="actual", title=title)
    fig.tight_layout()
    with atomic_open(path) as handle:
        fig.savefig(handle, format="png", dpi=100)
    plt.close(fig)
