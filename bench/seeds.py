"""Every default model trained with several seeds, through the pipeline's seeds axis: test accuracy mean ±
std, min-max, errors and training time per model, into bench/results/seeds.json.

`python -m bench.seeds --run` (after `dvc repro`; `make committee` runs it) first runs the DVC experiment
``committee``: `dvc exp run --temp -n committee -S seeds=[42,1,...,7]`, the committed params with eight
seeds (--temp: in a temporary copy, the workspace is left as it is; seed 42 is the committed run, the
other seeds train, about 7 times a `dvc repro`'s training). Without --run it reads the experiment made
before. The first five seeds make the mean ± std that the README reports; all eight are listed too.
Each model's committee of all its seeds is in the experiment's metrics/evaluation.json as `accuracy`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import numpy as np

from bench.common import matmul_gflops, save
from mnist_dvc.models.registry import models

EXPERIMENT = "committee"
SEEDS = [42, 1, 2, 3, 4, 5, 6, 7]
REPORTED = 5  # seeds in the mean ± std
TEST_IMAGES = 10_000


def experiment_rev(name: str = EXPERIMENT) -> str:
    """The commit of the DVC experiment ``name`` (experiments are git refs under refs/exps)."""
    refs = subprocess.run(
        ["git", "for-each-ref", "--format=%(refname) %(objectname)", "refs/exps"],
        capture_output=True, text=True, check=True,
    ).stdout.split("\n")  # fmt: skip
    found = [line.split()[1] for line in refs if line and line.split()[0].rsplit("/", 1)[-1] == name]
    if not found:
        sys.exit(f"bench: no DVC experiment {name!r}; run `make committee` first")
    return found[-1]


def at(rev: str, path: str) -> dict:
    """A committed JSON file (metrics are in git) as it is at ``rev``."""
    return json.loads(subprocess.run(["git", "show", f"{rev}:{path}"], capture_output=True, text=True,
                                     check=True).stdout)  # fmt: skip


def train_seconds(rev: str, model: str, seed: int) -> float:
    return float(at(rev, f"metrics/training/{model}/seed_{seed}/timing.json")["train_seconds"])


def summary(accuracies: list[float], seconds: list[float]) -> dict:
    acc = np.asarray(accuracies)
    return {
        "seeds": len(acc),
        "accuracy_mean": round(float(acc.mean()), 5),
        "accuracy_std": round(float(acc.std(ddof=1)), 5),  # sample std: the spread a new seed would see
        "accuracy_min": float(acc.min()),
        "accuracy_max": float(acc.max()),
        "errors_mean": round(float(TEST_IMAGES * (1 - acc.mean())), 1),
        "train_seconds_mean": round(float(np.mean(seconds)), 1),
    }


def run_experiment() -> None:
    """The experiment, anew: an older one of the same name is replaced."""
    subprocess.run(["dvc", "exp", "remove", EXPERIMENT], capture_output=True, check=False)
    seeds = ",".join(map(str, SEEDS))
    subprocess.run(["dvc", "exp", "run", "--temp", "-n", EXPERIMENT, "-S", f"seeds=[{seeds}]"], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--run", action="store_true", help="run the experiment first (about 7 pipelines' training)"
    )
    if parser.parse_args().run:
        run_experiment()
    rev = experiment_rev()
    evaluation = at(rev, "metrics/evaluation.json")
    results = {"sgemm_gflops_2_threads": round(matmul_gflops(), 1), "experiment": EXPERIMENT,
               "experiment_rev": rev, "seeds": SEEDS, "models": {}}  # fmt: skip
    for name in models():
        row = evaluation[name]
        accuracy = [row["seeds"][str(seed)]["accuracy"] for seed in SEEDS]
        seconds = [train_seconds(rev, name, seed) for seed in SEEDS]
        results["models"][name] = {
            "per_seed": {
                str(s): {"accuracy": a, "train_seconds": t}
                for s, a, t in zip(SEEDS, accuracy, seconds, strict=True)
            },
            f"first_{REPORTED}": summary(accuracy[:REPORTED], seconds[:REPORTED]),
            f"all_{len(SEEDS)}": summary(accuracy, seconds),
            f"committee_of_{len(SEEDS)}": {"accuracy": row["accuracy"], "errors": row["errors"]},
        }  # fmt: skip
    save("seeds", results)


if __name__ == "__main__":
    main()
