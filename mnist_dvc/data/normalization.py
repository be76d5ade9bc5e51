"""How pixels become a model's inputs: ``x = (pixel / 255 - mean) / std``, fitted by `prepare` on the
training split and stored with every model, so that every path (training, evaluation, `predict`, the app,
the attributions) scales its inputs alike. Only NumPy is imported: `predict` loads this to start."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnist_dvc import PipelineError

FORMULA = "x = (pixel / 255 - mean) / std"


@dataclass(frozen=True)
class Normalization:
    """``x = (pixel / 255 - mean) / std``: ``method`` says how mean and std were chosen."""

    method: str
    mean: float
    std: float

    @classmethod
    def from_meta(cls, meta: dict) -> Normalization:
        """The normalization as a model's or the prepared data's metadata holds it."""
        return cls(meta.get("method", ""), meta["mean"], meta["std"])

    def as_meta(self) -> dict:
        return {"method": self.method, "mean": self.mean, "std": self.std}

    @property
    def blank(self) -> float:
        """The value of a blank (paper) pixel after normalization: what a warp fills uncovered areas with,
        and the attributions' baseline."""
        return (0.0 - self.mean) / self.std

    def to_unit(self, x: np.ndarray) -> np.ndarray:
        """Normalized images -> pixels in [0, 1] (what the corruptions work on)."""
        return x * np.float32(self.std) + np.float32(self.mean)

    def from_unit(self, unit: np.ndarray) -> np.ndarray:
        """Pixels in [0, 1] -> normalized images."""
        return (unit - np.float32(self.mean)) / np.float32(self.std)

    def apply(self, images_uint8: np.ndarray) -> np.ndarray:
        """Pixels on 0-255 -> normalized images, float32."""
        return self.from_unit(images_uint8.astype(np.float32) / np.float32(255.0))


# The notebook this project grew from scaled pixels to [-1, 1].
NOTEBOOK = Normalization("notebook", 0.5, 0.5)


def fit_normalization(method: str, train_images_uint8: np.ndarray) -> Normalization:
    """``standard``: the training split's own mean/std; ``minmax``: [0, 1]; ``notebook``: [-1, 1] as in
    the notebook this project grew from."""
    if method == "standard":
        scaled = train_images_uint8.astype(np.float64) / 255.0
        std = float(scaled.std())
        if std < 1e-8:
            raise PipelineError("prepare: the training images are all one colour; cannot standardize")
        return Normalization(method, float(scaled.mean()), std)
    if method == "minmax":
        return Normalization(method, 0.0, 1.0)
    if method == "notebook":
        return NOTEBOOK
    raise ValueError(f"unknown normalization {method!r}")
