"""The fast peer, and the time to 99% test accuracy it is measured by; bench.peers runs both.

tuomaso/train_mnist_fast's final recipe, written from its README.md, its last notebook
8_Final_00s76.ipynb and its data_saver.py (facts taken, no code):
* the network: conv 24 5x5 -> max-pool 2 -> ReLU -> conv 32 3x3 -> max-pool 2 -> ReLU -> 800 -> 256 ->
  ReLU -> 10, pooling before the ReLU as the README's last step moved it; no dropout, no batch norm;
* Adam lr 0.01, betas (0.7, 0.9); torch's OneCycleLR with max_lr 0.01 over all the run's steps, momentum
  not cycled, the rest at its defaults (the notebook passes no pct_start, so the peak comes after 30% of
  the steps, not "at the middle of training" as the README's prose has it); batch 256; one epoch;
* inputs scaled by mean 0.1307, std 0.3081; the training images shuffled once, when data_saver.py wrote
  them, then read in that order every epoch;
* its claim: 99% test accuracy after one epoch, 99.04% mean over 30 seeds, 0.76 s on a GTX 1660 Ti.
What differs here: it trains on this project's training split (48,000 images, 188 steps an epoch; the
peer trains on all 60,000, 235 steps), on two CPU threads, in float32 as the peer (this project's CNN
trains in bfloat16 where the CPU has it natively, its ``precision: auto``) but in the channels-last layout
this project's trainer uses on the CPU (the same arithmetic, faster convolutions); seeded (1, as
pytorch/examples), where the notebook seeds nothing; the model returns logits for cross_entropy (the
same loss as its log_softmax and nll_loss); the clock counts training steps only, where the notebook's
timeit also counts building the model and the test pass. Should one epoch miss 99% here, the same recipe
with the cycle over two epochs runs next (the README: 99.245% mean after two); only that run is timed.

Time to 99%: training seconds until the first test-accuracy check at or above 99% (the clock paused for
the checks), where training stops, as the peer's README stops at the epoch that reaches it. The peer is
checked CHECKS_PER_EPOCH times an epoch (its recipe is a single epoch); this project's quick-profile CNN
after every epoch only, all its trainer offers (``after_epoch``): a coarser check that can only delay
ours.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from mnist_dvc.data.normalization import Normalization
from mnist_dvc.models.families import trainer_params
from mnist_dvc.models.torch_nets.architectures import build_model
from mnist_dvc.models.torch_nets.train import evaluate, hparams_of, make_deterministic, train

TARGET = 0.99
SEED, THREADS = 1, 2
BATCH, LR, BETAS = 256, 0.01, (0.7, 0.9)
EPOCHS_TRIED = (1, 2)  # the published one epoch, then the README's two if one misses the target here
CHECKS_PER_EPOCH = 4
PEER_NORMALIZATION = Normalization("train_mnist_fast", 0.1307, 0.3081)


class FastNet(nn.Module):
    """train_mnist_fast's final network, from its published description."""

    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 24, 5), nn.Conv2d(24, 32, 3)
        self.fc1, self.fc2 = nn.Linear(800, 256), nn.Linear(256, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))  # 24 x 12 x 12
        x = F.relu(F.max_pool2d(self.conv2(x), 2))  # 32 x 5 x 5 = 800
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


def one_cycle(model: nn.Module, total_steps: int):
    """The recipe's Adam and its one-cycle schedule, stepped once per batch."""
    optimizer = torch.optim.Adam(model.parameters(), lr=LR, betas=BETAS)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=LR, total_steps=total_steps, cycle_momentum=False
    )
    return optimizer, scheduler


def first_reaching(checks: list[dict], target: float = TARGET) -> dict | None:
    """The first check whose ``test_accuracy`` is at or above ``target``; None if none is."""
    return next((c for c in checks if c["test_accuracy"] >= target), None)


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    # The stages' own validation measure, a float32 mean: rounded to the 10,000 test images' resolution.
    return round(evaluate(model, images, labels, torch.device("cpu"))[1], 4)


