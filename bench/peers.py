"""One peer benchmark. Run `python -m bench.peers` (or `make bench`) after `dvc repro prepare`.

Trains and scores on the official test set, in one run on one machine:
* this project's three default models, through the code the stages use (params from params.yaml);
* the notebook's four configurations (bench/notebook.yaml, as the Makefile's notebook-* targets run them);
* scikit-learn's MLPClassifier with the notebook's MLP shape (784-128-64-10);
* the pytorch/examples MNIST recipe, written from its published description: two 3x3 convolutions of 32
  and 64 channels, max-pool, dropout 0.25, 9216 -> 128, dropout 0.5, -> 10; Adadelta lr 1.0, StepLR
  gamma 0.7, batch 64, 14 epochs;
* the default CNN fed through a standard DataLoader with per-sample torchvision transforms, to show what
  the in-memory, whole-batch augmentation buys.
`--peer-epochs N` trains the last two for N epochs only: their time is extrapolated to the full run from
the time per epoch, and the result says it was shortened (their accuracy is that of N epochs).
Writes bench/results/peers.json and bench/results/pareto.png (accuracy against training seconds).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from bench.common import RESULTS_DIR, load_data, matmul_gflops, save
from bench.notebook import configs as notebook_configs
from bench.torch_models import run as run_torch
from mnist_dvc.models.families import trainer_params
from mnist_dvc.models.numpy_mlp.network import predict_log_proba
from mnist_dvc.models.numpy_mlp.train import train as train_numpy
from mnist_dvc.models.schedules import StepSchedule
from mnist_dvc.models.torch_nets.architectures import build_model
from mnist_dvc.models.torch_nets.augment import MAX_DEGREES, MAX_SCALE, MAX_SHIFT
from mnist_dvc.models.torch_nets.inference import to_device
from mnist_dvc.models.torch_nets.train import autocast_dtype, evaluate, make_deterministic, make_optimizer
from mnist_dvc.pictures import save_png

EXAMPLES_EPOCHS = 14
LABEL_BESIDE, LABEL_ABOVE, LABEL_BELOW = 4, 8, -13  # a label's vertical offset from its point (points)


def entry(name, accuracy, seconds, *, ours=False, note="", epochs_run=None, epochs_full=None) -> dict:
    shortened = epochs_run is not None and epochs_run < epochs_full
    return {
        "name": name, "test_accuracy": float(accuracy), "train_seconds": float(seconds), "ours": ours,
        "shortened": shortened, "epochs_run": epochs_run, "epochs_full": epochs_full, "note": note,
    }  # fmt: skip


def run_numpy(name, overrides, data, flat, ours=False) -> dict:
    p = trainer_params("numpy_mlp", **overrides)
    params, result = train_numpy(p, data, live_dir=None)
    accuracy = (predict_log_proba(params, flat["test"], p.activation).argmax(1) == data.labels["test"]).mean()
    return entry(name, accuracy, result.train_seconds, ours=ours)


def run_sklearn(data, flat, epochs: int = 10) -> dict:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=(128, 64), solver="adam", batch_size=64, random_state=0)
    elapsed = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(epochs):
            start = time.perf_counter()
            clf.partial_fit(flat["train"], data.labels["train"], classes=np.arange(10))
            elapsed += time.perf_counter() - start
    note = f"MLPClassifier((128, 64), adam, batch 64), {epochs} epochs"
    return entry("sklearn MLP", clf.score(flat["test"], data.labels["test"]), elapsed, note=note)


class ExamplesNet(nn.Module):
    """pytorch/examples' MNIST network, from its published description."""

    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 3, 1), nn.Conv2d(32, 64, 3, 1)
        self.dropout1, self.dropout2 = nn.Dropout(0.25), nn.Dropout(0.5)
        self.fc1, self.fc2 = nn.Linear(9216, 128), nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
        x = F.relu(self.fc1(torch.flatten(self.dropout1(x), 1)))
        return self.fc2(self.dropout2(x))


