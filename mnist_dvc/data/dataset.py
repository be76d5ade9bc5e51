"""The prepared data set: splitting, normalizing, and the on-disk format every trainer reads.

Format of ``data/prepared/`` (plain .npy, readable by NumPy without torch):

* ``{train,val,test}_images.npy`` - float32, shape (N, 1, 28, 28), normalized;
* ``{train,val,test}_labels.npy`` - int64, shape (N,);
* ``meta.json`` - normalization constants (:mod:`mnist_dvc.data.normalization`), per-class counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_dvc import PipelineError
from mnist_dvc.data.idx import NUM_CLASSES
from mnist_dvc.data.normalization import Normalization
from mnist_dvc.fileio import save_npy, write_json
from mnist_dvc.params import StageSchema
from mnist_dvc.validation import choice, integer, number

# The official test set: the images evaluate, robustness and explain choose from.
TEST_SIZE = 10_000

SCHEMA = StageSchema(
    "prepare",
    {
        "normalize": choice("standard", "minmax", "notebook", renamed={"seed": "notebook"}),
        "val_fraction": number(0, 1, lo_open=True, hi_open=True),
        "seed": integer(0, 2**32 - 1),
        # Keep at most this many images per split (stratified); null keeps all.
        "limit": integer(10, nullable=True),
    },
)

SPLITS = ("train", "val", "test")
META_FILE = "meta.json"


def stratified_split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (kept, held out), held out = ``fraction`` of each class, both sorted."""
    from sklearn.model_selection import train_test_split  # here: `mnist-dvc predict` never needs it

    try:
        kept, held = train_test_split(
            np.arange(len(labels)), test_size=fraction, stratify=labels, random_state=seed
        )
    except ValueError as exc:  # e.g. a class with a single example cannot be stratified
        raise PipelineError(
            f"prepare: cannot split {len(labels)} examples with fraction {fraction}: {exc}"
        ) from None
    return np.sort(kept), np.sort(held)


def stratified_subset(labels: np.ndarray, limit: int | None, seed: int) -> np.ndarray:
    """Sorted indices of at most ``limit`` examples with the class proportions of ``labels``."""
    if limit is None or limit >= len(labels):
        return np.arange(len(labels))
    from sklearn.model_selection import train_test_split

    kept, _ = train_test_split(np.arange(len(labels)), train_size=limit, stratify=labels, random_state=seed)
    return np.sort(kept)


def class_counts(labels: np.ndarray) -> list[int]:
    return np.bincount(labels, minlength=NUM_CLASSES).tolist()


def write_prepared(out_dir: Path, splits: dict[str, tuple[np.ndarray, np.ndarray]], meta: dict) -> None:
    """Write images/labels per split and ``meta.json``; meta.json last, so it marks a complete set."""
    out_dir = Path(out_dir)
    for split, (images, labels) in splits.items():
        save_npy(out_dir / f"{split}_images.npy", images.astype(np.float32, copy=False))
        save_npy(out_dir / f"{split}_labels.npy", labels.astype(np.int64, copy=False))
    write_json(out_dir / META_FILE, meta)


@dataclass(frozen=True)
class PreparedData:
    images: dict[str, np.ndarray]
    labels: dict[str, np.ndarray]
    normalization: Normalization
    meta: dict

    def unit_images(self, split: str) -> np.ndarray:
        """The split's images as pixels in [0, 1] (N, 28, 28), ink light: undoes the normalization."""
        return self.normalization.to_unit(self.images[split][:, 0])


def load_prepared(data_dir: str | Path, splits: tuple[str, ...] = SPLITS) -> PreparedData:
    """Load and check the prepared arrays (shapes, dtypes, label range, counts against meta.json)."""
    data_dir = Path(data_dir)
    meta_path = data_dir / META_FILE
    try:
        meta = json.loads(meta_path.read_text())
    except FileNotFoundError:
        raise PipelineError(f"{meta_path}: not found; run `dvc repro prepare` first") from None
    images, labels = {}, {}
    for split in splits:
        x_path, y_path = data_dir / f"{split}_images.npy", data_dir / f"{split}_labels.npy"
        try:
            x, y = np.load(x_path, allow_pickle=False), np.load(y_path, allow_pickle=False)
        except (FileNotFoundError, ValueError, OSError) as exc:
            raise PipelineError(f"{data_dir}: cannot read the {split} split: {exc}") from None
        if x.dtype != np.float32 or x.ndim != 4 or x.shape[1:] != (1, 28, 28):
            raise PipelineError(f"{x_path}: expected float32 (N, 1, 28, 28), got {x.dtype} {x.shape}")
        if y.dtype != np.int64 or y.shape != (len(x),):
            raise PipelineError(f"{y_path}: expected int64 ({len(x)},), got {y.dtype} {y.shape}")
        if len(y) and (y.min() < 0 or y.max() >= NUM_CLASSES):
            raise PipelineError(f"{y_path}: labels outside 0..9")
        if class_counts(y) != meta["class_counts"][split]:
            raise PipelineError(f"{data_dir}: the {split} split does not match {meta_path}; rerun prepare")
        images[split], labels[split] = x, y
    return PreparedData(images, labels, Normalization.from_meta(meta["normalization"]), meta)
