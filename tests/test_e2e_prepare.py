"""The real `dvc` CLI running fetch_data and prepare in a temporary git repository."""

import json

import numpy as np
import pytest

from mnist_dvc.data.idx import MNIST_FILES
from tests.fixtures import make_project

pytestmark = pytest.mark.e2e


def test_dvc_repro_prepare_then_nothing_to_do(tmp_path):
    project = make_project(tmp_path)
    out = project.dvc("repro", "prepare").stdout
    assert "Running stage 'fetch_data'" in out and "Running stage 'prepare'" in out
    assert sorted(p.name for p in (project.root / "data/raw").iterdir()) == sorted(MNIST_FILES)

    prepared = project.root / "data/prepared"
    meta = json.loads((prepared / "meta.json").read_text())
    assert meta["sizes"] == {"train": 240, "val": 60, "test": 100}
    assert meta["class_counts"]["val"] == [6] * 10
    train = np.load(prepared / "train_images.npy")
    assert train.shape == (240, 1, 28, 28) and train.dtype == np.float32
    assert abs(float(train.mean())) < 1e-4 and abs(float(train.std()) - 1) < 1e-4  # standardized on train
    assert np.load(prepared / "test_labels.npy").dtype == np.int64
    assert (project.root / "dvc.lock").exists()

    again = project.dvc("repro", "prepare").stdout
    assert "Running stage" not in again
    assert project.dvc("status", "prepare").stdout.strip().endswith("Data and pipelines are up to date.")


def test_bad_param_fails_the_stage_with_a_clear_message(tmp_path):
    project = make_project(tmp_path)
    params = project.params()
    params["prepare"]["val_fraction"] = 2
    project.write_params(params)
    proc = project.dvc("repro", "prepare", check=False)
    assert proc.returncode != 0
    assert "prepare.val_fraction = 2 is invalid: expected a number > 0 and < 1" in proc.stderr + proc.stdout
    assert not (project.root / "data/prepared").exists()


def test_source_dir_inside_the_output_is_refused(tmp_path):
    project = make_project(tmp_path)
    params = project.params()
    params["fetch_data"]["source_dir"] = "data/raw/mine"
    project.write_params(params)
    proc = project.dvc("repro", "fetch_data", check=False)
    assert proc.returncode != 0
    assert "fetch_data.source_dir = 'data/raw/mine' is inside the stage's output" in proc.stderr + proc.stdout
