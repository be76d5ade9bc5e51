"""A committee of CNNs that differ in more than their seed, chosen on the validation split only; into
bench/results/committee.json (key ``diverse``) beside the 8-seed committee of bench.committee.

`python -m bench.diverse_committee` (after `dvc repro prepare`) trains every candidate of
bench/committee.yaml through the stages' own trainer (:func:`mnist_dvc.models.torch_nets.train.train`):
params.yaml's train_cnn with the candidate's overrides, on its stratified share of the training split.
Each candidate's temperature is fitted on the validation split, as the pipeline calibrates its models,
and its validation and test log-probabilities are kept in data/bench/committee/<name>-<spec digest>.npz (a
rerun trains only what is missing or was edited; a refit member's, below, in <name>.refit-<digest>.npz).
The committee's answer is the mean of its members' calibrated probabilities, as in the pipeline.

The choice, on validation only (Caruana et al.'s forward selection, without repeats): start empty, add
the candidate that lowers the committee's validation log-loss most, up to MAX_MEMBERS; of those
committees, the one with the best validation accuracy, the smallest on a tie. Its test accuracy is read
once, after the choice, with its members' total training time.

Then the chosen members are trained again, each as before but on the training and validation splits
together (its share of them; :func:`refit_candidate`), as a model is trained once the choice is made: the
committee of those is the final one, its test accuracy read once (key ``refit``). Nothing of the test
split chose anything.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
from pathlib import Path

import numpy as np
import yaml

from bench.committee import accuracy
from bench.common import RESULTS_DIR, matmul_gflops
from mnist_dvc.data.dataset import PreparedData, load_prepared, stratified_split
from mnist_dvc.fileio import save_npz, write_json
from mnist_dvc.models.calibration import fit_temperature, log_softmax, nll
from mnist_dvc.models.trained_models import committee_log_proba
from mnist_dvc.paths import PREPARED_DIR

CANDIDATES = Path("bench/committee.yaml")
CACHE = Path("data/bench/committee")
MAX_MEMBERS = 8
SPLITS = ("val", "test")


def candidates(path: Path = CANDIDATES) -> dict[str, dict]:
    """The candidates, each with its train_cnn params checked now (a misspelled override fails here,
    before hours of training)."""
    from mnist_dvc.models.families import trainer_params

    listed = yaml.safe_load(path.read_text())["candidates"]
    for name, spec in listed.items():
        if not 0 < spec["subset"] <= 1:
            raise SystemExit(f"{path}: {name}: subset must be in (0, 1], got {spec['subset']!r}")
        trainer_params("cnn", spec["seed"], **spec["overrides"])
    return listed


def subset_of(data: PreparedData, share: float, seed: int) -> PreparedData:
    """``data`` with its training split cut to a stratified ``share`` of it, drawn with ``seed``."""
    if share == 1:
        return data
    kept, _ = stratified_split(data.labels["train"], 1 - share, seed)
    images = {**data.images, "train": data.images["train"][kept]}
    labels = {**data.labels, "train": data.labels["train"][kept]}
    return PreparedData(images, labels, data.normalization, data.meta)


def labelled(data: PreparedData) -> PreparedData:
    """``data`` with its validation split added to its training split (the validation split stays too)."""
    images = {**data.images, "train": np.concatenate([data.images["train"], data.images["val"]])}
    labels = {**data.labels, "train": np.concatenate([data.labels["train"], data.labels["val"]])}
    return PreparedData(images, labels, data.normalization, data.meta)


def trained(data: PreparedData, spec: dict, **more_overrides):
    """A candidate trained through the stages' own trainer on its share of ``data``'s training split;
    the network and its training seconds."""
    from mnist_dvc.models.families import trainer_params
    from mnist_dvc.models.torch_nets.train import train

    p = trainer_params("cnn", spec["seed"], **{**spec["overrides"], **more_overrides})
    net, result = train(p, subset_of(data, spec["subset"], spec["seed"]), live_dir=None)
    return net, np.float64(result.train_seconds)


def logits_of(net, images: np.ndarray) -> np.ndarray:
    import torch

    from mnist_dvc.models.torch_nets.inference import predict_logits

    return predict_logits(net, torch.from_numpy(images), torch.device("cpu")).numpy()


def train_candidate(data: PreparedData, spec: dict) -> dict[str, np.ndarray]:
    """One candidate trained; its calibrated log-probabilities on each of SPLITS and its seconds."""
    net, seconds = trained(data, spec)
    logits = {s: logits_of(net, data.images[s]) for s in SPLITS}
    temperature = fit_temperature(logits["val"], data.labels["val"])
    # In float64: a sure model's scaled logits (a tiny temperature) overflow float32.
    out = {s: log_softmax(logits[s].astype(np.float64) / temperature) for s in SPLITS}
    return {**out, "train_seconds": seconds}


def refit_candidate(data: PreparedData, spec: dict) -> dict[str, np.ndarray]:
    """A chosen candidate trained again on the training and validation splits together (its share of
    them, drawn by its seed); its log-probabilities on the test split and its seconds. No data is left to
    choose an epoch or fit a temperature on: it keeps its last epoch and its own probabilities."""
    net, seconds = trained(labelled(data), spec, keep="last")
    logits = logits_of(net, data.images["test"]).astype(np.float64)
    return {"test": log_softmax(logits), "train_seconds": seconds}


def cache_file(cache: Path, name: str, spec: dict) -> Path:
    """Where a candidate's answers are kept: named by its spec too, so that an edited spec trains anew."""
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]
    return cache / f"{name}-{digest}.npz"


