"""A user's files -> 28x28 digits with pixels in [0, 1], the one input path of `predict` and the app.

Accepted, by content and suffix: PyTorch tensor files (.pth/.pt, loaded with ``weights_only=True``:
anything but a plain tensor is refused, never unpickled), .npy arrays, IDX image files (raw or .gz),
which are digits already, and pictures (PNG, JPEG, BMP, GIF's first frame, TIFF, WebP) of any size:
photos, scans and drawings, in which :mod:`mnist_dvc.reading.photo` finds the handwritten digits - none,
one or several side by side - and redraws each the way MNIST was made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_dvc import PipelineError, refusal
from mnist_dvc.data.idx import GZIP_MAGIC, IMAGE_MAGIC, read_images
from mnist_dvc.data.normalization import NOTEBOOK, Normalization
from mnist_dvc.reading.segment import Judge

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
TENSOR_SUFFIXES = (".pth", ".pt")
SCALES = ("auto", "pixels", "unit", "notebook", "standard")
SCALE_RULE = (
    "auto reads the value range of each tensor/.npy file: integers -> pixels; min >= 0 and max <= 1 -> unit; "
    "min < 0 and within [-1, 1] -> notebook; min >= 0 and 1 < max <= 255 -> pixels; any other range, or a "
    "file whose values are all equal, is refused with the range it saw (pass --input-scale). IDX files "
    "and pictures are always pixels."
)
MAX_PIXELS = 40_000_000  # a picture larger than this is refused (decompression bombs)
FORMATS = (
    "pictures (PNG, JPEG, BMP, GIF, TIFF, WebP: photos, scans, drawings), PyTorch tensor files (.pth/.pt), "
    ".npy arrays and IDX image files (raw or .gz)"
)


class InputError(PipelineError):
    """A user's input file cannot be read as digits."""


@dataclass
class Digits:
    """Digits read from one file: ``images`` (N, 28, 28) float32 in [0, 1] (0 background, 1 ink).

    For a picture they are the digits found in it, left to right: N = 0 when it holds no digit. For
    tensors, .npy and IDX files, each image is a digit of its own."""

    path: Path
    images: np.ndarray
    picture: bool = False

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
) -> Digits:
    """Read one file; ``scale`` says how tensor/.npy values map to pixels (see :data:`SCALE_RULE`).
    ``standard`` is the model's normalization for ``scale='standard'``; ``ink`` (auto, dark, light)
    the polarity of a picture's writing; ``judge`` the models' reading, which cuts a picture's touching
    digits apart (:mod:`mnist_dvc.reading.segment`)."""
    kind = _kind(path)
    try:
        if kind == "image":
            return Digits(path, _read_picture(path, ink, judge), picture=True)
        if kind == "idx":
            return Digits(path, read_images(path).astype(np.float32) / 255)
        if kind in ("tensor", "npy"):
            array = _read_tensor(path) if kind == "tensor" else _read_npy(path)
            return Digits(path, to_unit(_as_digits_shape(array, path), scale, path, standard))
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    raise InputError(f"{path}: unsupported file type (expected {FORMATS})")


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
        raise InputError(f"{path}: not a plain tensor file, refused ({refusal(exc)})") from None
    if not isinstance(value, torch.Tensor):
        raise InputError(f"{path}: holds a {type(value).__name__}, expected one tensor of images")
    if value.is_complex() or value.dtype == torch.bool:
        raise InputError(f"{path}: a {value.dtype} tensor, expected real pixel values")
    return value.detach().float().numpy() if value.is_floating_point() else value.numpy()


def _read_npy(path: Path) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise InputError(f"{path}: not a plain .npy array ({refusal(exc)})") from None
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


def _read_picture(path: Path, ink: str = "auto", judge: Judge | None = None) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as picture:
            rgb = working_rgb(picture, path)
    except Image.DecompressionBombError as exc:  # PIL's own limit, where a caller lowered it
        pixels = re.search(r"\((\d+) pixels\)", str(exc))
        _check_size(int(pixels.group(1)) if pixels else MAX_PIXELS + 1, path)
        raise
    except (UnidentifiedImageError, SyntaxError, ValueError) as exc:
        raise InputError(f"{path}: not an image PIL can read ({type(exc).__name__})") from None
    return picture_digits(rgb, ink, judge)


def working_rgb(picture, name: str | Path) -> np.ndarray:
    """An opened (not yet decoded) PIL picture -> the RGB copy the photo path works on: refused by its
    header's size before a pixel is decoded, then decoded at a fraction of its size where it is large."""
    _check_size(picture.width * picture.height, name)
    return picture_to_rgb(_reduced(picture))


def _check_size(pixels: int, path: Path | str) -> None:
    if pixels > MAX_PIXELS:
        raise InputError(f"{path}: too large ({pixels / 1e6:.0f} Mpixel, limit {MAX_PIXELS / 1e6:.0f})")


def _reduced(picture):
    """A phone's 12-Mpixel photo, decoded at a fraction of its size where the format can (JPEG scales
    while decoding) and shrunk by whole pixels to about the photo path's working size: the same picture
    for the path, at a fraction of the cost."""
    from mnist_dvc.reading.ink import WORK_LONG_SIDE

    if max(picture.size) < 2 * WORK_LONG_SIDE:
        return picture
    # JPEG decodes at 1/2, 1/4 or 1/8 of its size, the smallest no smaller than asked: 3/4 of the working
    # size keeps within 4% of it (a 4000x3000 photo decodes at 1000x750, not 2000x1500).
    least = WORK_LONG_SIDE * 3 // 4
    picture.draft("RGB", tuple(max(1, side * least // max(picture.size)) for side in picture.size))
    factor = max(picture.size) // WORK_LONG_SIDE
    return picture.reduce(factor) if factor > 1 else picture


def picture_to_rgb(picture) -> np.ndarray:
    """A PIL image -> float32 (H, W, 3) on 0-255 (the ink's colour tells it from coloured paper);
    transparent areas count as white paper, and 16- and 32-bit pictures are scaled, not clipped."""
    from PIL import Image, ImageOps

    picture = ImageOps.exif_transpose(picture)
    if picture.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        values = np.asarray(picture, np.float32)
        top = 65535.0 if picture.mode != "F" and values.max() > 255 else max(255.0, float(values.max()))
        gray = np.clip(values * (255.0 / top), 0, 255)
        return np.repeat(gray[..., None], 3, axis=2)
    if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
        rgba = picture.convert("RGBA")
        picture = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
    return np.asarray(picture.convert("RGB"), dtype=np.float32)


def picture_digits(picture: np.ndarray, ink: str = "auto", judge: Judge | None = None) -> np.ndarray:
    """A picture (H, W) gray or (H, W, 3) colour on 0-255 -> its digits (N, 28, 28) in [0, 1], left to
    right."""
    from mnist_dvc.reading.photo import find_digits

    return find_digits(picture, ink, judge).digits
