"""Picture files -> the RGB array the photo path works on, and the digits it finds there."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mnist_dvc.reading import InputError
from mnist_dvc.reading.segment import Judge

if TYPE_CHECKING:
    from mnist_dvc.reading.photo import Found

MAX_PIXELS = 40_000_000  # a picture larger than this is refused (decompression bombs)


def read_picture(
    path: Path, ink: str = "auto", judge: Judge | None = None, reader=None, number=False
) -> Found:
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
    return picture_digits(rgb, ink, judge, reader, number)


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


def picture_digits(
    picture: np.ndarray, ink: str = "auto", judge: Judge | None = None, reader=None, number: bool = False
) -> Found:
    """A picture (H, W) gray or (H, W, 3) colour on 0-255 -> its digits (N, 28, 28) in [0, 1], left to
    right, and what the number ``reader`` read of them (:func:`mnist_dvc.reading.photo.find_digits`)."""
    from mnist_dvc.reading.photo import find_digits

    return find_digits(picture, ink, judge, reader, number)
