"""`make quick`: bench/quick.yaml's overrides, checked against each stage's schema, run as a DVC experiment
in a temporary copy that leaves the workspace as it was."""

from __future__ import annotations

import shlex
import shutil

import pytest

from bench.quick import STAGES, exp_flags, overrides
from mnist_dvc.params import ParamsError
from tests.fixtures import PROJECT_ROOT


def test_the_quick_profile_passes_every_stages_schema():
    groups = overrides()
    assert {"train_numpy_mlp", "train_torch_mlp", "train_cnn"} <= set(groups)
    flags = shlex.split(exp_flags())
    flags, stages = flags[: -len(STAGES)], flags[-len(STAGES) :]
    assert stages == list(STAGES)
    assert flags[::2] == ["-S"] * (len(flags) // 2)
    assert [f.split("=")[0] for f in flags[1::2]] == [
        f"{g}.{k}" for g, values in groups.items() for k in values
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("overrides:\n  train_cnn: {epoch: 2}\n", "epoch"),  # a misspelled key
        ("overrides:\n  train_cnn: {epochs: 0}\n", "epochs"),  # out of range
        ("overrides:\n  training: {epochs: 2}\n", "'training' is no stage's params group"),
    ],
)
def test_a_wrong_override_is_refused_naming_it(tmp_path, text, message):
    path = tmp_path / "quick.yaml"
    path.write_text(text)
    with pytest.raises(ParamsError, match=message):
        overrides(path)


@pytest.mark.e2e
def test_a_quick_experiment_leaves_the_workspace_as_it_was(clone):
    shutil.copytree(PROJECT_ROOT / "bench", clone.root / "bench")
    preset = clone.root / "quick.yaml"  # the tiny pipeline's data is too small for the real preset's counts
    preset.write_text("overrides:\n  train_numpy_mlp: {epochs: 2}\n  train_cnn: {width: 6}\n")
    clone.dvc("checkout", "-q")
    before = clone.run("git", "status", "--porcelain").stdout
    metrics = (clone.root / "metrics" / "evaluation.json").read_text()
    out = clone.dvc("exp", "run", "--temp", *shlex.split(exp_flags(preset))).stdout
    assert "Running stage 'train_numpy_mlp@42'" in out and "Running stage 'train_cnn@42'" in out, out
    assert clone.run("git", "status", "--porcelain").stdout == before
    assert (clone.root / "metrics" / "evaluation.json").read_text() == metrics
    summary = clone.run("python", "-m", "tools.quick_summary").stdout
    for name in ("numpy_mlp", "torch_mlp", "cnn", "ensemble"):
        assert f"  {name}" in summary, summary
    assert "dvc exp apply" in summary
