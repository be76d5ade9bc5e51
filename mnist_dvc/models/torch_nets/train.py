"""The one PyTorch training and evaluation loop, used by both train_torch_mlp and train_cnn.

The prepared arrays are read into memory once and batched as tensors (a per-sample Dataset with PIL
transforms is far too slow on two cores); augmentation runs on whole batches.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from mnist_dvc import PipelineError
from mnist_dvc.data.dataset import PreparedData
from mnist_dvc.models.torch_nets.architectures import build_model
from mnist_dvc.models.torch_nets.augment import random_affine
from mnist_dvc.models.torch_nets.inference import predict_logits, to_device
from mnist_dvc.models.training import BatchLoop, FitResult, augments_in, corrupt, fit
from mnist_dvc.params import StageParams


def select_device(name: str) -> torch.device:
    """``auto`` picks CUDA when present, else the CPU; ``cuda`` on a machine without one is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise PipelineError("device = 'cuda' but no CUDA device is available; use 'auto' or 'cpu'")
    return torch.device(name)


def native_bfloat16(device: torch.device) -> bool:
    """Whether ``device`` computes in bfloat16 natively (AVX512-BF16/AMX CPUs, Ampere+ GPUs)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a torch built without oneDNN
        return False


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The dtype the training forward pass runs in, for the ``precision`` param; None = float32.

    bfloat16 autocast keeps the weights, the optimizer, validation and the saved model in float32 and
    runs convolutions and matrix products in bfloat16: the CNN's training took 1.3-1.5x less time on
    this project's AVX512-BF16 CPU; on a CPU without the instructions it would be emulated, so slower -
    hence ``auto``.
    """
    if precision == "float32":
        return None
    native = native_bfloat16(device)
    if precision == "auto":
        return torch.bfloat16 if native else None
    if not native:
        raise PipelineError(
            f"precision = 'bfloat16' but this {device.type.upper()} has no native bfloat16; "
            "use 'auto' or 'float32'"
        )
    return torch.bfloat16


def make_deterministic(seed: int, num_threads: int) -> None:
    """Same params, same machine => identical weights. On the CPU that needs a fixed thread count."""
    torch.set_num_threads(num_threads)
    torch.manual_seed(seed)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # required for deterministic cuBLAS
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False


def make_optimizer(p: StageParams, model: nn.Module) -> torch.optim.Optimizer:
    # Weight decay on weights only: decaying batch-norm scales and biases only hurts.
    decay = [w for w in model.parameters() if w.ndim > 1]
    no_decay = [w for w in model.parameters() if w.ndim <= 1]
    groups = [{"params": decay, "weight_decay": p.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    if p.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=p.lr)
    if p.optimizer == "momentum":
        # Heavy-ball, as the NumPy trainer's `momentum`: one key, one meaning in every trainer.
        return torch.optim.SGD(groups, lr=p.lr, momentum=p.momentum)
    # Adam's update fused into one kernel per parameter group, not a dozen elementwise passes over all
    # the weights: the same arithmetic, the step of the torch MLP 10-20% shorter on two cores.
    if p.optimizer == "adam":
        return torch.optim.Adam(groups, lr=p.lr, betas=(p.momentum, p.adam_beta2), fused=True)
    if p.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=p.lr, betas=(p.momentum, p.adam_beta2), fused=True)
    raise ValueError(f"unknown optimizer {p.optimizer!r}")


def hparams_of(p: StageParams) -> dict:
    """The params that shape the network, as build_model and the checkpoint metadata need them."""
    return {key: p.values[key] for key in ("hidden", "width", "dropout") if key in p.values}


def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, device) -> tuple[float, float]:
    """(mean cross-entropy, accuracy)."""
    logits = predict_logits(model, images, device)
    loss = nn.functional.cross_entropy(logits, labels).item()
    return loss, (logits.argmax(1) == labels).float().mean().item()


def train(
    p: StageParams, data: PreparedData, live_dir: Path | None, after_epoch=None
) -> tuple[nn.Module, FitResult]:
    """Train ``build_model(p.arch, ...)`` with the stage's params; return the model with the kept weights."""
    make_deterministic(p.seed, p.num_threads)
    device = select_device(p.device)
    model = build_model(p.arch, hparams_of(p)).to(device, memory_format=torch.channels_last)
    low_precision = autocast_dtype(p.precision, device)
    optimizer = make_optimizer(p, model)
    # The moving average of the weights (and, through use_buffers, of batch norm's running statistics)
    # is what is validated and kept, when ema_decay > 0.
    average = (
        AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(p.ema_decay), use_buffers=True)
        if p.ema_decay > 0
        else None
    )
    evaluated = model if average is None else average.module
    augmenting = False  # set per epoch
    x_epoch = None  # the training images this epoch: corrupted ones in augmented epochs
    loss_fn = nn.CrossEntropyLoss(label_smoothing=p.label_smoothing)

    x_train, y_train = torch.from_numpy(data.images["train"]), torch.from_numpy(data.labels["train"])
    x_val, y_val = torch.from_numpy(data.images["val"]), torch.from_numpy(data.labels["val"])
    background = data.normalization.blank
    batch_rng = np.random.default_rng(p.seed)
    augment_rng = torch.Generator().manual_seed(p.seed)

    loop = BatchLoop(
        len(x_train), p.batch_size, batch_rng, lr=p.lr, schedule=p.schedule, epochs=p.epochs,
        warmup_epochs=p.warmup_epochs,
    )  # fmt: skip

    def train_step(idx: np.ndarray, lr: float) -> float:
        index = torch.from_numpy(idx)
        images = x_epoch[index]
        if augmenting:
            images = random_affine(images, p.augment_strength, background, augment_rng)
        for group in optimizer.param_groups:
            group["lr"] = lr
        with torch.autocast(device.type, dtype=low_precision, enabled=low_precision is not None):
            loss = loss_fn(model(to_device(images, device)), y_train[index].to(device))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if average is not None:
            average.update_parameters(model)
        return loss.item()

    def train_epoch(epoch: int) -> float:
        nonlocal augmenting, x_epoch
        augmenting = augments_in(epoch, p.augment, p.augment_epochs)
        x_epoch = x_train
        if augmenting:  # corrupted once per epoch, all images at once: cheaper than batch by batch
            x_epoch = torch.from_numpy(corrupt(data.images["train"], p, data.normalization, batch_rng))
        model.train()
        return loop.run_epoch(train_step)

    def snapshot() -> dict:
        return {k: v.detach().clone() for k, v in evaluated.state_dict().items()}

    result = fit(
        epochs=p.epochs,
        train_epoch=train_epoch,
        evaluate=lambda: evaluate(evaluated, x_val, y_val, device),
        snapshot=snapshot,
        keep=p.keep,
        lr=p.lr,
        lr_param=f"{p.stage}.lr",
        live_dir=live_dir,
        name=p.stage,
        after_epoch=after_epoch,
    )
    model.load_state_dict(result.state)
    return model.cpu().eval(), result
