"""Deterministic corruptions of digit images, five severities each, applied to whole batches.

Images are (N, 28, 28) float32 with pixels in [0, 1], ink 1 on paper 0 (MNIST's convention). Every
corruption maps (images, severity) to images of the same shape; severity 0 returns the images unchanged,
and the change grows with severity up to 5. Where a corruption has a direction (which way to shift, to
rotate, to scale; a horizontal or vertical bar) it cycles with the image's position in the batch, so a
batch of any size sees each direction about equally and the result never depends on a random state -
except Gaussian noise, which is drawn from a generator seeded with the severity.

Shift, rotation and scale reuse the batched warp of :mod:`mnist_dvc.affine` (the NumPy MLP's
augmentation).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mnist_dvc.affine import Transforms, warp

SEVERITIES = 5
MAX_SHIFT_PX = 6  # severity 5; integer shifts 1, 2, 4, 5, 6 pixels, so no interpolation blur
MAX_DEGREES = 60
MAX_SCALE_CHANGE = 0.5  # 0.5x to 1.5x at severity 5
MAX_NOISE_STD = 0.4  # of the [0, 1] pixel range
MAX_BLUR_SIGMA = 2.0  # pixels
MAX_THICKER_STEPS = 2.5  # grey dilations with a 3x3 cross (one pixel each way per step)
MAX_THINNER_STEPS = 1.25  # grey erosions: MNIST strokes are 2-4 pixels wide, so 2 steps erase most
MAX_BAR_PX = 10  # width of the erasing bar
MAX_CONTRAST_LOSS = 0.6  # of the ink-paper contrast


def _fraction(severity: int) -> float:
    if not 0 <= severity <= SEVERITIES:
        raise ValueError(f"severity must be 0..{SEVERITIES}, got {severity}")
    return severity / SEVERITIES


def _cycle(n: int, values: list) -> np.ndarray:
    """Per-image choice that cycles with the image's position: deterministic and balanced."""
    return np.asarray(values)[np.arange(n) % len(values)]


def _affine(images: np.ndarray, degrees=0.0, scale=1.0, dx=0.0, dy=0.0) -> np.ndarray:
    n = len(images)
    full = [np.broadcast_to(np.asarray(v, np.float64), (n,)) for v in (degrees, scale, dx, dy)]
    return warp(images, Transforms(*full), background=0.0)


def shift(images: np.ndarray, severity: int) -> np.ndarray:
    """Move each digit by a whole number of pixels: right, down, left, up in turn."""
    k = float(np.rint(MAX_SHIFT_PX * _fraction(severity)))
    n = len(images)
    return _affine(images, dx=_cycle(n, [k, 0, -k, 0]), dy=_cycle(n, [0, k, 0, -k]))


def rotation(images: np.ndarray, severity: int) -> np.ndarray:
    """Rotate about the centre, counter-clockwise and clockwise in turn."""
    degrees = MAX_DEGREES * _fraction(severity)
    return _affine(images, degrees=_cycle(len(images), [degrees, -degrees]))


def scale(images: np.ndarray, severity: int) -> np.ndarray:
    """Shrink and enlarge about the centre in turn (x0.5 and x1.5 at severity 5)."""
    change = MAX_SCALE_CHANGE * _fraction(severity)
    return _affine(images, scale=_cycle(len(images), [1 - change, 1 + change]))


