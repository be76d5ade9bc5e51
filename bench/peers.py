"""One peer benchmark. Run `python -m bench.peers` (or `make bench`) after `dvc repro prepare`.

Trains and scores on the official test set, in one run on one machine:
* this project's three default models, through the code the stages use (params from params.yaml);
* the notebook's four configurations (bench/notebook.yaml, as the Makefile's notebook-* targets run them);
* scikit-learn's MLPClassifier with the notebook's MLP shape (784-128-64-10);
* the pytorch/examples MNIST recipe, written from its published description: two 3x3 convolutions of 32
  and 64 channels, max-pool, dropout 0.25, 9216 -> 128, dropout 0.5, -> 10; Adadelta lr 1.0, StepLR
  gamma 0.7, batch 64, 14 epochs;
* the default CNN fed through a standard DataLoader with per-sample torchvision transforms, to show what
  the in-memory, whole-batch augmentation buys;
* the time to 99% test accuracy of tuomaso/train_mnist_fast's one-epoch recipe (a 24/32-channel CNN, Adam,
  one-cycle, batch 256; bench/fast_peer.py says what was taken from where) and of the quick profile's
  CNN (bench/quick.yaml), as the profile trains it and in float32, each stopped at its first check at
  99%: their point is that moment. They run REPEATS times in turn, and each one's run of median time
  counts (all the times are kept).
`--peer-epochs N` trains the pytorch/examples recipe and the DataLoader CNN for N epochs only: their time
is extrapolated to the full run from the time per epoch, and the result says it was shortened (their
accuracy is that of N epochs).
`--only fast` runs just the time-to-99% pair and merges them into an existing peers.json (replacing their
entries, keeping the others), with that run's sgemm figure on each; then redraws the picture.
Writes bench/results/peers.json and bench/results/pareto.png (accuracy against training seconds).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from functools import partial

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from bench.common import RESULTS_DIR, load_data, matmul_gflops, save
from bench.fast_peer import first_reaching, time_fast_recipe, time_quick_cnn
from bench.notebook import configs as notebook_configs
from bench.pareto import pareto_figure
from bench.quick import overrides as quick_overrides
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
REPEATS = 3  # runs of each time-to-99% recipe: a few seconds each, so a busy moment can swing one


def entry(
    name, accuracy, seconds, *, ours=False, note="", epochs_run=None, epochs_full=None, checks=None
) -> dict:
    """One model's result. Given ``checks`` (its test accuracy, checked while it trained), it keeps them and
    ``seconds_to_99``: the training seconds at the first check at or above 99%, None if none is."""
    shortened = epochs_run is not None and epochs_run < epochs_full
    result = {
        "name": name, "test_accuracy": float(accuracy), "train_seconds": float(seconds), "ours": ours,
        "shortened": shortened, "epochs_run": epochs_run, "epochs_full": epochs_full, "note": note,
    }  # fmt: skip
    if checks is not None:
        reached = first_reaching(checks)
        result.update(seconds_to_99=reached and reached["seconds"], checks=checks)
    return result


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


def run_fast_recipe(data) -> dict:
    run = time_fast_recipe(data)
    last = run["checks"][-1]
    missed = "".join(f"; over {m['epochs']} epoch(s): {100 * m['test_accuracy']:.2f}%" for m in run["missed"])
    note = f"Adam 0.01 (0.7, 0.9), one-cycle over {run['epochs']} epoch(s), batch 256{missed}"
    return entry(
        "train_mnist_fast CNN", last["test_accuracy"], last["seconds"], note=note, checks=run["checks"]
    )


def run_quick_cnn(data, precision: str | None = None) -> dict:
    """The quick profile's CNN, in its own precision or (``precision``) another one."""
    overrides = quick_overrides()["train_cnn"]
    run = time_quick_cnn(data, overrides if precision is None else {**overrides, "precision": precision})
    last = run["checks"][-1]
    note = f"bench/quick.yaml's train_cnn; {last['epochs']} of its {run['epochs']} epochs"
    name = "cnn quick profile (ours)" if precision is None else f"cnn quick profile, {precision} (ours)"
    return entry(name, last["test_accuracy"], last["seconds"], ours=True, note=note, checks=run["checks"])


def time_to_99(data, repeats: int = REPEATS) -> list[dict]:
    """The quick CNN as the profile trains it and in float32 (as on a CPU without bfloat16), and the fast
    peer: each run ``repeats`` times, the order turning each round (A B C, B C A, C A B), so that none has
    the first place or the machine's quiet or busy moments to itself; :func:`median_run` of each."""
    recipes = [run_quick_cnn, partial(run_quick_cnn, precision="float32"), run_fast_recipe]
    runs: list[list[dict]] = [[] for _ in recipes]
    for round_ in range(repeats):
        for i in np.roll(np.arange(len(recipes)), -round_):
            runs[i].append(recipes[i](data))
    return [median_run(each) for each in runs]


def median_run(runs: list[dict]) -> dict:
    """Of runs of one recipe (the same seed: the same checks, other timings), the one of median training
    time, with every run's time in ``runs_seconds``."""
    ordered = sorted(runs, key=lambda r: r["train_seconds"])
    return dict(ordered[(len(ordered) - 1) // 2], runs_seconds=[r["train_seconds"] for r in runs])


def merged(previous: list[dict], fresh: list[dict]) -> list[dict]:
    """``previous`` with each of ``fresh`` in place of the entry of the same name, or after them if new."""
    by_name = {r["name"]: r for r in fresh}
    return [by_name.pop(r["name"], r) for r in previous] + list(by_name.values())


def rerun_fast(data) -> None:
    """Measure the time-to-99% entries and merge them into peers.json, without rerunning the rest.
    Measured apart from the others, each carries its own run's sgemm figure."""
    fresh = time_to_99(data)
    sgemm = round(matmul_gflops(), 1)
    fresh = [dict(r, sgemm_gflops_2_threads=sgemm) for r in fresh]
    path = RESULTS_DIR / "peers.json"
    previous = json.loads(path.read_text()) if path.exists() else {"sgemm_gflops_2_threads": sgemm}
    results = merged(previous.get("results", []), fresh)
    save_png(RESULTS_DIR / "pareto.png", pareto_figure(results))
    save("peers", {"sgemm_gflops_2_threads": previous["sgemm_gflops_2_threads"], "results": results})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-epochs", type=int, help="train the two heavy peers this many epochs only")
    parser.add_argument("--replot", action="store_true", help="redraw pareto.png from peers.json only")
    parser.add_argument("--only", choices=["fast"], help="fast: time the fast peer and the quick CNN to "
                        "99%% only, merged into peers.json")  # fmt: skip
    args = parser.parse_args()
    if args.replot:
        save_png(
            RESULTS_DIR / "pareto.png",
            pareto_figure(json.loads((RESULTS_DIR / "peers.json").read_text())["results"]),
        )
        return
    data, flat = load_data()
    if args.only == "fast":
        rerun_fast(data)
        return
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
    results += time_to_99(data)
    save_png(RESULTS_DIR / "pareto.png", pareto_figure(results))
    save("peers", {"sgemm_gflops_2_threads": round(matmul_gflops(), 1), "results": results})


if __name__ == "__main__":
    main()
