"""Learning-rate schedules, as plain functions of the step, shared by the NumPy and PyTorch trainers."""

from __future__ import annotations

import math
from dataclasses import dataclass


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


@dataclass(frozen=True)
class StepSchedule:
    """:func:`lr_at` bound to one run: epochs and warm-up epochs turned into optimizer steps."""

    base_lr: float
    schedule: str
    total_steps: int
    warmup_steps: int

    @classmethod
    def for_run(cls, base_lr, schedule, *, epochs, warmup_epochs, n_train, batch_size) -> StepSchedule:
        steps_per_epoch = math.ceil(n_train / batch_size)
        return cls(base_lr, schedule, epochs * steps_per_epoch, round(warmup_epochs * steps_per_epoch))

    def __call__(self, step: int) -> float:
        return lr_at(step, self.total_steps, self.base_lr, self.schedule, self.warmup_steps)
