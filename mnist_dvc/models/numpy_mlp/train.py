"""Training the NumPy MLP: mini-batch (or per-sample, with batch_size 1) gradient descent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from mnist_dvc.data.dataset import PreparedData
from mnist_dvc.models.affine import random_transforms, warp_all
from mnist_dvc.models.numpy_mlp.io import INPUT_SIZE, NUM_CLASSES
from mnist_dvc.models.numpy_mlp.network import init_params, loss_and_gradients, predict_log_proba
from mnist_dvc.models.numpy_mlp.optim import make_optimizer
from mnist_dvc.models.training import BatchLoop, FitResult, augments_in, corrupt, fit
from mnist_dvc.params import StageParams


def evaluate(params: list[np.ndarray], x: np.ndarray, y: np.ndarray, activation: str) -> tuple[float, float]:
    """(mean NLL, accuracy) on ``x``, ``y``."""
    log_probs = predict_log_proba(params, x, activation)
    loss = -float(log_probs[np.arange(len(y)), y].mean())
    return loss, float((log_probs.argmax(axis=1) == y).mean())


class WeightAverage:
    """An exponential moving average of the weights, updated after every step and evaluated instead of
    them: the average of the last ~1/(1 - decay) steps sits nearer the minimum than any single step.
    The first update copies the weights, as torch's ``AveragedModel`` does."""

    def __init__(self, decay: float):
        self.decay, self.average = decay, None

    def update(self, params: list[np.ndarray]) -> None:
        if self.average is None:
            self.average = [a.copy() for a in params]
            return
        for avg, current in zip(self.average, params, strict=True):
            avg -= avg.dtype.type(1 - self.decay) * (avg - current)  # avg = d avg + (1 - d) current


def train(
    p: StageParams, data: PreparedData, live_dir: Path | None, after_epoch=None
) -> tuple[list[np.ndarray], FitResult]:
    """Train with the stage's params ``p``; return the kept weights and the run's history.
    ``after_epoch`` is passed to :func:`mnist_dvc.models.training.fit`."""
    rng = np.random.default_rng(p.seed)
    layer_sizes = [INPUT_SIZE, *p.hidden, NUM_CLASSES]
    params = init_params(layer_sizes, p.init, rng)
    optimizer = make_optimizer(p.optimizer, params, p.momentum, p.adam_beta2)

    x_train = data.images["train"].reshape(len(data.images["train"]), -1)
    y_train = data.labels["train"]
    x_val, y_val = data.images["val"].reshape(len(data.images["val"]), -1), data.labels["val"]
    average = WeightAverage(p.ema_decay) if p.ema_decay > 0 else None
    images = data.images["train"][:, 0]
    x_epoch = x_train  # the training images this epoch: warped ones in augmented epochs
    loop = BatchLoop(
        len(x_train), p.batch_size, rng, lr=p.lr, schedule=p.schedule, epochs=p.epochs,
        warmup_epochs=p.warmup_epochs,
    )  # fmt: skip

    def train_step(idx: np.ndarray, lr: float) -> float:
        loss, grads = loss_and_gradients(
            params,
            x_epoch[idx],
            y_train[idx],
            p.activation,
            weight_decay=p.weight_decay,
            dropout=p.dropout,
            rng=rng,
        )
        optimizer.step(params, grads, lr)
        if average is not None:
            average.update(params)
        return loss

    def train_epoch(epoch: int) -> float:
        nonlocal x_epoch
        x_epoch = x_train
        if augments_in(epoch, p.augment, p.augment_epochs):
            moves = random_transforms(len(images), p.augment_strength, rng)
            warped = warp_all(images, moves, data.normalization.blank, p.num_threads)
            x_epoch = corrupt(warped, p, data.normalization, rng).reshape(x_train.shape)
        return loop.run_epoch(train_step)

    def evaluated() -> list[np.ndarray]:
        """The weights that are validated and kept: the running average when there is one."""
        return params if average is None else average.average

    with threadpool_limits(limits=p.num_threads):
        result = fit(
            epochs=p.epochs,
            train_epoch=train_epoch,
            evaluate=lambda: evaluate(evaluated(), x_val, y_val, p.activation),
            snapshot=lambda: [a.copy() for a in evaluated()],
            keep=p.keep,
            lr=p.lr,
            lr_param=f"{p.stage}.lr",
            live_dir=live_dir,
            name=p.stage,
            after_epoch=after_epoch,
        )
    return result.state, result
