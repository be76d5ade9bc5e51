"""The epoch loop every trainer shares: logging, best-checkpoint choice, divergence, timing.

It knows nothing of NumPy or PyTorch models: a trainer hands it a function that trains one epoch, one
that evaluates on the validation set and one that snapshots the weights. (Torch is never imported here,
so the NumPy path stays NumPy only.)
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from mnist_dvc import PipelineError
from mnist_dvc.models.calibration import fit_temperature
from mnist_dvc.models.photo_effects import random_corruptions
from mnist_dvc.models.schedules import StepSchedule


class DivergenceError(PipelineError):
    """The training loss became NaN or infinite."""


@dataclass
class FitResult:
    state: Any  # the weights chosen by ``keep``
    best_epoch: int  # 1-based epoch the state comes from
    history: list[dict] = field(default_factory=list)
    train_seconds: float = 0.0  # time in training epochs only (evaluation excluded)


def batch_indices(n: int, batch_size: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """A fresh random permutation of ``range(n)``, cut into batches (the last one may be smaller)."""
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]


class BatchLoop:
    """The loop inside every epoch: shuffled mini-batches, each step's learning rate, the mean loss.

    Trainers supply only ``train_step(indices, lr) -> loss`` for their framework. The learning-rate
    schedule is built here from the same ``n`` and ``batch_size`` that cut the batches, so its step count
    cannot disagree with the loop's.
    """

    def __init__(
        self, n: int, batch_size: int, rng: np.random.Generator, *, lr: float, schedule: str, epochs: int,
        warmup_epochs: float,
    ):  # fmt: skip
        self.n, self.batch_size, self.rng = n, batch_size, rng
        self.lr_for_step = StepSchedule.for_run(
            lr, schedule, epochs=epochs, warmup_epochs=warmup_epochs, n_train=n, batch_size=batch_size
        )
        self.step = 0  # counts across epochs: the schedule spans the whole run

    def run_epoch(self, train_step: Callable[[np.ndarray, float], float]) -> float:
        loss_sum = 0.0
        for idx in batch_indices(self.n, self.batch_size, self.rng):
            loss_sum += train_step(idx, self.lr_for_step(self.step)) * len(idx)
            self.step += 1
        return loss_sum / self.n


def images_per_second(predict: Callable[[np.ndarray], Any], images: np.ndarray, repeats: int = 3) -> float:
    """Inference throughput: the best of ``repeats`` timed passes over ``images``, after a warm-up pass.

    Trainers measure it on the validation set and store it with the model, so `dvc metrics diff` shows
    a change only for the models that were retrained, not timing noise for all of them.
    """
    predict(images[:256])
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        predict(images)
        best = min(best, time.perf_counter() - start)
    return len(images) / best


def check_finite(loss: float, *, lr: float, where: str, param: str) -> None:
    if not math.isfinite(loss):
        raise DivergenceError(
            f"training diverged ({where}: loss is {loss}); the learning rate {param} = {lr:g} "
            "is probably too high - lower it"
        )


CHANCE_ACCURACY = 0.2  # ten classes: a model at or below this has learnt (next to) nothing


def collapsed(history: list[dict], kept_epoch: int) -> bool:
    """The kept model is at chance level and the training loss never fell.

    "Fell" means the last epoch's loss is below 90% of the first's, and of ln(10) (the loss of a uniform
    guess over ten classes): a run whose loss exploded and then settled at ln(10) did not fall. A tiny
    legitimate run whose loss did fall is not flagged, however low its accuracy.
    """
    if history[kept_epoch - 1]["val_accuracy"] > CHANCE_ACCURACY:
        return False
    start = min(history[0]["train_loss"], math.log(10))
    return not history[-1]["train_loss"] < 0.9 * start


def warn_if_collapsed(result: FitResult, *, lr: float, param: str, name: str) -> None:
    """A run that ends at chance level exits 0 like any other: say so, and name the likely culprit."""
    if collapsed(result.history, result.best_epoch):
        accuracy = result.history[result.best_epoch - 1]["val_accuracy"]
        print(
            f"{name}: warning: the model did not learn (validation accuracy {accuracy:.3f}, chance level; "
            f"training loss did not fall); the learning rate {param} = {lr:g} is probably too high - "
            "lower it",
            file=sys.stderr,
        )


def fit(
    *,
    epochs: int,
    train_epoch: Callable[[int], float],
    evaluate: Callable[[], tuple[float, float]],
    snapshot: Callable[[], Any],
    keep: str,
    lr: float,
    lr_param: str,
    live_dir: Path | None,
    name: str,
    after_epoch: Callable[[int, Callable[[], Any]], bool] | None = None,
) -> FitResult:
    """Run ``epochs`` epochs; log train loss, val loss and val accuracy per epoch with dvclive.

    ``train_epoch(epoch)`` returns the mean training loss; ``evaluate()`` returns (val loss, val accuracy);
    ``keep`` is ``best`` (highest val accuracy, earliest on ties) or ``last``.
    ``after_epoch(epoch, snapshot)``, if given, runs outside the timed part (benchmarks probe the weights
    there) and may return True to stop.
    """
    live = _open_live(live_dir)
    result = FitResult(state=None, best_epoch=0)
    best_accuracy = -1.0
    with tqdm(range(1, epochs + 1), desc=name, unit="epoch") as bar:
        for epoch in bar:
            started = time.perf_counter()
            train_loss = train_epoch(epoch)
            result.train_seconds += time.perf_counter() - started
            check_finite(train_loss, lr=lr, where=f"epoch {epoch}", param=lr_param)
            val_loss, val_accuracy = evaluate()
            row = {
                "epoch": epoch,
                "train_loss": train_loss,
                "val_loss": val_loss,
                "val_accuracy": val_accuracy,
            }
            result.history.append(row)
            bar.set_postfix(
                train_loss=f"{train_loss:.4f}", val_loss=f"{val_loss:.4f}", val_acc=f"{val_accuracy:.4f}"
            )
            if live is not None:
                _log_epoch(live, result.history)
            if keep == "last" or val_accuracy > best_accuracy:
                best_accuracy, result.best_epoch, result.state = val_accuracy, epoch, snapshot()
            if after_epoch is not None and after_epoch(epoch, snapshot):
                break
    warn_if_collapsed(result, lr=lr, param=lr_param, name=name)
    if live is not None:
        live.summary["best_epoch"] = result.best_epoch
        live.end()
    return result


def augments_in(epoch: int, augment: bool, augment_epochs: int | None) -> bool:
    """Whether 1-based ``epoch`` trains on augmented images (params ``augment`` and ``augment_epochs``)."""
    return augment and (augment_epochs is None or epoch <= augment_epochs)


def corrupt(x: np.ndarray, p, normalization, rng: np.random.Generator) -> np.ndarray:
    """Normalized training images (..., 28, 28) under the stage's random corruptions (params ``corrupt``
    and ``corrupt_share``); unchanged when there are none. Only the chosen share is converted to pixels
    and back: converting all of them took longer than corrupting."""
    if p.corrupt_share == 0 or not any(p.corrupt.values()):
        return x
    flat = x.reshape(-1, *x.shape[-2:])
    chosen = np.flatnonzero(rng.random(len(flat)) < p.corrupt_share)
    corrupted = random_corruptions(normalization.to_unit(flat[chosen]), p.corrupt, 1.0, rng)
    out = flat.copy()
    out[chosen] = normalization.from_unit(corrupted)
    return out.reshape(x.shape)


def run_metadata(p, result: FitResult, normalization: dict, val_log_probs, val_labels) -> dict:
    """What every trainer stores with its model. Nothing here depends on the clock, so the same params on
    the same machine give byte-identical model files (timing goes to :func:`mnist_dvc.timing.write_timing`).

    ``temperature`` is fitted on the kept model's validation log-probabilities (or logits: the same
    softmax): predictions divide by it to be calibrated (:mod:`mnist_dvc.models.calibration`).
    """
    return {
        "normalization": normalization,
        "temperature": round(fit_temperature(val_log_probs, val_labels), 6),
        "params": p.values,
        "best_epoch": result.best_epoch,
        "num_threads": p.num_threads,
        "cpu_count": os.cpu_count(),
    }


def report(stage: str, result: FitResult, model_file: Path) -> None:
    best = result.history[result.best_epoch - 1]
    print(
        f"{stage}: kept epoch {result.best_epoch} (val accuracy {best['val_accuracy']:.4f}); "
        f"{result.train_seconds:.1f} s of training -> {model_file}"
    )


def _log_epoch(live, history: list[dict]) -> None:
    """Validation accuracy as a dvclive metric, and both losses as one long-format custom plot.

    The losses go into one file, one row per (epoch, split), so that a single stage-level plot entry with
    the project's ``loss_curves`` template draws train and val loss on one graph, and `dvc plots diff`
    overlays revisions; separate TSVs would need a top-level definition that draws them twice.
    """
    row = history[-1]
    live.log_metric("val/accuracy", row["val_accuracy"])
    losses = [
        {"epoch": r["epoch"], "split": split, "loss": r[f"{split}_loss"]}
        for r in history
        for split in ("train", "val")
    ]
    live.log_plot("loss", losses, x="epoch", y="loss")
    # Nested, so the summary keeps the val accuracy log_metric put there.
    live.summary.setdefault("train", {})["loss"] = row["train_loss"]
    live.summary.setdefault("val", {})["loss"] = row["val_loss"]
    live.next_step()


def _open_live(live_dir: Path | None):
    if live_dir is None:
        return None
    from dvclive import Live

    # dvc.yaml declares these files itself: dvclive must neither write a dvc.yaml nor make an experiment.
    return Live(dir=str(live_dir), dvcyaml=False, save_dvc_exp=False)
