"""A user's files -> 28x28 digits with pixels in [0, 1], the one input path of `predict` and the app.

Accepted, by content and suffix: PyTorch tensor files (.pth/.pt, loaded with ``weights_only=True``:
anything but a plain tensor is refused, never unpickled), .npy arrays, IDX image files (raw or .gz),
and PNG/JPEG/BMP pictures of any size, which are turned into MNIST-style digits the way MNIST itself
was made: grayscale, light ink on a dark background, cropped to the ink, scaled to fit 20x20 and placed
in 28x28 so that the centre of mass is at the centre.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_dvc import PipelineError
from mnist_dvc.idx import GZIP_MAGIC, IMAGE_MAGIC, read_images

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
TENSOR_SUFFIXES = (".pth", ".pt")
SCALES = ("auto", "pixels", "unit", "seed", "standard")
SCALE_RULE = (
    "auto reads the value range of each tensor/.npy file: integers -> pixels; min >= 0 and max <= 1 -> unit; "
    "min < 0 and within [-1, 1] -> seed; min >= 0 and 1 < max <= 255 -> pixels; any other range, or a "
    "file whose values are all equal, is refused with the range it saw (pass --input-scale). IDX files "
    "and pictures are always pixels."
)
MAX_PIXELS = 40_000_000  # a picture larger than this is refused (decompression bombs)
MIN_CONTRAST = 32  # on 0-255: less between background and ink is a blank picture
INK_THRESHOLD = 0.1  # of the ink's peak: fainter pixels are background noise (paper, sensor)
BOX, SIDE = 20, 28  # MNIST: the digit fits a 20x20 box inside the 28x28 image


class InputError(PipelineError):
    """A user's input file cannot be read as digits."""


@dataclass
class Digits:
    """Digits read from one file: ``images`` (N, 28, 28) float32 in [0, 1] (0 background, 1 ink)."""

    path: Path
    images: np.ndarray

    def sources(self) -> list[str]:
        if len(self.images) == 1 and self.path.suffix.lower() in IMAGE_SUFFIXES:
            return [str(self.path)]
        return [f"{self.path}[{i}]" for i in range(len(self.images))]


def expand(paths: list[str | Path]) -> list[Path]:
    """Files in the order given; a folder contributes its readable files, sorted by name."""
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.is_file() and _kind(p) is not None)
            if not inside:
                raise InputError(f"{path}: a folder with no image, tensor, .npy or IDX file in it")
            files.extend(inside)
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    return files


def read_digits(path: Path, scale: str = "auto", standard: tuple[float, float] | None = None) -> Digits:
    """Read one file; ``scale`` says how tensor/.npy values map to pixels (see :data:`SCALE_RULE`).
    ``standard`` is the (mean, std) of the model for ``scale='standard'``."""
    kind = _kind(path)
    try:
        if kind == "image":
            return Digits(path, _read_picture(path)[None])
        if kind == "idx":
            return Digits(path, read_images(path).astype(np.float32) / 255)
        if kind in ("tensor", "npy"):
            array = _read_tensor(path) if kind == "tensor" else _read_npy(path)
            return Digits(path, to_unit(_as_digits_shape(array, path), scale, path, standard))
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    raise InputError(
        f"{path}: unsupported file type (expected .pth/.pt, .npy, IDX images raw or .gz, or "
        f"{'/'.join(s.lstrip('.').upper() for s in IMAGE_SUFFIXES)})"
    )


def _kind(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
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


def _read_tensor(path: Path) -> np.ndarray:
    import pickle

    import torch

    try:
        value = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, AttributeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: not a plain tensor file; refused to unpickle it ({first})") from None
    if not isinstance(value, torch.Tensor):
        raise InputError(f"{path}: holds a {type(value).__name__}, expected one tensor of images")
    if value.is_complex() or value.dtype == torch.bool:
        raise InputError(f"{path}: a {value.dtype} tensor, expected real pixel values")
    return value.detach().float().numpy() if value.is_floating_point() else value.numpy()


def _read_npy(path: Path) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise InputError(f"{path}: not a plain .npy array ({exc})") from None
    if not isinstance(array, np.ndarray) or not (
        np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)
    ):
        raise InputError(f"{path}: a {getattr(array, 'dtype', type(array))} array, expected pixel values")
    return array