def member_log_probs(
    data: PreparedData, listed: dict[str, dict], cache: Path = CACHE, refit: bool = False
) -> dict[str, dict]:
    """Every candidate's log-probabilities and training seconds, trained now or read from ``cache``; with
    ``refit``, each as :func:`refit_candidate` trains it (cached apart)."""
    cache.mkdir(parents=True, exist_ok=True)
    members = {}
    for name, spec in listed.items():
        named = (f"{name}.refit", {**spec, "refit": True}) if refit else (name, spec)
        path = cache_file(cache, *named)
        if not path.exists():
            where = " on train+val" if refit else ""
            print(f"diverse_committee: training {name} ({spec}){where}", flush=True)
            save_npz(path, **(refit_candidate if refit else train_candidate)(data, spec))
        with np.load(path) as saved:
            members[name] = {key: saved[key] for key in saved.files}
    return members


def forward_selection(
    members: dict[str, dict], labels: np.ndarray, most: int = MAX_MEMBERS
) -> list[list[str]]:
    """The committees of forward selection on the validation split: after 1, 2, ... members, each step
    adding the candidate that lowers the committee's validation log-loss most (a tie: the first listed)."""
    chosen: list[str] = []
    steps = []
    while len(chosen) < min(most, len(members)):
        best = min(
            (name for name in members if name not in chosen),
            key=lambda name: nll(committee_log_proba([members[m]["val"] for m in [*chosen, name]]), labels),
        )
        chosen.append(best)
        steps.append(list(chosen))
    return steps


def seconds_of(members: dict[str, dict], names: list[str]) -> float:
    """The training seconds of ``names``, together."""
    return round(sum(float(members[n]["train_seconds"]) for n in names), 1)


def test_accuracy_of(members: dict[str, dict], names: list[str], labels: np.ndarray) -> float:
    """The test accuracy of the committee of ``names`` (one name: that member's own)."""
    return accuracy(committee_log_proba([members[n]["test"] for n in names]), labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=Path, default=CANDIDATES, help="default: %(default)s")
    parser.add_argument("--cache", type=Path, default=CACHE, help="trained candidates (default: %(default)s)")
    args = parser.parse_args()
    listed = candidates(args.candidates)
    data = load_prepared(PREPARED_DIR)
    members = member_log_probs(data, listed, args.cache)
    labels = {s: data.labels[s] for s in SPLITS}

    def scored(names: list[str]) -> dict:  # on validation only: the test split waits for the choice
        vote = committee_log_proba([members[n]["val"] for n in names])
        return {
            "members": names, "val": accuracy(vote, labels["val"]),
            "val_log_loss": round(nll(vote, labels["val"]), 5),
            "train_seconds": seconds_of(members, names),
        }  # fmt: skip

    steps = [scored(names) for names in forward_selection(members, labels["val"])]
    best_val = max(step["val"] for step in steps)
    chosen = next(step for step in steps if step["val"] == best_val)  # the smallest with it
    for row in (chosen, *steps):  # test accuracy, read only now, after the choice
        row["test"] = test_accuracy_of(members, row["members"], labels["test"])
    names = chosen["members"]
    refit = member_log_probs(data, {n: listed[n] for n in names}, args.cache, refit=True)
    final = {
        "members": names, "test": test_accuracy_of(refit, names, labels["test"]),
        "members_test": {n: test_accuracy_of(refit, [n], labels["test"]) for n in names},
        "members_train_seconds": {n: seconds_of(refit, [n]) for n in names},
        "train_seconds": seconds_of(refit, names),
    }  # fmt: skip
    singles = {
        name: {**spec, "val": accuracy(members[name]["val"], labels["val"]),
               "test": test_accuracy_of(members, [name], labels["test"]),
               "train_seconds": seconds_of(members, [name])}
        for name, spec in listed.items()
    }  # fmt: skip
    seeds_committee = RESULTS_DIR / "committee.json"  # bench.committee's, which this adds to
    results = json.loads(seeds_committee.read_text()) if seeds_committee.exists() else {}
    results["diverse"] = {
        "machine": {"platform": platform.platform(), "processor": platform.processor()},
        "sgemm_gflops_2_threads": round(matmul_gflops(), 1), "candidates": singles,
        "selection": steps, "chosen": chosen, "refit": final,
        "all_candidates_test": test_accuracy_of(members, list(members), labels["test"]),
    }  # fmt: skip
    write_json(seeds_committee, results)  # the seeds' part keeps its own machine
    print(json.dumps({"chosen": chosen, "refit": final}, indent=2))


if __name__ == "__main__":
    main()
