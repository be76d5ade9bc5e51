"""What a phone photo or another pen does to a digit, five severities each, applied to whole batches:
Gaussian noise, blur, a thicker or thinner pen, faint contrast.

The trainers apply them as augmentation (:func:`random_corruptions`, param ``corrupt``) and the
robustness stage measures them (:mod:`mnist_dvc.evaluation.corruptions`). Images are (N, 28, 28) float32 with
pixels in [0, 1], ink 1 on paper 0 (MNIST's convention); severity 0 returns the images unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

SEVERITIES = 5  # each corruption has severities 1 to 5 (0 leaves the images unchanged)
MAX_NOISE_STD = 0.4  # of the [0, 1] pixel range
MAX_BLUR_SIGMA = 2.0  # pixels
MAX_THICKER_STEPS = 2.5  # grey dilations with a 3x3 cross (one pixel each way per step)
MAX_THINNER_STEPS = 1.25  # grey erosions: MNIST strokes are 2-4 pixels wide, so 2 steps erase most
MAX_CONTRAST_LOSS = 0.6  # of the ink-paper contrast


def fraction(severity: int) -> float:
    """Severity 0..SEVERITIES as a share of the strongest."""
    if not 0 <= severity <= SEVERITIES:
        raise ValueError(f"severity must be 0..{SEVERITIES}, got {severity}")
    return severity / SEVERITIES


def noise(images: np.ndarray, severity: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """Additive Gaussian noise, clipped to [0, 1]; seeded with the severity, so the same every run,
    unless a generator is given (training draws fresh noise every time)."""
    std = MAX_NOISE_STD * fraction(severity)
    if std == 0:
        return images.copy()
    rng = np.random.default_rng(severity) if rng is None else rng
    noisy = images + rng.normal(0.0, std, images.shape).astype(images.dtype)
    return np.clip(noisy, 0, 1)


def blur(images: np.ndarray, severity: int) -> np.ndarray:
    """Gaussian blur: one 28x28 matrix per axis, so a batch is two matrix products (zero padding)."""
    sigma = MAX_BLUR_SIGMA * fraction(severity)
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
    return _morphology(images, MAX_THICKER_STEPS * fraction(severity), np.maximum)


def thinner(images: np.ndarray, severity: int) -> np.ndarray:
    """A thinner pen: grey erosion, up to 1.25 steps."""
    return _morphology(images, MAX_THINNER_STEPS * fraction(severity), np.minimum)


def contrast(images: np.ndarray, severity: int) -> np.ndarray:
    """Faint ink on grey paper (a dim photo, a pale pencil): the paper rises and the ink falls towards
    grey, the contrast between them down to 40% at severity 5."""
    lift = images.dtype.type(MAX_CONTRAST_LOSS / 2 * fraction(severity))
    return images * (1 - 2 * lift) + lift


EFFECTS: dict[str, Callable[..., np.ndarray]] = {
    "noise": noise,
    "blur": blur,
    "thicker": thicker,
    "thinner": thinner,
    "contrast": contrast,
}
PHOTO_EFFECTS = tuple(EFFECTS)  # what params.yaml's `corrupt` may name


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
                out[picked] = EFFECTS[name](images[picked], s, **extra)
    return out
