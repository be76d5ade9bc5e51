"""MNIST digits written out as pen strokes at any size, and side by side as numbers: the training data of
the number reader (stage train_number_reader) and the writing of bench.photos' pictures.

A digit is redrawn from its skeleton (:func:`stroke_mask`), so one image gives a thin ballpoint or a fat
marker at any height; a number is its digits' masks laid side by side, a little apart or overlapping
(negative gaps: touching digits), each a little up or down, the whole slanted (:func:`written_number`).
"""

from __future__ import annotations

import numpy as np


def stroke_mask(digit: np.ndarray, height: int, pen: float) -> np.ndarray:
    """An MNIST digit (28x28, any scale) redrawn as a pen stroke ``height`` pixels tall and ``pen`` wide:
    the skeleton of the digit upscaled 4x (cubic, which keeps its loops open and its strokes joined; a
    blur at 28x28 first closed small loops and split thin strokes, and redrew about 3% of the digits as
    another digit), drawn at the target size and dilated by the pen. The skeleton is the reader's
    (:func:`~mnist_dvc.reading.mnist_style.stroke_skeleton`): a loop that MNIST's own pen filled in is
    drawn as its rim, and a fat digit's short strokes are kept, as a thin pen would write them. Float
    mask."""
    from skimage.morphology import dilation, disk
    from skimage.transform import resize

    from mnist_dvc.reading.mnist_style import draw_skeleton, stroke_skeleton

    ink = digit.astype(np.float32)
    rows, cols = np.nonzero(ink > 0.5 * ink.max())
    crop = np.pad(ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1], 1)
    base = resize(crop, (4 * crop.shape[0], 4 * crop.shape[1]), order=3)
    skeleton = stroke_skeleton(base > 0.5 * base.max())
    rows, cols = np.nonzero(skeleton)
    # ``height`` is the digit's height; a flat mark (a dash) is sized as if half as tall as it is wide.
    span = max(float(np.ptp(rows)), 0.5 * float(np.ptp(cols)), 1.0)
    lines = draw_skeleton(skeleton, (height - 1) / span, int(pen) + 2)
    return dilation(lines, disk(pen / 2)).astype(np.float32) if pen >= 2 else lines.astype(np.float32)


def cropped(mask: np.ndarray, pad: int = 2) -> np.ndarray:
    """``mask`` cut to its ink, with ``pad`` empty pixels round it."""
    rows, cols = np.nonzero(mask > 0.05)
    return np.pad(mask[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1], pad)


def sheared(mask: np.ndarray, degrees: float) -> np.ndarray:
    """The writing slanted: its top moved right by tan(degrees) times its height (left if negative)."""
    from skimage.transform import AffineTransform, warp

    h, w = mask.shape
    t = np.tan(np.radians(degrees))
    matrix = np.array([[1, t, -max(t, 0) * h], [0, 1, 0], [0, 0, 1]])
    extra = int(np.ceil(abs(t) * h))
    return warp(mask, AffineTransform(matrix=matrix), output_shape=(h, w + extra), order=1)


def written_number(
    digits, height: int, pen: float, rng: np.random.Generator, gaps=(0.25, 0.6), slant: float = 0.0
) -> np.ndarray:
    """A mask of ``digits`` (MNIST images) written side by side ``height`` pixels tall, ``gaps`` apart
    (shares of the height; negative: the strokes overlap), each a little up or down and of a slightly
    different size, the whole slanted by ``slant`` degrees."""
    masks = [cropped(stroke_mask(d, max(8, int(height * rng.uniform(0.9, 1.1))), pen), 0) for d in digits]
    steps = [max(m.shape[1] + int(rng.uniform(*gaps) * height), int(0.6 * m.shape[1])) for m in masks]
    jitter = max(1, height // 12)
    starts = np.cumsum([0, *steps[:-1]])
    # The widest reach is the last digit's, unless a narrow last digit overlaps a wide one before it.
    out = np.zeros(
        (max(m.shape[0] for m in masks) + 2 * jitter, max(starts + [m.shape[1] for m in masks]) + 1)
    )
    x = 0
    for mask, step in zip(masks, steps, strict=True):
        y, (mh, mw) = int(rng.integers(0, 2 * jitter + 1)), mask.shape
        out[y : y + mh, x : x + mw] = np.maximum(out[y : y + mh, x : x + mw], mask)
        x += step
    return cropped(sheared(out, slant) if slant else out)
