"""Deterministic corruptions of digit images, five severities each, applied to whole batches: what the
robustness stage measures.

Images are (N, 28, 28) float32 with pixels in [0, 1], ink 1 on paper 0 (MNIST's convention). Every
corruption maps (images, severity) to images of the same shape; severity 0 returns the images unchanged,
and the change grows with severity up to 5. Where a corruption has a direction (which way to shift, to
rotate, to scale; a horizontal or vertical bar) it cycles with the image's position in the batch, so a
batch of any size sees each direction about equally and the result never depends on a random state -
except Gaussian noise, which is drawn from a generator seeded with the severity.

The photo effects (noise, blur, pen width, contrast) live in :mod:`mnist_dvc.models.photo_effects`, which
training also applies; shift, rotation and scale reuse the batched warp of :mod:`mnist_dvc.models.affine`
(the NumPy MLP's augmentation).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mnist_dvc.models.affine import Transforms, warp
from mnist_dvc.models.photo_effects import EFFECTS, fraction

MAX_SHIFT_PX = 6  # severity 5; integer shifts 1, 2, 4, 5, 6 pixels, so no interpolation blur
MAX_DEGREES = 60
MAX_SCALE_CHANGE = 0.5  # 0.5x to 1.5x at severity 5
MAX_BAR_PX = 10  # width of the erasing bar


def _cycle(n: int, values: list) -> np.ndarray:
    """Per-image choice that cycles with the image's position: deterministic and balanced."""
    return np.asarray(values)[np.arange(n) % len(values)]


def _affine(images: np.ndarray, degrees=0.0, scale=1.0, dx=0.0, dy=0.0) -> np.ndarray:
    n = len(images)
    full = [np.broadcast_to(np.asarray(v, np.float64), (n,)) for v in (degrees, scale, dx, dy)]
    return warp(images, Transforms(*full), background=0.0)


def shift(images: np.ndarray, severity: int) -> np.ndarray:
    """Move each digit by a whole number of pixels: right, down, left, up in turn."""
    k = float(np.rint(MAX_SHIFT_PX * fraction(severity)))
    n = len(images)
    return _affine(images, dx=_cycle(n, [k, 0, -k, 0]), dy=_cycle(n, [0, k, 0, -k]))


def rotation(images: np.ndarray, severity: int) -> np.ndarray:
    """Rotate about the centre, counter-clockwise and clockwise in turn."""
    degrees = MAX_DEGREES * fraction(severity)
    return _affine(images, degrees=_cycle(len(images), [degrees, -degrees]))


def scale(images: np.ndarray, severity: int) -> np.ndarray:
    """Shrink and enlarge about the centre in turn (x0.5 and x1.5 at severity 5)."""
    change = MAX_SCALE_CHANGE * fraction(severity)
    return _affine(images, scale=_cycle(len(images), [1 - change, 1 + change]))


def occlusion(images: np.ndarray, severity: int) -> np.ndarray:
    """A blank bar through the centre, horizontal and vertical in turn, 2 to 10 pixels wide: a crease or a
    scanner's missing lines erasing part of the digit."""
    width = round(MAX_BAR_PX * fraction(severity))
    out = images.copy()
    if width == 0:
        return out
    side = images.shape[-1]
    start = (side - width) // 2
    out[0::2, start : start + width, :] = 0
    out[1::2, :, start : start + width] = 0
    return out


def inversion(images: np.ndarray, severity: int) -> np.ndarray:
    """Blend towards inverted contrast (dark paper, light ink): grey at severity 2.5, inverted at 5."""
    a = images.dtype.type(fraction(severity))
    return (1 - a) * images + a * (1 - images)


# Everything the robustness stage can measure, in the order of its tables and pictures.
CORRUPTIONS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "shift": shift, "rotation": rotation, "scale": scale,
    **{name: EFFECTS[name] for name in ("noise", "blur", "thicker", "thinner")},
    "occlusion": occlusion, "inversion": inversion, "contrast": EFFECTS["contrast"],
}  # fmt: skip
