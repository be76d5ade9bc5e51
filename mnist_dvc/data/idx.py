"""Reading MNIST's IDX files with full validation.

torchvision's reader accepts a label of 200, 56x14 images or unequal image/label counts without a
word; this one checks everything the format promises and names the file and the problem.

IDX layout: two zero bytes, a dtype code (0x08 = unsigned byte), the number of dimensions, then one
big-endian uint32 per dimension, then the data in C order.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from mnist_dvc import PipelineError

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
MNIST_FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)

IMAGE_MAGIC = 0x00000803  # 2051: ubyte, 3 dimensions
LABEL_MAGIC = 0x00000801  # 2049: ubyte, 1 dimension
IMAGE_SHAPE = (28, 28)
GZIP_MAGIC = b"\x1f\x8b"
NUM_CLASSES = 10


class IdxFormatError(PipelineError):
    """An IDX file does not hold what MNIST's format promises."""


def _read_idx(path: Path, magic: int, what: str) -> np.ndarray:
    data = Path(path).read_bytes()
    if data[:2] == GZIP_MAGIC:  # the mirrors serve .gz; read either form
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise IdxFormatError(f"{path}: a damaged gzip file ({exc})") from None
    if len(data) < 4:
        raise IdxFormatError(f"{path}: file is {len(data)} bytes, too short for an IDX header")
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise IdxFormatError(
            f"{path}: bad magic number 0x{found:08x}, expected 0x{magic:08x} for an IDX {what} file"
        )
    ndim = data[3]
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise IdxFormatError(f"{path}: file is {len(data)} bytes, too short for its {ndim} dimension sizes")
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = header_len + int(np.prod(dims, dtype=np.int64))
    if len(data) != expected:
        raise IdxFormatError(
            f"{path}: file length {len(data)} does not match its header (dimensions {dims} "
            f"need {expected} bytes)"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header_len).reshape(dims)


def read_images(path: str | Path) -> np.ndarray:
    """Images as uint8, shape (N, 28, 28)."""
    images = _read_idx(Path(path), IMAGE_MAGIC, "image")
    if images.shape[1:] != IMAGE_SHAPE:
        raise IdxFormatError(f"{path}: images are {images.shape[1]}x{images.shape[2]}, expected 28x28")
    return images


def read_labels(path: str | Path) -> np.ndarray:
    """Labels as uint8, shape (N,), every value in 0..9."""
    labels = _read_idx(Path(path), LABEL_MAGIC, "label")
    if labels.size and labels.max() >= NUM_CLASSES:
        bad = np.flatnonzero(labels >= NUM_CLASSES)
        raise IdxFormatError(
            f"{path}: {bad.size} label(s) outside 0..9, first at index {bad[0]} (value {labels[bad[0]]})"
        )
    return labels


def read_pair(images_path: str | Path, labels_path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """An image file and its label file, checked to describe the same number of examples."""
    images, labels = read_images(images_path), read_labels(labels_path)
    if len(images) != len(labels):
        raise IdxFormatError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels"
        )
    if len(images) == 0:
        raise IdxFormatError(f"{images_path}: holds no images")
    return images, labels


def encode_idx(array: np.ndarray) -> bytes:
    """The IDX bytes of a uint8 array (used to write test fixtures and small data sets)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return header + array.tobytes()
