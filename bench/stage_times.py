"""Where the full run's time goes: every stage of `dvc repro`, timed as a user waits for it.

python -m bench.stage_times --label before -S train_cnn.precision=float32

Runs the whole pipeline as a DVC experiment (`dvc exp run --temp --force`, so the workspace and its
committed results stay as they are, and every stage runs, none restored from a cache), with the given
``-S`` overrides (``train_cnn.precision=float32`` trains the CNN as on a CPU without bfloat16). A stage's
time runs from DVC's "Running stage" line to the next one's (so it includes starting Python, importing
torch and DVC's caching of the stage's outputs), the last one's to the end of the run. The result, with
the machine's float32 sgemm and each model's test accuracy, is merged into bench/results/stage_times.json
under ``--label``.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time

from bench.common import RESULTS_DIR, matmul_gflops, save
from mnist_dvc.models.registry import models
from tools.quick_summary import newest_experiment, test_accuracies

RESULT = RESULTS_DIR / "stage_times.json"
STARTED = re.compile(r"^Running stage '([^']+)'")


def stage_seconds(starts: list[tuple[str, float]], end: float) -> dict[str, float]:
    """Each stage's seconds, from its start to the next stage's start (the last one's: to ``end``)."""
    times = [t for _, t in starts[1:]] + [end]
    return {name: round(stop - start, 1) for (name, start), stop in zip(starts, times, strict=True)}


def by_step(seconds: dict[str, float]) -> dict[str, float]:
    """Stage times summed over a matrix stage's instances (``train_cnn@0`` counts as ``train_cnn``)."""
    summed: dict[str, float] = {}
    for name, value in seconds.items():
        step = name.split("@")[0]
        summed[step] = round(summed.get(step, 0.0) + value, 1)
    return summed


def run_pipeline(flags: list[str]) -> tuple[dict[str, float], float]:
    """Run every stage as a temporary experiment; (each stage's seconds, the whole run's seconds)."""
    command = ["dvc", "exp", "run", "--temp", "--force", *(f for value in flags for f in ("-S", value))]
    print("$", " ".join(command), flush=True)
    begin = time.monotonic()
    starts = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as run:
        for line in run.stdout:
            if match := STARTED.match(line):
                starts.append((match.group(1), time.monotonic()))
                print(f"{starts[-1][1] - begin:7.1f} s  {match.group(1)}", flush=True)
    end = time.monotonic()
    if run.returncode != 0:
        sys.exit(f"bench.stage_times: `{' '.join(command)}` failed (exit {run.returncode})")
    return stage_seconds(starts, end), round(end - begin, 1)


def accuracies() -> dict[str, float]:
    """Each model's and the ensemble's test accuracy in the newest experiment (the one just run)."""
    import dvc.api

    row = newest_experiment(dvc.api.exp_show())
    return {} if row is None else test_accuracies(row, list(models()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", required=True, help="the name this run is kept under (before, after)")
    parser.add_argument("-S", dest="flags", action="append", default=[], help="a `dvc exp run -S` override")
    args = parser.parse_args()
    sgemm = round(matmul_gflops(), 1)  # before the run, on the quiet machine
    seconds, total = run_pipeline(args.flags)
    previous = json.loads(RESULT.read_text()).get("runs", {}) if RESULT.exists() else {}
    previous[args.label] = {
        "flags": args.flags, "sgemm_gflops_2_threads": sgemm, "total_seconds": total,
        "steps": by_step(seconds), "stages": seconds, "test_accuracy": accuracies(),
    }  # fmt: skip
    save("stage_times", {"runs": previous})


if __name__ == "__main__":
    main()
