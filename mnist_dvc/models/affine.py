"""Batched affine warps of digit images in NumPy: each image of a batch gets its own rotation, scale and
shift, with no per-image Python loop.

The NumPy MLP's augmentation draws random transforms with :func:`random_transforms`; the robustness stage
applies fixed ones. (The PyTorch trainers warp tensors with ``grid_sample`` in
:mod:`mnist_dvc.models.torch_nets.augment`, with the same strength scale, :data:`MAX_DEGREES` and friends.)
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

# At augment_strength 1: up to ±15 degrees, ±10% scale, ±3 pixels of shift (of 28).
MAX_DEGREES, MAX_SCALE, MAX_SHIFT_PX = 15.0, 0.10, 3.0


@dataclass
class Transforms:
    """One transform per image: the content is rotated by ``degrees`` (counter-clockwise as displayed)
    and scaled by ``scale`` about the image centre, then moved ``dx`` pixels right and ``dy`` down."""

    degrees: np.ndarray
    scale: np.ndarray
    dx: np.ndarray
    dy: np.ndarray

    def __getitem__(self, index) -> Transforms:
        return Transforms(self.degrees[index], self.scale[index], self.dx[index], self.dy[index])


def random_transforms(n: int, strength: float, rng: np.random.Generator) -> Transforms:
    """Uniform draws within ``strength`` x (MAX_DEGREES, MAX_SCALE, MAX_SHIFT_PX), independently per image."""
    draws = (rng.random((4, n)) * 2 - 1) * strength
    return Transforms(
        degrees=draws[0] * MAX_DEGREES,
        scale=1 + draws[1] * MAX_SCALE,
        dx=draws[2] * MAX_SHIFT_PX,
        dy=draws[3] * MAX_SHIFT_PX,
    )


def warp(images: np.ndarray, t: Transforms, background: float = 0.0) -> np.ndarray:
    """Apply ``t`` to ``images`` (N, H, W) with bilinear interpolation; pixels that come from outside the
    image get ``background`` (the value of blank paper after normalization).

    Each output pixel looks up where it came from (the inverse transform) and blends the four pixels
    around that point, all images at once through one flat index. An integer shift with no rotation or
    scaling lands exactly on pixels, so it equals ``np.roll`` of the digit on a blank margin.
    """
    n, h, w = images.shape
    f32 = np.float32  # float32 throughout: half the memory traffic of float64, ample for 28 pixels
    centre_x, centre_y = (w - 1) / 2, (h - 1) / 2
    # The inverse transform (undo the shift, rotate back - clockwise on screen, as y points down - and
    # divide by the scale) is affine: src = a * x + b * y + c per image and axis. Built as an (n, 1, w)
    # plus an (n, h, 1) array, the full (n, h, w) coordinates take one pass each. The +1 addresses the
    # padded image below.
    theta = np.radians(t.degrees)
    cos, sin = np.cos(theta) / t.scale, np.sin(theta) / t.scale
    rel_x, rel_y = -centre_x - t.dx, -centre_y - t.dy  # where output pixel (0, 0) sits, before rotating
    xs, ys = np.arange(w, dtype=f32), np.arange(h, dtype=f32)

    def source(a, b, c):  # a * x + b * y + c for every output pixel
        return (a[:, None, None] * xs).astype(f32) + (b[:, None] * ys + c[:, None]).astype(f32)[:, :, None]

    src_x = source(cos, -sin, cos * rel_x - sin * rel_y + centre_x + 1)
    src_y = source(sin, cos, sin * rel_x + cos * rel_y + centre_y + 1)
    # Clipped to the blank border: a lookup outside the image blends border pixels only.
    np.clip(src_x, 0, w + 1, out=src_x)
    np.clip(src_y, 0, h + 1, out=src_y)
    x0, y0 = src_x.astype(np.intp), src_y.astype(np.intp)  # >= 0, so truncation is floor
    fx = np.subtract(src_x, x0, out=src_x, dtype=f32)
    fy = np.subtract(src_y, y0, out=src_y, dtype=f32)

    # A blank border (one pixel before, two after, so the +1 neighbour of the last lookup exists), and
    # one flat index for all images: np.take on a 1-D array is several times faster than
    # take_along_axis.
    row, plane = w + 3, (h + 3) * (w + 3)
    padded = np.pad(images.astype(f32) - f32(background), ((0, 0), (1, 2), (1, 2))).ravel()
    y0 *= row
    y0 += x0
    y0 += (np.arange(n) * plane)[:, None, None]
    base = y0
    top = padded.take(base)
    top += fx * (padded.take(base + 1) - top)
    bottom = padded.take(base + row)
    bottom += fx * (padded.take(base + row + 1) - bottom)
    bottom -= top
    bottom *= fy
    top += bottom
    top += f32(background)
    return top.astype(images.dtype, copy=False)


def warp_all(
    images: np.ndarray, t: Transforms, background: float, threads: int, chunk: int = 4096
) -> np.ndarray:
    """:func:`warp` over a whole array in chunks, on ``threads`` threads (NumPy's gathers and arithmetic
    release the GIL). The transforms are drawn before, so the result does not depend on the threads.

    The NumPy MLP warps its whole training set at the start of each augmented epoch: warping batch by
    batch, between matrix products, ran 40% slower (BLAS threads still spinning on the other core)."""
    out = np.empty_like(images)

    def one(start: int) -> None:
        part = slice(start, start + chunk)
        out[part] = warp(images[part], t[part], background)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(one, range(0, len(images), chunk)))
    return out
