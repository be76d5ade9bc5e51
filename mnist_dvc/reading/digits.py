"""A user's files -> 28x28 digits with pixels in [0, 1], the one input path of `predict` and the app.

Accepted, by content and suffix: PyTorch tensor files (.pth/.pt, loaded with ``weights_only=True``:
anything but a plain tensor is refused, never unpickled), .npy arrays, IDX image files (raw or .gz),
which are digits already, and pictures (PNG, JPEG, BMP, GIF's first frame, TIFF, WebP) of any size:
photos, scans and drawings, in which :mod:`mnist_dvc.reading.photo` finds the handwritten digits - none,
one or several side by side - and redraws each the way MNIST was made.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_dvc.data.idx import GZIP_MAGIC, IMAGE_MAGIC, read_images
from mnist_dvc.data.normalization import Normalization
from mnist_dvc.reading import InputError
from mnist_dvc.reading.arrays import TENSOR_SUFFIXES, as_digits_shape, read_npy, read_tensor, to_unit
from mnist_dvc.reading.picture_files import read_picture
from mnist_dvc.reading.segment import Judge

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
FORMATS = (
    "pictures (PNG, JPEG, BMP, GIF, TIFF, WebP: photos, scans, drawings), PyTorch tensor files (.pth/.pt), "
    ".npy arrays and IDX image files (raw or .gz)"
)


@dataclass
class Digits:
    """Digits read from one file: ``images`` (N, 28, 28) float32 in [0, 1] (0 background, 1 ink).

    For a picture they are the digits found in it, left to right: N = 0 when it holds no digit. For
    tensors, .npy and IDX files, each image is a digit of its own."""

    path: Path
    images: np.ndarray
    picture: bool = False
    # (N, 10): the number reader's probabilities for the digits it read, NaN rows where the models read
    # (mnist_dvc.reading.number_reader.overruled); None: the models read every digit
    read: np.ndarray | None = None

    def sources(self) -> list[str]:
        if self.picture and len(self.images) == 1:
            return [str(self.path)]
        return [f"{self.path}[{i}]" for i in range(len(self.images))]


def expand(paths: list[str | Path]) -> tuple[list[Path], list[str]]:
    """The files to read, in the order given, and why others were skipped.

    A folder contributes the readable files under it, subfolders included, sorted by path; each file
    there that is not a picture, tensor, .npy or IDX file is skipped with a line saying so. A folder
    with nothing readable is an error, as is a path that does not exist.
    """
    files, skipped = [], []
    for path in map(Path, paths):
        if path.is_dir():
            inside = []
            for candidate in sorted(p for p in path.rglob("*") if p.is_file()):
                if _kind(candidate) is None:
                    skipped.append(f"{candidate}: skipped, not a file predict reads ({FORMATS})")
                else:
                    inside.append(candidate)
            if not inside:
                raise InputError(f"{path}: a folder with no picture, tensor, .npy or IDX file in it")
            files.extend(inside)
        elif path.is_file():
            files.append(path)
        elif path.exists():  # a FIFO, a socket, a device: reading it could block or never end
            raise InputError(f"{path}: not a regular file or folder (a pipe, socket or device)")
        else:
            raise InputError(f"{path}: no such file or folder")
    return files, skipped


def read_digits(
    path: Path,
    scale: str = "auto",
    standard: Normalization | None = None,
    ink: str = "auto",
    judge: Judge | None = None,
    reader=None,
    number: bool = False,
) -> Digits:
    """Read one file; ``scale`` says how tensor/.npy values map to pixels (`arrays.SCALE_RULE`).
    ``standard`` is the model's normalization for ``scale='standard'``; ``ink`` (auto, dark, light)
    the polarity of a picture's writing; ``judge`` the models' reading, which cuts a picture's touching
    digits apart (:mod:`mnist_dvc.reading.segment`), and ``reader`` the number reader, which reads
    writing of several digits whole (:mod:`mnist_dvc.reading.number_reader`), more readily in a ``number``
    (`predict --number`: the user wrote one)."""
    kind = _kind(path)
    try:
        if kind == "image":
            found = read_picture(path, ink, judge, reader, number)
            return Digits(path, found.digits, picture=True, read=found.read)
        if kind == "idx":
            return Digits(path, read_images(path).astype(np.float32) / 255)
        if kind in ("tensor", "npy"):
            array = read_tensor(path) if kind == "tensor" else read_npy(path)
            return Digits(path, to_unit(as_digits_shape(array, path), scale, path, standard))
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    raise InputError(f"{path}: unsupported file type (expected {FORMATS})")


def is_picture(path: Path) -> bool:
    """Whether ``path`` is read as a picture (by its name, as every input is first told apart)."""
    return path.suffix.lower() in IMAGE_SUFFIXES


def _kind(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if is_picture(path):
        return "image"
    if suffix in TENSOR_SUFFIXES:
        return "tensor"
    if suffix == ".npy":
        return "npy"
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except OSError:
        return None
    if head[:2] == GZIP_MAGIC or int.from_bytes(head, "big") == IMAGE_MAGIC:
        return "idx"
    return None