def noise(images: np.ndarray, severity: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """Additive Gaussian noise, clipped to [0, 1]; seeded with the severity, so the same every run,
    unless a generator is given (training draws fresh noise every time)."""
    std = MAX_NOISE_STD * _fraction(severity)
    if std == 0:
        return images.copy()
    rng = np.random.default_rng(severity) if rng is None else rng
    noisy = images + rng.normal(0.0, std, images.shape).astype(images.dtype)
    return np.clip(noisy, 0, 1)


def blur(images: np.ndarray, severity: int) -> np.ndarray:
    """Gaussian blur: one 28x28 matrix per axis, so a batch is two matrix products (zero padding)."""
    sigma = MAX_BLUR_SIGMA * _fraction(severity)
    if sigma == 0:
        return images.copy()
    side = images.shape[-1]
    offsets = np.arange(side)[:, None] - np.arange(side)[None, :]
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    kernel = (kernel / np.exp(-0.5 * (np.arange(-side + 1, side) / sigma) ** 2).sum()).astype(images.dtype)
    return kernel @ images @ kernel.T


def _morphology(images: np.ndarray, steps: float, reduce: Callable) -> np.ndarray:
    """``steps`` grey dilations (reduce=np.maximum) or erosions (np.minimum) with a 3x3 cross; a fractional
    last step blends in that share of one more step."""
    out = images.copy()
    whole, part = int(steps), steps - int(steps)
    for i in range(whole + (part > 0)):
        padded = np.pad(out, ((0, 0), (1, 1), (1, 1)))
        step = reduce.reduce(
            [
                padded[:, 1:-1, 1:-1],
                padded[:, :-2, 1:-1],
                padded[:, 2:, 1:-1],
                padded[:, 1:-1, :-2],
                padded[:, 1:-1, 2:],
            ]
        )
        out = step if i < whole else (1 - part) * out + part * step
    return out.astype(images.dtype, copy=False)


def thicker(images: np.ndarray, severity: int) -> np.ndarray:
    """A thicker pen: grey dilation, up to 2.5 steps of one pixel each way."""
    return _morphology(images, MAX_THICKER_STEPS * _fraction(severity), np.maximum)


def thinner(images: np.ndarray, severity: int) -> np.ndarray:
    """A thinner pen: grey erosion, up to 1.25 steps."""
    return _morphology(images, MAX_THINNER_STEPS * _fraction(severity), np.minimum)


def occlusion(images: np.ndarray, severity: int) -> np.ndarray:
    """A blank bar through the centre, horizontal and vertical in turn, 2 to 10 pixels wide: a crease or a
    scanner's missing lines erasing part of the digit."""
    width = round(MAX_BAR_PX * _fraction(severity))
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
    a = images.dtype.type(_fraction(severity))
    return (1 - a) * images + a * (1 - images)


def contrast(images: np.ndarray, severity: int) -> np.ndarray:
    """Faint ink on grey paper (a dim photo, a pale pencil): the paper rises and the ink falls towards
    grey, the contrast between them down to 40% at severity 5."""
    lift = images.dtype.type(MAX_CONTRAST_LOSS / 2 * _fraction(severity))
    return images * (1 - 2 * lift) + lift


CORRUPTIONS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "shift": shift,
    "rotation": rotation,
    "scale": scale,
    "noise": noise,
    "blur": blur,
    "thicker": thicker,
    "thinner": thinner,
    "occlusion": occlusion,
    "inversion": inversion,
    "contrast": contrast,
}
# What the trainers may apply while training (param `corrupt`): what photos do to a digit.
TRAINING_CORRUPTIONS = ("noise", "blur", "thicker", "thinner", "contrast")


def random_corruptions(
    images: np.ndarray, max_severity: dict[str, int], share: float, rng: np.random.Generator
) -> np.ndarray:
    """A random ``share`` of ``images`` (N, 28, 28) in [0, 1], each under one corruption of
    ``max_severity`` (name -> highest severity, 0 = never) at a random severity from 1 to that; the rest
    unchanged. Images sharing a corruption and severity are corrupted as one batch."""
    kinds = [name for name, top in max_severity.items() if top > 0]
    if not kinds or share == 0:
        return images
    n = len(images)
    chosen = rng.random(n) < share
    kind = rng.integers(0, len(kinds), n)
    level = rng.random(n)
    out = images.copy()
    for k, name in enumerate(kinds):
        severity = 1 + (level * max_severity[name]).astype(int)
        for s in range(1, max_severity[name] + 1):
            picked = chosen & (kind == k) & (severity == s)
            if picked.any():
                extra = {"rng": rng} if name == "noise" else {}
                out[picked] = CORRUPTIONS[name](images[picked], s, **extra)
    return out
