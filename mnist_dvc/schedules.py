"""Learning-rate schedules, as plain functions of the step, shared by the NumPy and PyTorch trainers."""

from __future__ import annotations

import math


def lr_at(step: int, total_steps: int, base_lr: float, schedule: str, warmup_steps: int = 0) -> float:
    """Learning rate for optimizer step ``step`` (0-based) of ``total_steps``.

    ``constant``: ``base_lr``. ``cosine``: half a cosine from ``base_lr`` down to 0 at the last step.
    ``onecycle``: a cosine warm-up from ``base_lr / 25`` to ``base_lr`` over ``warmup_steps``, then a cosine
    down to ``base_lr / 1e4`` (the shape of torch's OneCycleLR). With the first two, ``warmup_steps`` > 0
    adds a linear warm-up from ~0 to ``base_lr``.
    """
    if schedule == "onecycle":
        warm = max(1, warmup_steps)
        if step < warm:
            return _cosine(base_lr / 25, base_lr, step / warm)
        return _cosine(base_lr, base_lr / 1e4, (step - warm) / max(1, total_steps - warm))
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    if schedule == "constant":
        return base_lr
    if schedule == "cosine":
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return _cosine(base_lr, 0.0, progress)
    raise ValueError(f"unknown schedule {schedule!r}")


def _cosine(start: float, end: float, progress: float) -> float:
    return end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
