"""Ctrl-C in a running stage: one line, exit 130, no traceback, and the previous outputs untouched."""

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.fixtures import default_sigint, make_project

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("interrupt"))
    project.dvc("repro", "prepare")
    return project


@pytest.mark.parametrize(
    ("stage", "model", "model_file", "overrides"),
    [
        ("train_numpy", "numpy_mlp", "numpy_mlp/seed_42.npz", {"epochs": 10000, "hidden": [64]}),
        ("train_torch", "cnn", "cnn/seed_42.pt", {"epochs": 10000, "width": 4}),
    ],
)
def test_ctrl_c_prints_one_line_exits_130_and_keeps_the_old_model(
    project, stage, model, model_file, overrides
):
    params = project.params()
    params[f"train_{model}"].update(overrides)
    project.write_params(params)
    model_path = project.root / "data/models" / model_file
    model_path.parent.mkdir(parents=True, exist_ok=True)
    model_path.write_bytes(b"the previous model")

    proc = subprocess.Popen(
        [sys.executable, "-m", f"stages.{stage}", model, "42"],
        cwd=project.root,
        env=project.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=default_sigint,
        process_group=0,
    )
    try:
        # Wait until training runs: the progress bar has drawn its first epoch (bounded wait).
        seen = b""
        deadline = time.monotonic() + 60
        while b"1/10000" not in seen and time.monotonic() < deadline and proc.poll() is None:
            seen += os.read(proc.stderr.fileno(), 4096)
        assert b"1/10000" in seen, seen.decode(errors="replace")
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    err = (seen + err).decode(errors="replace")
    assert proc.returncode == 130, err
    assert err.rstrip().endswith(f"{stage}: interrupted; nothing was written")
    assert "Traceback" not in err
    assert model_path.read_bytes() == b"the previous model"
    leftovers = [p.name for p in project.root.rglob("*.tmp") if ".dvc" not in p.parts]
    assert leftovers == []
    project.run("git", "checkout", "HEAD", "--", "params.yaml")
