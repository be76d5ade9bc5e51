"""Tensor files and .npy arrays of digits: reading them safely, and the scale their values are in."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mnist_dvc import refusal
from mnist_dvc.data.normalization import NOTEBOOK, Normalization
from mnist_dvc.reading import InputError

TENSOR_SUFFIXES = (".pth", ".pt")
SCALES = ("auto", "pixels", "unit", "notebook", "standard")
SCALE_RULE = (
    "auto reads the value range of each tensor/.npy file: integers -> pixels; min >= 0 and max <= 1 -> unit; "
    "min < 0 and within [-1, 1] -> notebook; min >= 0 and 1 < max <= 255 -> pixels; any other range, or a "
    "file whose values are all equal, is refused with the range it saw (pass --input-scale). IDX files "
    "and pictures are always pixels."
)


def read_tensor(path: Path) -> np.ndarray:
    import pickle

    import torch

    try:
        value = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, AttributeError) as exc:
        raise InputError(f"{path}: not a plain tensor file, refused ({refusal(exc)})") from None
    if not isinstance(value, torch.Tensor):
        raise InputError(f"{path}: holds a {type(value).__name__}, expected one tensor of images")
    if value.is_complex() or value.dtype == torch.bool:
        raise InputError(f"{path}: a {value.dtype} tensor, expected real pixel values")
    return value.detach().float().numpy() if value.is_floating_point() else value.numpy()


def read_npy(path: Path) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise InputError(f"{path}: not a plain .npy array ({refusal(exc)})") from None
    if not isinstance(array, np.ndarray) or not (
        np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)
    ):
        raise InputError(f"{path}: a {getattr(array, 'dtype', type(array))} array, expected pixel values")
    return array


def as_digits_shape(array: np.ndarray, path: Path) -> np.ndarray:
    shape = array.shape
    if array.ndim == 4 and shape[1:] == (1, 28, 28):
        array = array[:, 0]
    elif array.ndim == 2 and shape == (28, 28):
        array = array[None]
    elif not (array.ndim == 3 and shape[1:] == (28, 28)):
        shown = "x".join(map(str, shape)) or "a scalar"
        raise InputError(f"{path}: shape {shown}; expected Nx1x28x28, Nx28x28 or 28x28 images")
    if len(array) == 0:
        raise InputError(f"{path}: holds zero images")
    if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
        raise InputError(f"{path}: holds NaN or infinite values")
    return array


def detect_scale(array: np.ndarray, path: Path) -> str:
    """The scale the values of ``array`` are in, by :data:`SCALE_RULE`."""
    if np.issubdtype(array.dtype, np.integer):
        return "pixels"
    lo, hi = float(array.min()), float(array.max())
    if lo == hi:
        raise InputError(f"{path}: every value is {lo:g}: blank images, nothing to predict")
    if lo >= 0 and hi <= 1:
        return "unit"
    if -1 <= lo < 0 and hi <= 1:
        return "notebook"
    if lo >= 0 and hi <= 255:
        return "pixels"
    raise InputError(
        f"{path}: values in [{lo:.4g}, {hi:.4g}] fit none of pixels [0, 255], unit [0, 1] or notebook "
        "[-1, 1]; pass --input-scale (standard if they are normalized with the model's mean and std)"
    )


def to_unit(array: np.ndarray, scale: str, path: Path, standard: Normalization | None) -> np.ndarray:
    """Values in ``scale`` -> pixels in [0, 1], float32."""
    if scale == "auto":
        scale = detect_scale(array, path)
    x = array.astype(np.float32)
    if scale == "pixels":
        x = x / 255
    elif scale == "notebook":
        x = NOTEBOOK.to_unit(x)
    elif scale == "standard":
        x = standard.to_unit(x)
    elif scale != "unit":
        raise ValueError(f"unknown scale {scale!r}")
    lo, hi = float(x.min()), float(x.max())
    if lo < -0.01 or hi > 1.01:  # float rounding aside, pixels must land in [0, 1]
        raise InputError(
            f"{path}: with --input-scale {scale} the pixels span [{lo:.4g}, {hi:.4g}], outside [0, 1]; "
            "check the scale"
        )
    return np.clip(x, 0, 1)
