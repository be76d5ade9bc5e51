"""Training the number reader: numbers written from MNIST digits (mnist_dvc/data/written.py), each as the
reader sees it, and CTC's loss on their digit strings."""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from mnist_dvc.data.written import written_number
from mnist_dvc.fileio import atomic_open
from mnist_dvc.models.number_reader.network import NumberReaderNet
from mnist_dvc.models.number_reader.sequence import (
    BLANK,
    FORMAT,
    INPUT_HEIGHT,
    INPUT_WIDTH,
    decode,
    reader_input,
)
from mnist_dvc.models.onnx_model import META_KEY
from mnist_dvc.validation import StageParams

OPSET = 18


def written_numbers(
    images: np.ndarray, labels: np.ndarray, count: int, p: StageParams, rng: np.random.Generator
) -> tuple[np.ndarray, list[list[int]]]:
    """``count`` numbers written from ``images`` (unit 28x28 digits), as the reader sees them (uint8,
    to keep them small), and their digits. Each draws its length, gaps, slant, pen and height from the
    params' ranges."""
    inputs = np.zeros((count, INPUT_HEIGHT, INPUT_WIDTH), np.uint8)
    targets = []
    for i in tqdm(range(count), desc="writing numbers", mininterval=5, leave=False):
        chosen = rng.integers(0, len(images), int(rng.integers(p.digits[0], p.digits[1] + 1)))
        height = int(rng.integers(p.height[0], p.height[1] + 1))
        pen = max(1.2, rng.uniform(*p.pen) * height)
        mask = written_number(images[chosen], height, pen, rng, gaps=p.gaps, slant=rng.uniform(*p.slant))
        inputs[i] = np.round(255 * reader_input(mask > 0.5)[0])
        targets.append([int(d) for d in labels[chosen]])
    return inputs, targets


def _batch(inputs: np.ndarray, targets: list[list[int]], chosen: np.ndarray):
    x = torch.from_numpy(inputs[chosen].astype(np.float32) / 255)[:, None]
    lengths = torch.tensor([len(targets[i]) for i in chosen])
    flat = torch.tensor([d for i in chosen for d in targets[i]])
    return x, flat, lengths


def exact_share(model: NumberReaderNet, inputs: np.ndarray, targets: list[list[int]]) -> float:
    """The share of numbers read exactly (every digit, none more)."""
    model.eval()
    right = 0
    with torch.no_grad():
        for start in range(0, len(inputs), 256):
            x, _, _ = _batch(inputs, targets, np.arange(start, min(start + 256, len(inputs))))
            for j, log_probs in enumerate(model(x).numpy()):
                right += decode(log_probs)[0] == targets[start + j]
    return right / len(inputs)


def train_reader(p: StageParams, train: tuple, val: tuple) -> tuple[NumberReaderNet, list[dict]]:
    """The reader trained on ``train`` (inputs, targets) with Adam on a one-cycle schedule, and each
    epoch's loss and exact share on ``val``."""
    torch.manual_seed(p.seed)
    torch.set_num_threads(p.num_threads)
    model = NumberReaderNet(p.width, p.hidden)
    inputs, targets = train
    steps_per_epoch = -(-len(inputs) // p.batch_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=p.lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, p.lr, total_steps=p.epochs * steps_per_epoch)
    ctc = torch.nn.CTCLoss(blank=BLANK, zero_infinity=True)
    order = np.random.default_rng(p.seed)
    history = []
    for epoch in range(1, p.epochs + 1):
        model.train()
        total = 0.0
        shuffled = order.permutation(len(inputs))
        for start in range(0, len(inputs), p.batch_size):
            x, flat, lengths = _batch(inputs, targets, shuffled[start : start + p.batch_size])
            log_probs = model(x).transpose(0, 1)  # (STEPS, N, classes), as CTCLoss takes them
            steps = torch.full((len(x),), log_probs.shape[0], dtype=torch.long)
            loss = ctc(log_probs, flat, steps, lengths)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += float(loss.detach()) * len(x)
        exact = exact_share(model, *val)
        history.append({"epoch": epoch, "loss": total / len(inputs), "val_exact": exact})
        print(f"train_number_reader: epoch {epoch}: loss {total / len(inputs):.4f}, val exact {exact:.4f}")
    return model.eval(), history


def export_reader(path: Path, model: NumberReaderNet, meta: dict) -> None:
    """The reader as ONNX (input ``writing`` (N, 1, INPUT_HEIGHT, INPUT_WIDTH), output ``log_probs``
    (N, STEPS, 11)), ``meta`` inside, written atomically. The TorchScript-based exporter gives the same
    bytes for the same weights."""
    import onnx

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model.float().eval(), (torch.zeros(2, 1, INPUT_HEIGHT, INPUT_WIDTH),), buffer,
            input_names=["writing"], output_names=["log_probs"], opset_version=OPSET,
            dynamic_axes={"writing": {0: "batch"}, "log_probs": {0: "batch"}}, dynamo=False,
        )  # fmt: skip
    graph = onnx.load_from_string(buffer.getvalue())
    parameters = sum(w.numel() for w in model.parameters())
    graph.metadata_props.add(
        key=META_KEY, value=json.dumps({"format": FORMAT, **meta, "parameters": parameters})
    )
    with atomic_open(path) as handle:
        handle.write(graph.SerializeToString())