def peer_inputs(data, split: str) -> torch.Tensor:
    """The split's images scaled as the peer scales them, whatever normalization `prepare` chose."""
    unit = data.normalization.to_unit(data.images[split])
    return torch.from_numpy(PEER_NORMALIZATION.from_unit(unit))


def timed_steps(model, optimizer, scheduler, x, y, batches) -> float:
    """Train on the given batch numbers of ``x`` and ``y``, one optimizer and schedule step each; seconds."""
    start = time.perf_counter()
    model.train()
    for i in batches:
        loss = F.cross_entropy(model(x[i * BATCH : (i + 1) * BATCH]), y[i * BATCH : (i + 1) * BATCH])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
    return time.perf_counter() - start


def train_fast(data, epochs: int, checks_per_epoch: int = CHECKS_PER_EPOCH) -> list[dict]:
    """The recipe with its cycle over ``epochs``, stopped at the first check that reaches TARGET; the
    checks (epochs done, training seconds, test accuracy)."""
    make_deterministic(SEED, THREADS)
    model = FastNet().to(memory_format=torch.channels_last)
    order = torch.randperm(len(data.labels["train"]), generator=torch.Generator().manual_seed(SEED))
    x = peer_inputs(data, "train")[order].contiguous(memory_format=torch.channels_last)
    y = torch.from_numpy(data.labels["train"])[order]
    x_test, y_test = peer_inputs(data, "test"), torch.from_numpy(data.labels["test"])
    n_batches = -(-len(x) // BATCH)
    optimizer, scheduler = one_cycle(model, epochs * n_batches)
    parts = np.array_split(np.arange(n_batches), min(checks_per_epoch, n_batches))
    checks, seconds = [], 0.0
    for epoch, part in itertools.product(range(epochs), parts):
        seconds += timed_steps(model, optimizer, scheduler, x, y, part)
        done = round(epoch + (part[-1] + 1) / n_batches, 3)
        checks.append({"epochs": done, "seconds": seconds, "test_accuracy": accuracy(model, x_test, y_test)})
        if first_reaching(checks):
            break
    return checks


def time_fast_recipe(data, epochs_tried=EPOCHS_TRIED, checks_per_epoch: int = CHECKS_PER_EPOCH) -> dict:
    """The peer's time to TARGET: its one-epoch recipe or, if that misses, the next in ``epochs_tried``.
    Returns the checks of the run that counts (the last one tried) and the final accuracies of those
    that missed."""
    missed = []
    for epochs in epochs_tried:
        checks = train_fast(data, epochs, checks_per_epoch)
        if first_reaching(checks):
            break
        missed.append({"epochs": epochs, "test_accuracy": checks[-1]["test_accuracy"]})
    return {"epochs": epochs, "checks": checks, "missed": missed}


def time_quick_cnn(data, overrides: dict) -> dict:
    """This project's CNN with ``overrides`` (the quick profile's), through the stages' own trainer, its
    test accuracy checked after every epoch outside the timed part, stopped at the first that reaches
    TARGET. The seconds are the trainer's own training clock, known where it stops: the last check's."""
    p = trainer_params("cnn", **overrides)
    probe_model = build_model(p.arch, hparams_of(p))
    x_test, y_test = torch.from_numpy(data.images["test"]), torch.from_numpy(data.labels["test"])
    checks = []

    def probe(epoch: int, snapshot) -> bool:
        probe_model.load_state_dict(snapshot())
        test_accuracy = accuracy(probe_model, x_test, y_test)
        checks.append({"epochs": epoch, "seconds": None, "test_accuracy": test_accuracy})
        return first_reaching(checks) is not None

    _, result = train(p, data, live_dir=None, after_epoch=probe)
    checks[-1]["seconds"] = result.train_seconds
    return {"epochs": p.epochs, "checks": checks}
