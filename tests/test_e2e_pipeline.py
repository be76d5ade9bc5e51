"""The whole DVC workflow on tiny data: repro, partial reruns, branches, metrics/params/plots diff, exps,
seeds, a model added with its stage, and a schema edit that changes its own stage only. Every test uses
the session's one `pipeline` (conftest.py) and leaves it as it found it."""

import csv
import hashlib
import json

import numpy as np
import pytest
import torch

from tests.fixtures import STAGES_BUT_TRAINERS, stages_ran

pytestmark = pytest.mark.e2e

MODELS = ("numpy_mlp", "torch_mlp", "cnn")
TRAINERS = ("train_numpy_mlp@42", "train_torch_mlp@42", "train_cnn@42")
EVALUATION_KEYS = {"accuracy", "macro_f1", "log_loss", "log_loss_uncalibrated", "ece", "ece_uncalibrated",
                   "errors", "parameters", "inference_images_per_s", "train_seconds"}  # fmt: skip
SEED_KEYS = {"temperature", "seeds", "accuracy_mean", "accuracy_std"}  # models only, not the ensemble


def _restore(project) -> None:
    """Back to main as committed: params, outputs, and no files of models or seeds a test added."""
    project.run("git", "checkout", "-q", "main")
    project.run("git", "checkout", "HEAD", "--", "params.yaml", "dvc.yaml", "metrics", "dvc.lock")
    project.run("git", "clean", "-fdq", "metrics", "data/models")
    for extra in project.root.glob("data/models/*/seed_*"):
        if extra.parent.name not in MODELS or extra.stem != "seed_42":
            extra.chmod(0o644)
            extra.unlink()
    project.dvc("checkout", "-q", "-f")


def test_repro_from_scratch_runs_every_stage_then_nothing(pipeline):
    assert stages_ran(pipeline.first_output) == {*STAGES_BUT_TRAINERS, *TRAINERS}
    assert stages_ran(pipeline.dvc("repro").stdout) == set()


def test_each_model_and_seed_has_its_file_and_training_logs(pipeline):
    for name in MODELS:
        suffix = ".npz" if name == "numpy_mlp" else ".pt"
        assert (pipeline.root / f"data/models/{name}/seed_42{suffix}").is_file()
        logs = pipeline.root / f"metrics/training/{name}/seed_42"
        assert (logs / "plots/custom/loss.json").is_file()
        assert set(json.loads((logs / "timing.json").read_text())) == {
            "train_seconds",
            "inference_images_per_s",
        }


def test_evaluation_reports_every_model_its_seeds_and_the_ensemble(pipeline):
    metrics = json.loads((pipeline.root / "metrics/evaluation.json").read_text())
    assert set(metrics) == {*MODELS, "ensemble"}
    for name in MODELS:
        assert set(metrics[name]) == EVALUATION_KEYS | SEED_KEYS
        # One seed: the committee is that model, and its spread is nil.
        assert metrics[name]["seeds"] == {"42": {"accuracy": metrics[name]["accuracy"]}}
        assert metrics[name]["accuracy_std"] == 0
    assert set(metrics["ensemble"]) == EVALUATION_KEYS


def test_every_picture_and_table_is_written(pipeline):
    root = pipeline.root
    for name in (*MODELS, "ensemble"):
        for picture in ("confusion", "errors", "examples"):
            assert (root / f"metrics/{picture}/{name}.png").read_bytes()[:4] == b"\x89PNG"
    for picture in ("data/samples", "calibration/reliability", "calibration/risk_coverage",
                    "robustness/examples", "robustness/curves"):  # fmt: skip
        assert (root / f"metrics/{picture}.png").read_bytes()[:4] == b"\x89PNG"
    reliability = list(csv.DictReader((root / "metrics/calibration/reliability.csv").open()))
    assert {row["model"] for row in reliability} == {*MODELS, "ensemble"}
    n_test = len(np.load(root / "data/prepared/test_labels.npy"))
    assert sum(int(row["count"]) for row in reliability if row["model"] == "cnn") == n_test
    report = (root / "metrics/report.md").read_text()
    assert "| ensemble |" in report and "](examples/cnn.png)" in report


