"""The NumPy MLP's file format: an .npz of plain arrays (no pickle) plus a JSON metadata string."""

from __future__ import annotations

import itertools
import json
import zipfile
from pathlib import Path

import numpy as np

from mnist_dvc import PipelineError, refusal
from mnist_dvc.fileio import save_npz
from mnist_dvc.models.numpy_mlp.network import ACTIVATIONS

FORMAT = "mnist-dvc/numpy-mlp/1"
INPUT_SIZE, NUM_CLASSES = 784, 10


class ModelFileError(PipelineError):
    """A model file is unreadable or does not describe the network it claims to."""


def save_model(path: Path, params: list[np.ndarray], meta: dict) -> None:
    """``meta`` must hold ``layer_sizes``, ``activation`` and ``normalization``; written atomically."""
    arrays = {
        f"{kind}{i // 2}": p
        for i, (kind, p) in enumerate(zip("Wb" * (len(params) // 2), params, strict=True))
    }
    save_npz(path, meta=np.array(json.dumps({"format": FORMAT, **meta})), **arrays)


def load_model(path: Path) -> tuple[list[np.ndarray], dict]:
    """Load and check a model file; every shape must agree with the metadata's ``layer_sizes``."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise ModelFileError(f"{path}: model file not found") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelFileError(f"{path}: not a readable .npz model file ({refusal(exc)})") from None
    try:
        meta = json.loads(str(arrays.pop("meta")))
    except (KeyError, json.JSONDecodeError):
        raise ModelFileError(f"{path}: no valid 'meta' entry; not a NumPy MLP model file") from None
    if meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: format {meta.get('format')!r}, expected {FORMAT!r}")
    sizes = meta.get("layer_sizes")
    if not isinstance(sizes, list) or len(sizes) < 2 or sizes[0] != INPUT_SIZE or sizes[-1] != NUM_CLASSES:
        raise ModelFileError(
            f"{path}: layer_sizes {sizes!r} must start at {INPUT_SIZE} and end at {NUM_CLASSES}"
        )
    for key in ("activation", "normalization"):
        if key not in meta:
            raise ModelFileError(f"{path}: metadata lacks {key!r}")
    if meta["activation"] not in ACTIVATIONS:
        raise ModelFileError(
            f"{path}: activation {meta['activation']!r} is not one of {', '.join(ACTIVATIONS)}"
        )
    params, expected_names = [], set()
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        for name, shape in ((f"W{i}", (fan_in, fan_out)), (f"b{i}", (fan_out,))):
            expected_names.add(name)
            array = arrays.get(name)
            if array is None:
                raise ModelFileError(f"{path}: array {name} is missing")
            # np.load hands back a member that is not in .npy format as raw bytes
            if not isinstance(array, np.ndarray) or array.dtype.kind != "f":
                raise ModelFileError(f"{path}: {name} is not an array of floating-point numbers")
            if array.shape != shape:
                raise ModelFileError(
                    f"{path}: {name} has shape {array.shape}, layer_sizes {sizes} need {shape}"
                )
            if not np.isfinite(array).all():
                raise ModelFileError(f"{path}: {name} holds NaN or infinite values")
            params.append(array)
    if set(arrays) != expected_names:
        raise ModelFileError(f"{path}: unexpected arrays {sorted(set(arrays) - expected_names)}")
    return params, meta