def timed_epochs(
    model, batches, optimizer, epochs: int, loss_fn=F.cross_entropy, after_epoch=None, autocast=None
) -> float:
    """A textbook PyTorch training loop over ``batches()`` (yielding (images, labels)); its seconds.
    ``autocast``: the low-precision dtype of the forward pass, as the stages' ``precision`` resolves."""
    elapsed = 0.0
    model.train()
    for _ in range(epochs):
        start = time.perf_counter()
        for images, labels in batches():
            with torch.autocast("cpu", dtype=autocast, enabled=autocast is not None):
                loss = loss_fn(model(images), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        elapsed += time.perf_counter() - start
        if after_epoch is not None:
            after_epoch()
    return elapsed


def test_accuracy(model, data) -> float:
    x, y = torch.from_numpy(data.images["test"]), torch.from_numpy(data.labels["test"])
    return evaluate(model, x, y, torch.device("cpu"))[1]


def run_examples_recipe(data, epochs: int) -> dict:
    make_deterministic(1, 2)
    model = ExamplesNet()
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    x, y = torch.from_numpy(data.images["train"]), torch.from_numpy(data.labels["train"])
    generator = torch.Generator().manual_seed(1)

    def batches():
        order = torch.randperm(len(x), generator=generator)
        for i in range(0, len(x), 64):
            yield x[order[i : i + 64]], y[order[i : i + 64]]

    seconds = timed_epochs(model, batches, optimizer, epochs, after_epoch=scheduler.step)
    return entry(
        "pytorch/examples CNN", test_accuracy(model, data), seconds * EXAMPLES_EPOCHS / epochs,
        epochs_run=epochs, epochs_full=EXAMPLES_EPOCHS, note="Adadelta lr 1.0, StepLR 0.7, batch 64",
    )  # fmt: skip


def run_cnn_dataloader(data, epochs: int | None) -> dict:
    """The default CNN, optimizer and schedule, but batches from a DataLoader with per-sample torchvision
    v2 RandomAffine of the same strength: what a textbook input pipeline costs."""
    from torch.utils.data import DataLoader, Dataset
    from torchvision.transforms import v2

    p = trainer_params("cnn")
    full = p.epochs
    epochs = min(epochs or full, full)
    make_deterministic(p.seed, p.num_threads)
    model = build_model(p.arch, {"width": p.width, "dropout": p.dropout})
    model = model.to(memory_format=torch.channels_last)
    optimizer = make_optimizer(p, model)
    s = p.augment_strength
    background = data.normalization.blank
    affine = v2.RandomAffine(
        degrees=MAX_DEGREES * s, translate=(MAX_SHIFT * s, MAX_SHIFT * s),
        scale=(1 - MAX_SCALE * s, 1 + MAX_SCALE * s), fill=background,
    )  # fmt: skip

    class Digits(Dataset):
        def __len__(self):
            return len(data.labels["train"])

        def __getitem__(self, i):
            return affine(torch.from_numpy(data.images["train"][i])), int(data.labels["train"][i])

    loader = DataLoader(
        Digits(), batch_size=p.batch_size, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    lr_for_step = StepSchedule.for_run(
        p.lr, p.schedule, epochs=full, warmup_epochs=p.warmup_epochs,
        n_train=len(data.labels["train"]), batch_size=p.batch_size,
    )  # fmt: skip
    step = 0

    def batches():
        nonlocal step
        for images, labels in loader:
            for group in optimizer.param_groups:
                group["lr"] = lr_for_step(step)
            step += 1
            yield to_device(images, torch.device("cpu")), labels

    loss_fn = nn.CrossEntropyLoss(label_smoothing=p.label_smoothing)
    low_precision = autocast_dtype(p.precision, torch.device("cpu"))
    seconds = timed_epochs(model, batches, optimizer, epochs, loss_fn=loss_fn, autocast=low_precision)
    return entry(
        "default CNN, DataLoader + per-sample transforms", test_accuracy(model, data),
        seconds * full / epochs, epochs_run=epochs, epochs_full=full,
        note="same model, optimizer, schedule and precision",
    )  # fmt: skip


def _label_dy(r: dict, results: list[dict]) -> int:
    """Vertical offset (points) of the label right of ``r``'s point, so that no label crosses a neighbour
    at nearly the same accuracy: away from the neighbour on its right, else below a left one as high."""
    x, y = r["train_seconds"], 100 * r["test_accuracy"]

    def near(o, lo, hi):
        return lo < o["train_seconds"] / x < hi and abs(100 * o["test_accuracy"] - y) < 0.5

    right = [100 * o["test_accuracy"] for o in results if near(o, 1, 2.5)]
    if right:
        return LABEL_BELOW if min(right) > y else LABEL_ABOVE
    if any(100 * o["test_accuracy"] >= y for o in results if near(o, 1 / 2.5, 1)):
        return LABEL_BELOW
    return LABEL_BESIDE


def pareto_figure(results: list[dict]):
    """Test accuracy against training seconds (log), one labelled point per model, ours in red."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    ours_color, peer_color = "#d62728", "#1f77b4"
    fig, ax = plt.subplots(figsize=(11, 7))
    for r in results:
        color = ours_color if r["ours"] else peer_color
        marker = "^" if r["shortened"] else "o"
        x, y = r["train_seconds"], 100 * r["test_accuracy"]
        ax.scatter(x, y, color=color, marker=marker, s=70, zorder=3)
        ax.annotate(r["name"], (x, y), textcoords="offset points", xytext=(7, _label_dy(r, results)),
                    fontsize=9, color=color)  # fmt: skip
    ax.set_xscale("log")
    seconds = [r["train_seconds"] for r in results]
    ax.set_xlim(min(seconds) / 1.6, max(seconds) * 6)  # room for the labels right of the points
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:g}"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set(xlabel="training seconds (log scale, this machine, one run)", ylabel="test accuracy (%)",
           title="MNIST: test accuracy against training time")  # fmt: skip
    shortened = [r for r in results if r["shortened"]]
    legend = [
        Line2D([], [], marker="o", color=ours_color, linestyle="", label="this project's defaults"),
        Line2D([], [], marker="o", color=peer_color, linestyle="", label="peers"),
    ]
    if shortened:
        legend.append(Line2D([], [], marker="^", color=peer_color, linestyle="", label=(
            f"trained {shortened[0]['epochs_run']} of {shortened[0]['epochs_full']} epochs: "
            "time extrapolated, accuracy after those epochs"
        )))  # fmt: skip
    ax.legend(handles=legend, loc="lower right", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-epochs", type=int, help="train the two heavy peers this many epochs only")
    parser.add_argument("--replot", action="store_true", help="redraw pareto.png from peers.json only")
    args = parser.parse_args()
    if args.replot:
        save_png(
            RESULTS_DIR / "pareto.png",
            pareto_figure(json.loads((RESULTS_DIR / "peers.json").read_text())["results"]),
        )
        return
    data, flat = load_data()
    results = [run_numpy("numpy_mlp (ours)", {}, data, flat, ours=True)]
    for name, model in (("torch_mlp (ours)", "torch_mlp"), ("cnn (ours)", "cnn")):
        r = run_torch(model, {}, data)
        results.append(entry(name, r["test_accuracy"], r["train_seconds"], ours=True))
    for name, (model, overrides) in notebook_configs().items():
        if model == "numpy_mlp":
            results.append(run_numpy(f"notebook {name}", overrides, data, flat))
        else:
            r = run_torch(model, overrides, data)
            results.append(entry(f"notebook {name}", r["test_accuracy"], r["train_seconds"]))
    results.append(run_sklearn(data, flat))
    results.append(run_examples_recipe(data, args.peer_epochs or EXAMPLES_EPOCHS))
    results.append(run_cnn_dataloader(data, args.peer_epochs))
    save_png(RESULTS_DIR / "pareto.png", pareto_figure(results))
    save("peers", {"sgemm_gflops_2_threads": round(matmul_gflops(), 1), "results": results})


if __name__ == "__main__":
    main()