def _as_digits_shape(array: np.ndarray, path: Path) -> np.ndarray:
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
        return "seed"
    if lo >= 0 and hi <= 255:
        return "pixels"
    raise InputError(
        f"{path}: values in [{lo:.4g}, {hi:.4g}] fit none of pixels [0, 255], unit [0, 1] or seed "
        "[-1, 1]; pass --input-scale (standard if they are normalized with the model's mean and std)"
    )


def to_unit(array: np.ndarray, scale: str, path: Path, standard: tuple[float, float] | None) -> np.ndarray:
    """Values in ``scale`` -> pixels in [0, 1], float32."""
    if scale == "auto":
        scale = detect_scale(array, path)
    x = array.astype(np.float32)
    if scale == "pixels":
        x = x / 255
    elif scale == "seed":
        x = x * 0.5 + 0.5
    elif scale == "standard":
        mean, std = standard
        x = x * np.float32(std) + np.float32(mean)
    elif scale != "unit":
        raise ValueError(f"unknown scale {scale!r}")
    lo, hi = float(x.min()), float(x.max())
    if lo < -0.01 or hi > 1.01:  # float rounding aside, pixels must land in [0, 1]
        raise InputError(
            f"{path}: with --input-scale {scale} the pixels span [{lo:.4g}, {hi:.4g}], outside [0, 1]; "
            "check the scale"
        )
    return np.clip(x, 0, 1)


def _read_picture(path: Path) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as picture:
            if picture.width * picture.height > MAX_PIXELS:
                raise InputError(
                    f"{path}: {picture.width}x{picture.height} pixels, more than the {MAX_PIXELS:,} allowed"
                )
            gray = picture_to_gray(picture)
    except (UnidentifiedImageError, Image.DecompressionBombError, SyntaxError, ValueError) as exc:
        raise InputError(f"{path}: not an image PIL can read ({type(exc).__name__})") from None
    return mnist_style(gray, str(path))


def picture_to_gray(picture) -> np.ndarray:
    """A PIL image -> float32 (H, W) on 0-255; transparent areas count as white paper."""
    from PIL import Image, ImageOps

    picture = ImageOps.exif_transpose(picture)
    if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
        rgba = picture.convert("RGBA")
        picture = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
    return np.asarray(picture.convert("L"), dtype=np.float32)


def mnist_style(gray: np.ndarray, source: str) -> np.ndarray:
    """A grayscale picture (H, W) on 0-255, either polarity -> a 28x28 MNIST-style digit in [0, 1].

    The background is the median of the border pixels; dark ink on light paper is inverted. The ink is
    cropped, scaled to fit 20x20 (aspect kept, anti-aliased) and shifted so its centre of mass is at
    the centre of the 28x28 image, as LeCun et al. made MNIST.
    """
    from PIL import Image

    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    background = float(np.median(border))
    ink = gray - background if background < 128 else background - gray
    ink = np.clip(ink, 0, None)
    if ink.max() < MIN_CONTRAST:
        raise InputError(f"{source}: a blank picture (no ink darker or lighter than the background)")
    ink /= ink.max()
    ink[ink < INK_THRESHOLD] = 0
    rows, cols = np.nonzero(ink)
    crop = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    h, w = crop.shape
    factor = BOX / max(h, w)
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    resized = np.asarray(Image.fromarray(crop.astype(np.float32)).resize(size, Image.Resampling.LANCZOS))
    resized = np.clip(resized, 0, 1)
    # Place the box so that its centre of mass lands on the image centre, staying inside the image.
    total = resized.sum()
    cy = (resized.sum(axis=1) * np.arange(size[1])).sum() / total
    cx = (resized.sum(axis=0) * np.arange(size[0])).sum() / total
    top = int(np.clip(round(SIDE / 2 - 0.5 - cy), 0, SIDE - size[1]))
    left = int(np.clip(round(SIDE / 2 - 0.5 - cx), 0, SIDE - size[0]))
    digit = np.zeros((SIDE, SIDE), np.float32)
    digit[top : top + size[1], left : left + size[0]] = resized
    return digit
