"""A committee of CNNs: how many members it takes, chosen on the validation split only, and what it scores
on the test set. Writes bench/results/committee.json (keeping bench.diverse_committee's part) and
committee.png.

`python -m bench.committee` (after `make committee`, see bench/seeds.py) loads the CNN of each seed of the
``committee`` experiment from the DVC cache, and scores every committee (every subset of the seeds; a
committee's answer is the mean of its members' temperature-scaled probabilities, as in the pipeline):

* the choice: among all committees, the best validation accuracy, and the smallest committee that has it;
  its test accuracy is read once, after the choice;
* the curve: for 1, 2, 3, 5 and 8 members, the test accuracy of every committee of that size (mean, min,
  max) against the training time (members × the mean seed's), beside published anchors.
"""

from __future__ import annotations

import itertools
import json
import tempfile
from pathlib import Path

import numpy as np

from bench.common import RESULTS_DIR, matmul_gflops, save
from bench.seeds import EXPERIMENT, SEEDS, experiment_rev, train_seconds
from mnist_dvc.data.dataset import load_prepared
from mnist_dvc.models.model_file import read_model_file
from mnist_dvc.models.registry import models
from mnist_dvc.models.trained_models import committee_log_proba
from mnist_dvc.paths import PREPARED_DIR
from mnist_dvc.pictures import _pyplot, save_png

MODEL = "cnn"
SIZES = (1, 2, 3, 5, 8)
# Published MNIST results to compare with (test accuracy).
ANCHORS = {
    "Deotte (Kaggle): mean of 1,500 single CNNs": 0.99641,
    "Deotte: ensembles of 15 CNNs": 0.99745,
    "An et al. 2020: one CNN, ~48 epochs of hours each here": 0.9975,
}


def member_log_probs(rev: str, data) -> dict[int, dict[str, np.ndarray]]:
    """Each seed's calibrated log-probabilities on the validation and test splits."""
    import dvc.api

    entry = models()[MODEL]
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in SEEDS:
            path = Path(tmp) / entry.file(seed).name
            with dvc.api.open(str(entry.file(seed)), rev=rev, mode="rb") as src:
                path.write_bytes(src.read())
            model = read_model_file(path)
            out[seed] = {split: model.log_proba(data.images[split]) for split in ("val", "test")}
    return out


def accuracy(log_probs: np.ndarray, labels: np.ndarray) -> float:
    return float((log_probs.argmax(1) == labels).mean())


def score_committees(members: dict, labels: dict) -> list[dict]:
    """Every committee (subset of the seeds) with its validation and test accuracy."""
    rows = []
    for size in range(1, len(SEEDS) + 1):
        for subset in itertools.combinations(SEEDS, size):
            row = {"seeds": list(subset)}
            for split in ("val", "test"):
                row[split] = accuracy(committee_log_proba([members[s][split] for s in subset]), labels[split])
            rows.append(row)
    return rows


def figure(curve: list[dict], chosen: dict, path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    seconds = [c["train_seconds"] for c in curve]
    mean = [100 * c["test_mean"] for c in curve]
    low = [100 * c["test_min"] for c in curve]
    high = [100 * c["test_max"] for c in curve]
    ax.fill_between(
        seconds, low, high, alpha=0.2, color="tab:blue", label="every committee of that size: min-max"
    )
    ax.plot(seconds, mean, "o-", color="tab:blue", label="mean over committees of that size")
    for c, s in zip(curve, seconds, strict=True):
        ax.annotate(f"{c['members']}", (s, 100 * c["test_mean"]), textcoords="offset points", xytext=(0, -14),
                    ha="center", fontsize=8)  # fmt: skip
    ax.plot([chosen["train_seconds"]], [100 * chosen["test"]], "*", color="tab:red", markersize=12,
            label=f"chosen on validation: {chosen['members']} members")  # fmt: skip
    for (label, value), style in zip(ANCHORS.items(), (":", "--", "-."), strict=True):
        ax.axhline(
            100 * value, color="gray", linestyle=style, linewidth=1, label=f"{label}: {100 * value:.3f}%"
        )
    ax.set_xscale("log")
    ax.set_xlabel("training time of the committee, seconds (members × one CNN's, 2 CPU cores)")
    ax.set_ylabel("test accuracy, %")
    ax.set_title("A committee of CNNs: members (numbers) against test accuracy", fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    save_png(path, fig)


def main() -> None:
    rev = experiment_rev()
    data = load_prepared(PREPARED_DIR)
    labels = {split: data.labels[split] for split in ("val", "test")}
    members = member_log_probs(rev, data)
    rows = score_committees(members, labels)
    seed_seconds = float(np.mean([train_seconds(rev, MODEL, s) for s in SEEDS]))
    best_val = max(r["val"] for r in rows)
    # Rows go by size, then in seed order: the first with the best validation accuracy is the smallest
    # such committee (a tie is settled by seed order, never by the test set).
    choice = next(r for r in rows if r["val"] == best_val)
    chosen = {
        "members": len(choice["seeds"]), "seeds": choice["seeds"], "val": choice["val"],
        "test": choice["test"], "train_seconds": round(len(choice["seeds"]) * seed_seconds, 1),
    }  # fmt: skip
    curve = []
    for size in SIZES:
        tests = [r["test"] for r in rows if len(r["seeds"]) == size]
        vals = [r["val"] for r in rows if len(r["seeds"]) == size]
        curve.append({
            "members": size, "committees": len(tests), "train_seconds": round(size * seed_seconds, 1),
            "test_mean": float(np.mean(tests)), "test_min": float(min(tests)), "test_max": float(max(tests)),
            "val_mean": float(np.mean(vals)),
            "first_seeds_test": next(r["test"] for r in rows if r["seeds"] == SEEDS[:size]),
        })  # fmt: skip
    figure(curve, chosen, RESULTS_DIR / "committee.png")
    before = RESULTS_DIR / "committee.json"
    diverse = json.loads(before.read_text()).get("diverse") if before.exists() else None
    save("committee", {
        "sgemm_gflops_2_threads": round(matmul_gflops(), 1), "experiment": EXPERIMENT,
        "experiment_rev": rev, "model": MODEL, "seed_train_seconds_mean": round(seed_seconds, 1),
        "chosen": chosen, "curve": curve, "anchors": ANCHORS,
        **({"diverse": diverse} if diverse else {}),  # bench.diverse_committee's, not redone here
    })  # fmt: skip


if __name__ == "__main__":
    main()
