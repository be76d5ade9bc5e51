"""The whole DVC workflow on tiny data: repro, partial reruns, branches, metrics/params/plots diff, exps."""

import csv
import hashlib
import json

import numpy as np
import pytest
import torch

from tests.fixtures import make_project

pytestmark = pytest.mark.e2e

MODELS = ("numpy_mlp", "torch_mlp", "cnn")
TRAINERS = ("train_numpy_mlp", "train_torch_mlp", "train_cnn")


def _tiny(project):
    params = project.params()
    params["train_numpy_mlp"].update(hidden=[16], epochs=1, batch_size=32)
    params["train_torch_mlp"].update(hidden=[32], epochs=1, batch_size=32)
    params["train_cnn"].update(width=4, epochs=1, batch_size=32)
    params["evaluate"]["example_indices"] = [0, 1, 2, 3]
    params["robustness"]["images"] = 40
    project.write_params(params)


def _ran(output: str) -> set[str]:
    return {line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage '")}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """One repository that has run the full pipeline once, committed on main."""
    tmp = tmp_path_factory.mktemp("pipeline")
    project = make_project(tmp)
    _tiny(project)
    first = project.dvc("repro").stdout
    project.run("git", "add", "-A")
    project.run("git", "commit", "-q", "-m", "baseline")
    project.first_output = first
    return project


def test_repro_from_scratch_runs_everything_then_nothing(project):
    assert _ran(project.first_output) == {"fetch_data", "prepare", *TRAINERS, "evaluate", "robustness"}
    root = project.root
    for model_file in ("numpy_mlp.npz", "torch_mlp.pt", "cnn.pt"):
        assert (root / "data/models" / model_file).is_file()
    metrics = json.loads((root / "metrics/evaluation.json").read_text())
    assert set(metrics) == {*MODELS, "ensemble"}
    for name in (*MODELS, "ensemble"):
        assert set(metrics[name]) == {
            "accuracy",
            "macro_f1",
            "log_loss",
            "log_loss_uncalibrated",
            "ece",
            "ece_uncalibrated",
            "errors",
            "parameters",
            "inference_images_per_s",
            "train_seconds",
        } | ({"temperature"} if name in MODELS else set())
        for picture in ("confusion", "errors", "examples"):
            assert (root / f"metrics/{picture}/{name}.png").read_bytes()[:4] == b"\x89PNG"
    for name in MODELS:
        assert (root / f"metrics/training/{name}/plots/custom/loss.json").is_file()
    assert (root / "metrics/data/samples.png").read_bytes()[:4] == b"\x89PNG"
    for picture in ("calibration/reliability", "calibration/risk_coverage", "robustness/examples",
                    "robustness/curves"):  # fmt: skip
        assert (root / f"metrics/{picture}.png").read_bytes()[:4] == b"\x89PNG"
    reliability = list(csv.DictReader((root / "metrics/calibration/reliability.csv").open()))
    assert {row["model"] for row in reliability} == {*MODELS, "ensemble"}
    n_test = len(np.load(root / "data/prepared/test_labels.npy"))
    assert sum(int(row["count"]) for row in reliability if row["model"] == "cnn") == n_test

    robustness = json.loads((root / "metrics/robustness.json").read_text())
    corruptions = project.params()["robustness"]["corruptions"]
    assert set(robustness) == {*MODELS, "ensemble"}
    for row in robustness.values():
        assert set(row["corruptions"]) == set(corruptions)
        assert row["mean_corrupted_accuracy"] == pytest.approx(np.mean(list(row["corruptions"].values())))
    for corruption in corruptions:
        rows = list(csv.DictReader((root / f"metrics/robustness/{corruption}.csv").open()))
        assert [(r["model"], int(r["severity"])) for r in rows[:7]] == [
            ("numpy_mlp", s) for s in range(6)
        ] + [("torch_mlp", 0)]
        clean = {r["model"]: float(r["accuracy"]) for r in rows if r["severity"] == "0"}
        assert clean == {name: pytest.approx(robustness[name]["clean_accuracy"]) for name in clean}
    report = (root / "metrics/report.md").read_text()
    assert "| ensemble |" in report and "](examples/cnn.png)" in report
    assert _ran(project.dvc("repro").stdout) == set()


def test_retraining_with_the_same_params_gives_byte_identical_model_files(project):
    models = project.root / "data/models"
    before = {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in models.iterdir()}
    try:
        for stage in TRAINERS:
            project.dvc("repro", "-f", "-s", stage)
        after = {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in models.iterdir()}
        assert after == before
        # Timing lives beside the dvclive logs, not in the model files.
        for name in MODELS:
            timing = json.loads((project.root / f"metrics/training/{name}/timing.json").read_text())
            assert set(timing) == {"train_seconds", "inference_images_per_s"}
    finally:
        project.run("git", "checkout", "HEAD", "--", "metrics", "dvc.lock")


def test_confusion_matrix_sums_to_the_test_set_and_its_diagonal_to_accuracy(project):
    metrics = json.loads((project.root / "metrics/evaluation.json").read_text())
    n_test = len(np.load(project.root / "data/prepared/test_labels.npy"))
    for name in MODELS:
        with open(project.root / f"metrics/confusion/{name}.csv") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == n_test
        matrix = np.zeros((10, 10), int)
        for row in rows:
            matrix[int(row["actual"]), int(row["predicted"])] += 1
        assert matrix.sum() == n_test
        assert np.trace(matrix) == round(metrics[name]["accuracy"] * n_test)
        assert n_test - np.trace(matrix) == metrics[name]["errors"]


def test_predict_on_a_notebook_tensor_gives_the_labels_evaluate_counted(project):
    root = project.root
    meta = json.loads((root / "data/prepared/meta.json").read_text())["normalization"]
    standardized = np.load(root / "data/prepared/test_images.npy")
    pixels = standardized * meta["std"] + meta["mean"]  # back to [0, 1]
    outside = root.parent  # keep the repository clean for the tests after this one
    torch.save(torch.from_numpy((pixels - 0.5) / 0.5), outside / "mnist_test.pth")  # the notebook's format
    for name in (*MODELS, "ensemble"):
        out = outside / f"{name}.txt"
        project.run("python", "-m", "mnist_dvc.command", "predict", str(outside / "mnist_test.pth"),
                    "--model", name, "--out", str(out))  # fmt: skip
        predicted = [int(line) for line in out.read_text().split()]
        with open(root / f"metrics/confusion/{name}.csv") as handle:
            counted = [int(row["predicted"]) for row in csv.DictReader(handle)]
        assert predicted == counted, name


def test_editing_one_trainer_reruns_only_it_and_evaluate(project):
    params = project.params()
    params["train_cnn"]["lr"] = 0.001
    project.write_params(params)
    try:
        assert _ran(project.dvc("repro").stdout) == {"train_cnn", "evaluate", "robustness"}
    finally:
        project.run("git", "checkout", "HEAD", "--", "params.yaml", "metrics", "dvc.lock")
        project.dvc("checkout", "-q")


def test_branch_diffs_show_the_changed_model_only(project):
    project.run("git", "checkout", "-q", "-b", "stronger-augmentation")
    try:
        params = project.params()
        params["train_torch_mlp"]["augment_strength"] = 2.5
        project.write_params(params)
        assert _ran(project.dvc("repro").stdout) == {"train_torch_mlp", "evaluate", "robustness"}
        project.run("git", "add", "-A")
        project.run("git", "commit", "-q", "-m", "stronger torch_mlp augmentation")

        diff = json.loads(project.dvc("metrics", "diff", "main", "--json").stdout)
        changed = {path: {k for k, v in values.items() if v.get("diff")} for path, values in diff.items()}
        assert "metrics/evaluation.json" in changed
        assert changed["metrics/evaluation.json"]
        # The ensemble averages all three models, so it changes with any of them.
        for metrics_file in ("metrics/evaluation.json", "metrics/robustness.json"):
            assert changed[metrics_file]
            assert all(key.startswith(("torch_mlp.", "ensemble.")) for key in changed[metrics_file])
        assert {path for path in changed if changed[path] and path.startswith("metrics/training/")} <= {
            "metrics/training/torch_mlp/metrics.json",
            "metrics/training/torch_mlp/timing.json",
        }
        # `dvc metrics diff` exits 0 even when it cannot read a file: check what it printed.
        shown = project.dvc("metrics", "diff", "main")
        assert "torch_mlp.log_loss" in shown.stdout
        assert "unable to" not in (shown.stdout + shown.stderr).lower()
        assert not any(word.startswith(("cnn.", "numpy_mlp.")) for word in shown.stdout.split())

        params_diff = project.dvc("params", "diff", "main").stdout
        assert "train_torch_mlp.augment_strength" in params_diff and "2.5" in params_diff

        # `make report`: what a CI bot would post on the pull request.
        project.run("python", "-m", "tools.pr_report", "--base", "main", "--out", "../report.md")
        report = (project.root.parent / "report.md").read_text()
        assert "| metrics/evaluation.json" in report and "torch_mlp.accuracy" in report
        assert "train_torch_mlp.augment_strength" in report and "2.5" in report
        assert "![metrics/errors/torch_mlp.png](metrics/errors/torch_mlp.png)" in report
        assert "metrics/errors/cnn.png" not in report  # unchanged pictures are left out
        assert "flowchart" in report  # dvc dag --md

        out = project.root / "plots-diff"
        project.dvc("plots", "diff", "main", "-o", str(out))
        html = (out / "index.html").read_text()
        assert "main" in html and "workspace" in html
        assert "cnn - confusion matrix" in html and "torch_mlp - train and val loss" in html
        assert "cnn - misclassified test images only" in html and "cnn - test errors per digit" in html
        # The project's template inlines the chart libraries, so the page renders offline.
        assert "cdn.jsdelivr" not in html and "/* vega-embed@6.18.2 */" in html
    finally:
        project.run("git", "checkout", "-q", "main")
        project.dvc("checkout", "-q")


def test_exp_run_with_set_param_and_exp_show(project):
    out = project.dvc("exp", "run", "-S", "train_numpy_mlp.lr=3e-3").stdout
    assert _ran(out) == {"train_numpy_mlp", "evaluate", "robustness"}
    shown = json.loads(project.dvc("exp", "show", "--json").stdout)
    text = json.dumps(shown)
    assert "train_numpy_mlp" in text and "0.003" in text
    assert "numpy_mlp" in text and "accuracy" in text


def test_corrupt_model_file_fails_evaluate_naming_it(project):
    model = project.root / "data/models/cnn.pt"
    model.chmod(0o644)
    model.unlink()
    model.write_bytes(b"not a checkpoint")
    proc = project.run("python", "-m", "stages.evaluate", check=False)
    assert proc.returncode == 1
    assert "data/models/cnn.pt: not a readable checkpoint" in proc.stderr
    project.dvc("checkout", "-q", "-f")
