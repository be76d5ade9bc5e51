"""The pictures people open: digit grids, digits beside their class probabilities, confusion matrices.

matplotlib is imported inside each function, so code that draws nothing (`mnist-dvc predict` without
``--picture``) never pays for it. Every picture is written atomically.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from mnist_dvc.fileio import write_bytes

CLASSES = list(range(10))
HIGHLIGHT, OTHER = "#d62728", "#9ecae1"  # the predicted class, the other nine


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def png_bytes(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    _pyplot().close(fig)
    return buffer.getvalue()


def save_png(path: Path, fig) -> None:
    write_bytes(path, png_bytes(fig))


def digit_grid(images: np.ndarray, titles: list[str], ncols: int, suptitle: str = ""):
    """Digits (N, 28, 28), ink light, shown dark on white as on paper, each with a title."""
    plt = _pyplot()
    nrows = max(1, -(-len(images) // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.35 * ncols, 1.55 * nrows + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, title in zip(axes.flat, images, titles, strict=False):
        ax.imshow(image, cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(title, fontsize=8)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout()
    return fig


def probability_rows(images: np.ndarray, probs: np.ndarray, titles: list[str], suptitle: str = ""):
    """Each digit beside a bar chart of its ten class probabilities, the predicted class highlighted."""
    plt = _pyplot()
    n = len(images)
    ncols = 2 if n > 4 else 1
    nrows = max(1, -(-n // ncols))  # no digit at all: an empty row under the title that says so
    fig, axes = plt.subplots(
        nrows, 2 * ncols, figsize=(5.2 * ncols, 1.45 * nrows + 0.5), squeeze=False,
        gridspec_kw={"width_ratios": [1, 2.4] * ncols},
    )  # fmt: skip
    for ax in axes.flat:
        ax.axis("off")
    for i, (image, p, title) in enumerate(zip(images, probs, titles, strict=True)):
        row, col = divmod(i, ncols)
        ax_img, ax_bar = axes[row, 2 * col], axes[row, 2 * col + 1]
        ax_img.imshow(image, cmap="gray_r", vmin=0, vmax=1)
        ax_img.set_title(title, fontsize=7)
        predicted = int(np.argmax(p))
        ax_bar.axis("on")
        ax_bar.bar(CLASSES, p, color=[HIGHLIGHT if c == predicted else OTHER for c in CLASSES])
        ax_bar.set(ylim=(0, 1), xticks=CLASSES, yticks=[0, 0.5, 1])
        ax_bar.tick_params(labelsize=7)
        ax_bar.set_title(f"predicted {predicted} ({p[predicted]:.1%})", fontsize=8)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout()
    return fig


def confusion_figure(matrix: np.ndarray, title: str):
    """A confusion matrix with every count written in its cell, for people who just open files."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 6))
    shown = np.log1p(matrix)  # log colour scale: otherwise the diagonal hides every error
    ax.imshow(shown, cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        color = "white" if shown[i, j] > shown.max() * 0.6 else ("#b30000" if i != j and count else "black")
        ax.text(j, i, str(count), ha="center", va="center", fontsize=8, color=color)
    ax.set(xticks=CLASSES, yticks=CLASSES, xlabel="predicted", ylabel="actual", title=title)
    fig.tight_layout()
    return fig


def reliability_figure(before: dict[str, list[dict]], after: dict[str, list[dict]]):
    """One reliability diagram per model: accuracy against confidence per bin, before and after
    temperature scaling, with the diagonal a calibrated model would follow. Rows from
    :func:`mnist_dvc.models.calibration.reliability_rows`; point area shows how many images a bin holds."""
    plt = _pyplot()
    names = list(after)
    fig, axes = plt.subplots(1, len(names), figsize=(3.6 * len(names), 3.9), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        ax.plot([0, 1], [0, 1], color="#999999", lw=1, ls="--", label="calibrated")
        for rows, label, color in ((before[name], "T = 1", OTHER), (after[name], "fitted T", HIGHLIGHT)):
            x, y = [r["confidence"] for r in rows], [r["accuracy"] for r in rows]
            sizes = [8 + 120 * np.sqrt(r["count"] / max(c["count"] for c in rows)) for r in rows]
            ax.plot(x, y, color=color, lw=1)
            ax.scatter(x, y, s=sizes, color=color, label=label, zorder=3)
        ax.set(xlim=(0, 1.02), ylim=(0, 1.02), xlabel="confidence", title=name)
        ax.legend(fontsize=7, loc="upper left")
    axes[0][0].set_ylabel("accuracy")
    fig.suptitle("Reliability: accuracy of the test images in each confidence bin (15 bins)", fontsize=10)
    fig.tight_layout()
    return fig


def risk_coverage_figure(curves: dict[str, list[dict]]):
    """Error rate of the most confident share of the test images, one line per model. The x axis starts
    a little before the first coverage at which any model errs: below it every model is right."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    first_error = min(
        (r["coverage"] for rows in curves.values() for r in rows if r["accuracy"] < 1), default=1.0
    )
    start = max(0.0, np.floor(first_error * 20) / 20 - 0.05)  # a multiple of 5%, one step earlier
    for name, rows in curves.items():
        ax.plot([100 * r["coverage"] for r in rows], [100 * (1 - r["accuracy"]) for r in rows], label=name)
    ax.set(
        xlim=(100 * start, 100),
        ylim=(0, None),
        xlabel="coverage: % of test images answered, most confident first",
        ylabel="error rate of those answered (%)",
        title=f"Risk-coverage: below {100 * start:.0f}% coverage no model makes an error",
    )
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def robustness_figure(table: dict[str, dict[str, list[float]]]):
    """Accuracy against severity, one panel per corruption, one line per model (severity 0 = clean).
    ``table`` as :func:`mnist_dvc.evaluation.robustness.accuracy_table` returns it."""
    plt = _pyplot()
    names = list(table)
    corruptions = list(table[names[0]])
    ncols = 3
    nrows = -(-len(corruptions) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4 * ncols, 2.9 * nrows), squeeze=False, sharey=True)
    for ax in axes.flat[len(corruptions) :]:
        ax.axis("off")
    for ax, corruption in zip(axes.flat, corruptions, strict=False):
        for name in names:
            accuracy = table[name][corruption]
            ax.plot(range(len(accuracy)), [100 * a for a in accuracy], marker="o", ms=3, label=name)
        ax.set(title=corruption, ylim=(0, 101), xticks=range(len(accuracy)))
        ax.grid(True, alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("accuracy (%)")
    for ax in axes[-1, :]:
        ax.set_xlabel("severity")
    axes.flat[0].legend(fontsize=8, loc="lower left")
    fig.suptitle("Accuracy under corruption (the same stratified test images for every model)", fontsize=11)
    fig.tight_layout()
    return fig