def test_robustness_covers_every_model_and_corruption(pipeline):
    root = pipeline.root
    robustness = json.loads((root / "metrics/robustness.json").read_text())
    corruptions = pipeline.params()["robustness"]["corruptions"]
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


def test_retraining_with_the_same_params_gives_byte_identical_model_files(pipeline):
    files = sorted((pipeline.root / "data/models").rglob("seed_*"))

    def digests():
        return {f: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}

    before = digests()
    try:
        for stage in TRAINERS:
            pipeline.dvc("repro", "-f", "-s", stage)
        assert digests() == before
    finally:
        _restore(pipeline)


def _output_digests(root) -> dict:
    files = [f for folder in ("data/models", "metrics") for f in (root / folder).rglob("*") if f.is_file()]
    return {f: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


@pytest.mark.parametrize(
    ("edit", "target", "message"),
    [
        (
            lambda p: p["train_cnn"].update(widht=p["train_cnn"].pop("width")),
            "train_cnn@42",
            "check_params: error: params.yaml: unknown key(s) train_cnn.widht; allowed keys: arch, width",
        ),
        (
            lambda p: p.update(seeds=["a"]),
            None,
            "check_params: error: params.yaml: seeds[0] = 'a' is invalid: expected an integer >= 0",
        ),
        (
            lambda p: p["evaluate"].update(num_threads=0),
            "evaluate",
            "check_params: error: params.yaml: evaluate.num_threads = 0 is invalid",
        ),
        (
            lambda p: p["explain"].update(perplexity=50),
            None,
            "check_params: error: params.yaml: explain.perplexity = 50 is invalid: expected a number below "
            "explain.embedding_images (40)",
        ),
    ],
    ids=["misspelled-key", "seed-not-a-number", "evaluate-out-of-range", "perplexity-too-large"],
)
def test_a_bad_param_stops_the_run_before_any_output_is_removed(pipeline, edit, target, message):
    before = _output_digests(pipeline.root)
    params = pipeline.params()
    edit(params)
    pipeline.write_params(params)
    try:
        proc = pipeline.dvc("repro", *([target] if target else []), check=False)
        assert proc.returncode != 0
        assert message in proc.stderr, proc.stderr
        assert stages_ran(proc.stdout) == {"check_params"}, proc.stdout
        assert _output_digests(pipeline.root) == before
    finally:
        _restore(pipeline)


def test_confusion_matrix_sums_to_the_test_set_and_its_diagonal_to_accuracy(pipeline):
    metrics = json.loads((pipeline.root / "metrics/evaluation.json").read_text())
    n_test = len(np.load(pipeline.root / "data/prepared/test_labels.npy"))
    for name in MODELS:
        with open(pipeline.root / f"metrics/confusion/{name}.csv") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == n_test
        matrix = np.zeros((10, 10), int)
        for row in rows:
            matrix[int(row["actual"]), int(row["predicted"])] += 1
        assert np.trace(matrix) == round(metrics[name]["accuracy"] * n_test)
        assert n_test - np.trace(matrix) == metrics[name]["errors"]


def test_predict_on_a_notebook_tensor_gives_the_labels_evaluate_counted(pipeline):
    root = pipeline.root
    meta = json.loads((root / "data/prepared/meta.json").read_text())["normalization"]
    standardized = np.load(root / "data/prepared/test_images.npy")
    pixels = standardized * meta["std"] + meta["mean"]  # back to [0, 1]
    outside = root.parent  # keep the repository clean for the tests after this one
    torch.save(torch.from_numpy((pixels - 0.5) / 0.5), outside / "mnist_test.pth")  # the notebook's format
    for name in (*MODELS, "ensemble"):
        out = outside / f"{name}.txt"
        pipeline.run("python", "-m", "mnist_dvc.serving.command", "predict", str(outside / "mnist_test.pth"),
                     "--model", name, "--out", str(out))  # fmt: skip
        predicted = [int(line) for line in out.read_text().split()]
        with open(root / f"metrics/confusion/{name}.csv") as handle:
            counted = [int(row["predicted"]) for row in csv.DictReader(handle)]
        assert predicted == counted, name


def test_editing_one_trainers_params_reruns_only_it_evaluate_and_robustness(pipeline):
    params = pipeline.params()
    params["train_cnn"]["lr"] = 0.001
    pipeline.write_params(params)
    try:
        assert stages_ran(pipeline.dvc("repro").stdout) == {
            "check_params",
            "train_cnn@42",
            "evaluate",
            "robustness",
            "explain",
            "web",
        }
    finally:
        _restore(pipeline)


def test_an_experiment_adding_a_seed_trains_only_that_seed_and_reports_the_committee(pipeline):
    out = pipeline.dvc("exp", "run", "-S", "seeds=[42,1]").stdout
    try:
        seed_1 = {"train_numpy_mlp@1", "train_torch_mlp@1", "train_cnn@1"}
        assert stages_ran(out) == {"check_params", *seed_1, "evaluate", "robustness", "explain", "web"}
        metrics = json.loads((pipeline.root / "metrics/evaluation.json").read_text())
        for name in MODELS:
            each = [metrics[name]["seeds"][seed]["accuracy"] for seed in ("42", "1")]
            assert metrics[name]["accuracy_mean"] == pytest.approx(np.mean(each))
            assert metrics[name]["accuracy_std"] == pytest.approx(np.std(each))
        assert "## Seeds" in (pipeline.root / "metrics/report.md").read_text()
        shown = pipeline.dvc("metrics", "diff", "main").stdout
        assert "cnn.seeds.1.accuracy" in shown and "numpy_mlp.accuracy_std" in shown, shown
        # predict and robustness use the committee: both seeds' files are read.
        (pipeline.root / "data/models/cnn/seed_1.pt").rename(pipeline.root.parent / "seed_1.pt")
        proc = pipeline.run("python", "-m", "stages.robustness", check=False)
        assert proc.returncode == 1 and "data/models/cnn/seed_1.pt: not found" in proc.stderr
    finally:
        _restore(pipeline)


def test_a_model_added_in_params_yaml_and_a_stage_is_trained_evaluated_and_predicted(pipeline):
    # A toy model of the NumPy family: softmax regression (no hidden layer). params.yaml gets its entry and
    # group, dvc.yaml its three-line stage and its artifact (docs/development.md); check_params refuses
    # the first alone.
    params = pipeline.params()
    params["models"]["numpy"]["softmax"] = {"desc": "softmax regression in NumPy", "labels": ["linear"]}
    params["train_softmax"] = dict(params["train_numpy_mlp"], hidden=[])
    pipeline.write_params(params)
    pipeline_file = pipeline.root / "dvc.yaml"
    try:
        refused = pipeline.dvc("repro", check=False)
        assert refused.returncode != 0
        missing = "no stage train_softmax for params.yaml's models.numpy.softmax"
        assert missing in refused.stderr, refused.stderr
        stage = "  train_softmax:\n    vars: [{model: softmax}]\n    <<: *numpy_trainer\n\n"
        artifact = "  softmax: {path: data/models/softmax, type: model, labels: [linear]}\n"
        text = pipeline_file.read_text().replace("  train_torch_mlp:\n", stage + "  train_torch_mlp:\n", 1)
        pipeline_file.write_text(text.replace("\nartifacts:\n", "\nartifacts:\n" + artifact, 1))
        assert stages_ran(pipeline.dvc("repro").stdout) == {
            "check_params",
            "train_softmax@42",
            "evaluate",
            "robustness",
            "explain",
            "web",
        }
        changed = pipeline.run("git", "status", "--porcelain", "--untracked-files=no").stdout.split("\n")
        assert {line[3:] for line in changed if line and not line[3:].startswith("metrics/")} == {
            "params.yaml",
            "dvc.yaml",
            "dvc.lock",
        }
        root = pipeline.root
        assert "softmax" in json.loads((root / "metrics/evaluation.json").read_text())
        assert "softmax" in json.loads((root / "metrics/robustness.json").read_text())
        assert "| softmax |" in (root / "metrics/report.md").read_text()
        digits = root / "data/models/softmax"  # any file predict reads: here a .npy of the test images
        meta = json.loads((root / "data/prepared/meta.json").read_text())["normalization"]
        np.save(root.parent / "test.npy", np.load(root / "data/prepared/test_images.npy")[:5, 0] * meta["std"]
                + meta["mean"])  # fmt: skip
        out = root.parent / "softmax.txt"
        pipeline.run("python", "-m", "mnist_dvc.serving.command", "predict", str(root.parent / "test.npy"),
                     "--model", "softmax", "--out", str(out))  # fmt: skip
        assert digits.is_dir() and len(out.read_text().split()) == 5
    finally:
        _restore(pipeline)


@pytest.mark.parametrize(
    ("schema_file", "changed"),
    [
        ("mnist_dvc/models/torch_nets/params.py", {"check_params", "train_torch_mlp@42", "train_cnn@42"}),
        ("mnist_dvc/models/numpy_mlp/params.py", {"check_params", "train_numpy_mlp@42"}),
        ("mnist_dvc/evaluation/explain.py", {"check_params", "explain"}),
        ("mnist_dvc/data/fetch.py", {"check_params", "fetch_data"}),
        # explain reads evaluate's example_indices; robustness is not among them
        ("mnist_dvc/evaluation/metrics.py", {"check_params", "evaluate", "explain"}),
        ("mnist_dvc/web/params.py", {"check_params", "web"}),
        ("mnist_dvc/models/number_reader/params.py", {"check_params", "train_number_reader"}),
    ],
    ids=["torch", "numpy", "explain", "fetch_data", "evaluate", "web", "number_reader"],
)
def test_editing_one_stages_schema_changes_that_stage_only(pipeline, schema_file, changed):
    # Each schema lives with its stage's code: `dvc status` names the stages whose code changed (the
    # ones after them rerun only if their outputs change). Before, every schema was in one module that
    # every stage imports, and any schema edit changed every stage.
    path = pipeline.root / schema_file
    text = path.read_text()
    path.write_text(text + "# an edited schema\n")
    try:
        status = json.loads(pipeline.dvc("status", "--json").stdout)
    finally:
        path.write_text(text)
    assert set(status) == changed, status
    assert json.loads(pipeline.dvc("status", "--json").stdout) == {}


def _commit_on_branch(project, branch: str, key: str, value) -> str:
    """A branch off main where ``train_torch_mlp.<key>`` is ``value``, reproduced and committed; what
    `dvc repro` printed."""
    project.run("git", "checkout", "-q", "-b", branch)
    params = project.params()
    params["train_torch_mlp"][key] = value
    project.write_params(params)
    output = project.dvc("repro").stdout
    project.run("git", "add", "-A")
    project.run("git", "commit", "-q", "-m", f"torch_mlp: {key} {value}")
    return output


def test_branch_diffs_show_the_changed_model_only(pipeline):
    try:
        ran = stages_ran(_commit_on_branch(pipeline, "stronger-augmentation", "augment_strength", 2.5))
        assert ran == {"check_params", "train_torch_mlp@42", "evaluate", "robustness", "explain", "web"}

        diff = json.loads(pipeline.dvc("metrics", "diff", "main", "--json").stdout)
        changed = {path: {k for k, v in values.items() if v.get("diff")} for path, values in diff.items()}
        # The ensemble averages every model, so it changes with any of them.
        for metrics_file in ("metrics/evaluation.json", "metrics/robustness.json"):
            assert changed[metrics_file]
            assert all(key.startswith(("torch_mlp.", "ensemble.")) for key in changed[metrics_file])
        assert {path for path in changed if changed[path] and path.startswith("metrics/training/")} <= {
            "metrics/training/torch_mlp/seed_42/metrics.json",
            "metrics/training/torch_mlp/seed_42/timing.json",
        }
        # `dvc metrics diff` exits 0 even when it cannot read a file: check what it printed.
        shown = pipeline.dvc("metrics", "diff", "main")
        assert "torch_mlp.log_loss" in shown.stdout
        assert "unable to" not in (shown.stdout + shown.stderr).lower()
        assert not any(word.startswith(("cnn.", "numpy_mlp.")) for word in shown.stdout.split())

        params_diff = pipeline.dvc("params", "diff", "main").stdout
        assert "train_torch_mlp.augment_strength" in params_diff and "2.5" in params_diff
    finally:
        _restore(pipeline)


def test_the_pull_request_report_and_plots_diff_show_the_change(pipeline):
    try:
        _commit_on_branch(pipeline, "more-dropout", "dropout", 0.5)

        # `make report`: what a CI bot would post on the pull request.
        pipeline.run("python", "-m", "tools.pr_report", "--base", "main", "--out", "../report.md")
        report = (pipeline.root.parent / "report.md").read_text()
        assert "| metrics/evaluation.json" in report and "torch_mlp.accuracy" in report
        assert "train_torch_mlp.dropout" in report and "0.5" in report
        assert "![metrics/errors/torch_mlp.png](metrics/errors/torch_mlp.png)" in report
        assert "metrics/errors/cnn.png" not in report  # unchanged pictures are left out
        assert "flowchart" in report  # dvc dag --md

        out = pipeline.root.parent / "plots-diff"
        pipeline.dvc("plots", "diff", "main", "-o", str(out))
        html = (out / "index.html").read_text()
        assert "main" in html and "workspace" in html
        assert "metrics/confusion/cnn.csv" in html and "torch_mlp seed 42 - loss" in html
        assert "metrics/misclassified/cnn.csv" in html and "metrics/per_class/cnn.csv" in html
        # The project's template inlines the chart libraries, so the page renders offline.
        assert "cdn.jsdelivr" not in html and "/* vega-embed@6.18.2 */" in html
    finally:
        _restore(pipeline)


def test_exp_run_with_set_param_and_exp_show(pipeline):
    out = pipeline.dvc("exp", "run", "-S", "train_numpy_mlp.lr=3e-3").stdout
    try:
        ran = {"check_params", "train_numpy_mlp@42", "evaluate", "robustness", "explain", "web"}
        assert stages_ran(out) == ran
        text = json.dumps(json.loads(pipeline.dvc("exp", "show", "--json").stdout))
        assert "train_numpy_mlp" in text and "0.003" in text
        assert "numpy_mlp" in text and "accuracy" in text
    finally:
        _restore(pipeline)


def test_corrupt_model_file_fails_evaluate_naming_it(pipeline):
    model = pipeline.root / "data/models/cnn/seed_42.pt"
    model.chmod(0o644)
    model.unlink()
    model.write_bytes(b"not a checkpoint")
    try:
        proc = pipeline.run("python", "-m", "stages.evaluate", check=False)
        assert proc.returncode == 1
        assert "data/models/cnn/seed_42.pt: not a readable checkpoint" in proc.stderr
    finally:
        _restore(pipeline)


def test_explain_names_a_perplexity_that_prepare_limit_left_too_few_test_images_for(pipeline):
    params = pipeline.params()
    params["explain"].update(perplexity=100, embedding_images=2000)  # valid; the test split holds 100
    pipeline.write_params(params)
    try:
        proc = pipeline.run("python", "-m", "stages.explain", check=False)
        assert proc.returncode == 1
        assert proc.stderr.strip() == (
            "explain: error: params.yaml: explain.perplexity = 100 is invalid: expected a number below the "
            "100 test images that prepare.limit keeps"
        ), proc.stderr
    finally:
        _restore(pipeline)
