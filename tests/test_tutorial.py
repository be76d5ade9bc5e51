"""docs/tutorial.md cannot go stale: each of its shell blocks runs, in order, in a fresh clone of the
synthetic pipeline, and what it prints and writes is checked against what the page says.

Each block follows a `<!-- step: NAME -->` comment; CHECKS says what NAME must show. A step the page
adds without a check, or a check whose step is gone, fails the test."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from mnist_dvc.models.registry import models, seeds
from tests.fixtures import PROJECT_ROOT, STAGES_BUT_TRAINERS, stages_ran

TUTORIAL = PROJECT_ROOT / "docs" / "tutorial.md"
STEP = re.compile(r"<!-- step: ([\w-]+)(.*?)-->\s*```bash\n(.*?)```", re.S)
NOT_RUN = {"setup"}  # the test's repository is already a clone with the environment installed

pytestmark = pytest.mark.e2e


def steps() -> list[tuple[str, str]]:
    return [(name, block) for name, _, block in STEP.findall(TUTORIAL.read_text())]


def stages_reached(output: str) -> set[str]:
    """The stages a `dvc repro` ran, restored from the run-cache, or found up to date (a clone has the
    committed metrics already)."""
    done = ("Running stage '", "is cached - skipping run", "didn't change, skipping")
    return {line.split("'")[1] for line in output.splitlines() if any(d in line for d in done)}


def trainers(root: Path) -> set[str]:
    params = root / "params.yaml"
    entries = models(params).values()
    return {f"{entry.stage}@{seed}" for entry in entries for seed in seeds(params)}


def changed_metrics(output: str) -> set[str]:
    """The metric names of a `dvc metrics diff` table (its second column)."""
    lines = [line.split() for line in output.splitlines()[1:] if line.strip()]
    return {f"{parts[0]}:{parts[1]}" for parts in lines if len(parts) >= 2}


def check_repro(out: str, root: Path) -> None:
    everything = {*STAGES_BUT_TRAINERS, *trainers(root)}
    assert stages_reached(out) == everything, out
    assert (root / "metrics" / "report.md").exists() and (root / "metrics" / "evaluation.json").exists()


def check_report(out: str, root: Path) -> None:
    assert out.startswith("# mnist-dvc"), out
    for model in ("numpy_mlp", "torch_mlp", "cnn", "ensemble"):
        assert f"| {model} |" in out, out


def check_nothing_runs(out: str, root: Path) -> None:
    assert not stages_ran(out) and "Data and pipelines are up to date" in out, out


def check_edit(out: str, root: Path) -> None:
    assert re.search(r"train_numpy_mlp\.dropout\s+0\.2\s+0\.3", out), out


def check_one_trainer(out: str, root: Path) -> None:
    ran = {"check_params", "train_numpy_mlp@42", "evaluate", "robustness", "explain", "web"}
    assert stages_ran(out) == ran, out


def check_metrics_diff(out: str, root: Path) -> None:
    changed = changed_metrics(out)
    assert any(":numpy_mlp." in name for name in changed), out
    retrained = (":numpy_mlp.", ":ensemble.", "/numpy_mlp/")  # its metrics, and the ensemble's
    assert all(any(r in name for r in retrained) for name in changed), out


def check_plots_diff(out: str, root: Path) -> None:
    assert (root / "dvc_plots" / "index.html").stat().st_size > 0


def check_branch(out: str, root: Path) -> None:
    check_metrics_diff(out, root)
    branch = subprocess.run(["git", "branch", "--show-current"], cwd=root, capture_output=True, text=True)
    assert branch.stdout.strip() == "more-dropout"


def check_grid(out: str, root: Path) -> None:
    assert out.count("Queued experiment") == 2, out


def check_exp_show(out: str, root: Path) -> None:
    assert "train_numpy_mlp.lr" in out and "0.001" in out and "0.003" in out, out
    assert "numpy_mlp.accuracy" in out, out


def check_predict(out: str, root: Path) -> None:
    assert re.fullmatch(r"docs/digits/drawn_7\.png: \d \(\d+%\) -> predictions\.txt\n", out), out
    assert (root / "predictions.txt").read_text().strip() == out.split(": ")[1].split(" ")[0]


CHECKS = {
    "repro": check_repro,
    "report": check_report,
    "repro-again": check_nothing_runs,
    "edit": check_edit,
    "repro-changed": check_one_trainer,
    "metrics-diff": check_metrics_diff,
    "plots-diff": check_plots_diff,
    "branch": check_branch,
    "grid": check_grid,
    "exp-show": check_exp_show,
    "predict": check_predict,
}


def test_every_step_has_a_check_and_every_check_a_step():
    names = [name for name, _ in steps()]
    assert len(names) == len(set(names))
    assert set(names) - NOT_RUN == set(CHECKS)


def test_the_tutorial_runs_as_written(clone):
    for name, block in steps():
        if name in NOT_RUN:
            continue
        proc = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", block],
            cwd=clone.root, env=clone.env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, f"step {name} failed:\n{block}\n{proc.stdout}\n{proc.stderr}"
        CHECKS[name](proc.stdout + proc.stderr if name in ("repro", "grid") else proc.stdout, clone.root)
