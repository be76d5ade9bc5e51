"""The explain stage's pictures: weights as images, filters, feature maps, attributions and embedding maps.

Weights and attributions use a diverging colour map centred on 0 (red positive, blue negative), each
tile scaled to its own largest magnitude, so that weak units are as readable as strong ones.
"""

from __future__ import annotations

import numpy as np

from mnist_dvc.pictures import _pyplot

DIVERGING = "RdBu_r"
HOW = {"numpy": "gradient x input", "torch": "integrated gradients"}  # the attribution of each kind


def _symmetric(ax, image: np.ndarray) -> None:
    limit = float(np.abs(image).max()) or 1.0
    ax.imshow(image, cmap=DIVERGING, vmin=-limit, vmax=limit, interpolation="nearest")  # pixels as they are


def _attribution_cell(ax, attribution: np.ndarray, digit: np.ndarray) -> None:
    """An attribution map with the digit's outline on top."""
    _symmetric(ax, attribution)
    ax.contour(digit, levels=[0.5], colors="black", linewidths=0.4)


def weight_tiles(weights: np.ndarray, ncols: int, title: str):
    """One tile per unit (N, h, w), red where the weight is positive, blue where negative."""
    plt = _pyplot()
    nrows = -(-len(weights) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(0.9 * ncols, 0.9 * nrows + 0.5), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, tile in zip(axes.flat, weights, strict=False):
        _symmetric(ax, tile)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def feature_maps_figure(digits: np.ndarray, maps: list[list[np.ndarray]], titles: list[str], per_block: int):
    """For each digit (28x28, ink light): the digit, then a row per block of its first ``per_block``
    channels. ``maps[d][b]`` is digit d's block b, (channels, h, w)."""
    plt = _pyplot()
    blocks = len(maps[0])
    rows, cols = len(digits) * blocks, per_block + 1
    fig, axes = plt.subplots(rows, cols, figsize=(0.95 * cols, 1.0 * rows + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for d, (digit, title) in enumerate(zip(digits, titles, strict=True)):
        axes[d * blocks, 0].imshow(digit, cmap="gray_r", vmin=0, vmax=1)
        axes[d * blocks, 0].set_title(title, fontsize=7)
        for b, block in enumerate(maps[d]):
            row = axes[d * blocks + b]
            row[1].set_title(f"block {b + 1}: {block.shape[0]} maps of {block.shape[1]}x{block.shape[2]}",
                             fontsize=6, loc="left")  # fmt: skip
            for ax, channel in zip(row[1:], block[:per_block], strict=False):
                ax.imshow(channel, cmap="magma")
    fig.tight_layout()
    return fig


def attribution_figure(digits: np.ndarray, attributions: dict[str, np.ndarray], answers: dict[str, list[str]],
                       how: dict[str, str]):  # fmt: skip
    """Top row: the digits. Then one row per model: where it looks, red pixels speaking for its answer
    and blue ones against it, the digit's outline on top."""
    plt = _pyplot()
    rows, cols = 1 + len(attributions), len(digits)
    fig, axes = plt.subplots(rows, cols, figsize=(1.25 * cols + 0.8, 1.35 * rows + 0.3), squeeze=False)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    for ax, digit in zip(axes[0], digits, strict=True):
        ax.imshow(digit, cmap="gray_r", vmin=0, vmax=1)
    axes[0, 0].set_ylabel("digit", fontsize=8)
    for row, (name, maps) in zip(axes[1:], attributions.items(), strict=True):
        row[0].set_ylabel(f"{name}\n({how[name]})", fontsize=7)
        for ax, attribution, digit, answer in zip(row, maps, digits, answers[name], strict=True):
            _attribution_cell(ax, attribution, digit)
            ax.set_title(f"says {answer}", fontsize=7)
    fig.suptitle("Where each model looks: red pixels speak for its answer, blue against", fontsize=9)
    fig.tight_layout()
    return fig


def attribution_row(
    digit: np.ndarray, maps: dict[str, np.ndarray], answers: dict[str, int], how: dict[str, str]
):
    """One digit (28x28, ink light) and, beside it, where each model looked for its answer: the app's
    "why" view."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 1 + len(maps), figsize=(1.9 * (1 + len(maps)), 2.3), squeeze=False)
    axes = axes[0]
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].imshow(digit, cmap="gray_r", vmin=0, vmax=1)
    axes[0].set_title("received", fontsize=8)
    for ax, (name, attribution) in zip(axes[1:], maps.items(), strict=True):
        _attribution_cell(ax, attribution, digit)
        ax.set_title(f"{name} says {answers[name]}", fontsize=8)
        ax.set_xlabel(how[name], fontsize=7)
    fig.tight_layout()
    return fig


def embedding_figure(coords: dict[str, np.ndarray], labels: np.ndarray, wrong: dict[str, np.ndarray]):
    """One t-SNE map per model, each point a test image coloured by its digit (the digit written at the
    middle of its points); misclassified ones as x."""
    plt = _pyplot()
    fig, axes = plt.subplots(
        1, len(coords), figsize=(4.2 * len(coords), 4.4), squeeze=False, layout="constrained"
    )
    for ax, (name, xy) in zip(axes[0], coords.items(), strict=True):
        ax.scatter(xy[:, 0], xy[:, 1], c=labels, cmap="tab10", s=3, vmin=-0.5, vmax=9.5)
        miss = wrong[name]
        ax.scatter(xy[miss, 0], xy[miss, 1], marker="x", c="black", s=18, linewidths=0.8,
                   label=f"misclassified ({int(miss.sum())})")  # fmt: skip
        for digit in range(10):
            centre = np.median(xy[labels == digit], axis=0)
            ax.text(*centre, str(digit), fontsize=11, weight="bold", ha="center", va="center")
        ax.set_title(f"{name}: its last hidden layer", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.legend(fontsize=7, loc="lower right")
    return fig
