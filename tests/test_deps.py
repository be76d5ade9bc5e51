"""dvc.yaml says the truth: each stage depends on exactly the project code it runs."""

from pathlib import Path

from tests.fixtures import PROJECT_ROOT
from tools.import_closure import closure, mismatches, stage_deps, stage_module

# What people run around the pipeline, reading their pictures and serving the models: editing them must
# rerun no stage.
NOT_PIPELINE = ("mnist_dvc/reading/", "mnist_dvc/serving/")
# Except MNIST's drawing: its constants, which the web stage gives the page's JavaScript, and its pen's
# skeleton, with which the number reader's training numbers are written as the reader will see them.
MNIST_STYLE = {"mnist_dvc/reading/mnist_style.py", "mnist_dvc/reading/__init__.py"}
IN_THE_PAGE = {"web": MNIST_STYLE, "train_number_reader": MNIST_STYLE}


def test_every_stage_depends_on_exactly_the_modules_it_imports():
    found = mismatches(PROJECT_ROOT)
    problems = [
        f"{stage}: {kind} {path}" for stage, p in found.items() for kind, paths in p.items() for path in paths
    ]
    assert not problems, "dvc.yaml deps differ from the stages' import closures:\n" + "\n".join(problems)


def test_the_app_predict_and_benchmarks_are_in_no_stage_and_corruptions_in_no_trainer():
    for name, (cmd, _) in stage_deps(PROJECT_ROOT).items():
        runs = {str(p) for p in closure(stage_module(cmd), PROJECT_ROOT)}
        allowed = IN_THE_PAGE.get(name, set())
        assert not any(path.startswith(NOT_PIPELINE) for path in runs - allowed), name
        assert not any(p.startswith(("bench/", "tools/", "tests/")) for p in runs), name
        if name.startswith("train_"):
            assert "mnist_dvc/evaluation/corruptions.py" not in runs, (
                f"{name} runs the robustness corruptions"
            )


def _write(root: Path, path: str, text: str) -> None:
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(text)


def test_the_closure_follows_deferred_relative_and_package_imports(tmp_path):
    _write(tmp_path, "stages/__init__.py", "")
    _write(tmp_path, "stages/x.py", "from mnist_dvc.fam import a\nimport numpy\n")
    _write(tmp_path, "mnist_dvc/__init__.py", "")
    _write(tmp_path, "mnist_dvc/fam/__init__.py", "")
    _write(tmp_path, "mnist_dvc/fam/a.py", "def f():\n    from . import b\n    from ..c import g\n")
    _write(tmp_path, "mnist_dvc/fam/b.py", "")
    _write(tmp_path, "mnist_dvc/c.py", "")
    _write(tmp_path, "mnist_dvc/unused.py", "")
    assert {str(p) for p in closure("stages.x", tmp_path)} == {
        "stages/__init__.py", "stages/x.py", "mnist_dvc/__init__.py", "mnist_dvc/fam/__init__.py",
        "mnist_dvc/fam/a.py", "mnist_dvc/fam/b.py", "mnist_dvc/c.py",
    }  # fmt: skip


def test_the_artifacts_block_lists_every_model_of_params_yaml_at_its_folder():
    import yaml

    from mnist_dvc.models.registry import models

    artifacts = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text())["artifacts"]
    entries = models(PROJECT_ROOT / "params.yaml")
    assert list(artifacts) == list(entries)
    for name, entry in entries.items():
        assert artifacts[name]["path"] == str(entry.directory), name
        assert artifacts[name]["labels"] == list(entry.labels), name
        assert artifacts[name]["type"] == "model", name
