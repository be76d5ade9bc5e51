"""Sharing through DVC remote storage: S3 (a real S3-protocol server on 127.0.0.1) and a plain directory.

A fresh clone pulls what the first repository pushed and is up to date without training; the run-cache
restores an experiment someone else ran; experiments and artifacts travel; an unreachable remote fails
clearly and deletes nothing. Nothing is mocked inside the processes under test: dvc and git run as
subprocesses and talk to the server over the socket.
"""

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.fixtures import PROJECT_ROOT, DvcProject, free_port, stages_ran, tool_env

pytestmark = pytest.mark.e2e

moto_server = pytest.importorskip("moto.server", reason="needs moto[server] (requirements.txt)")
BUCKET = "mnist-dvc-test"
VENV = Path(sys.executable).parent.parent  # `make VENV=...` runs the Makefile with this interpreter's venv
MAKE = shutil.which("make")


@pytest.fixture(scope="module")
def s3():
    """An S3-protocol server on 127.0.0.1, started and stopped here, with one bucket and dummy keys."""
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        import boto3

        endpoint = f"http://127.0.0.1:{port}"
        boto3.client(
            "s3", endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
        ).create_bucket(Bucket=BUCKET)  # fmt: skip
        yield server, endpoint
    finally:
        server.stop()


def _digests(root: Path) -> dict[str, str]:
    models = root / "data/models"
    return {
        str(f.relative_to(models)): hashlib.sha256(f.read_bytes()).hexdigest() for f in models.rglob("seed_*")
    }


def _make(project: DvcProject, target: str, check: bool = True) -> subprocess.CompletedProcess:
    # -o: never "update" the running environment. A fresh clone's requirements.txt is newer than the
    # venv's stamp, and `make setup` would re-point the venv's editable install at this temporary clone.
    return project.run(MAKE, f"VENV={VENV}", "-o", f"{VENV}/.installed", target, check=check)


def _clone(origin: DvcProject, source, dest: Path) -> DvcProject:
    """A fresh `git clone` of ``source``: no DVC cache, no local config, no data."""
    origin.run("git", "clone", "-q", str(source), str(dest))
    clone = DvcProject(dest, origin.env)
    clone.run("git", "config", "user.name", "someone else")
    clone.run("git", "config", "user.email", "else@example.invalid")
    return clone


def _set_s3_credentials(project: DvcProject) -> None:
    # Never committed: config.local is git-ignored by DVC.
    project.dvc("remote", "modify", "--local", "storage", "access_key_id", "testing")
    project.dvc("remote", "modify", "--local", "storage", "secret_access_key", "testing")


@pytest.fixture(scope="module")
def origin(tmp_path_factory, s3, pipeline):
    """A repository that ran the pipeline, then pushed data, models and run-cache to the S3 remote: a copy
    of the session's pipeline (its git history, outputs and DVC cache), so nothing is trained again."""
    _, endpoint = s3
    tmp = tmp_path_factory.mktemp("origin")
    (tmp / "home").mkdir()
    shutil.copytree(pipeline.root, tmp / "project", symlinks=True)
    project = DvcProject(tmp / "project", tool_env(tmp))
    for name in ("Makefile", "requirements.txt", "pyproject.toml"):  # copy2 keeps the times: no reinstall
        shutil.copy2(PROJECT_ROOT / name, project.root / name)
    project.dvc("remote", "add", "-d", "storage", f"s3://{BUCKET}/store")
    project.dvc("remote", "modify", "storage", "endpointurl", endpoint)
    project.dvc("remote", "modify", "storage", "region", "us-east-1")
    _set_s3_credentials(project)
    assert stages_ran(project.dvc("repro").stdout) == set()  # the copy is up to date
    project.run("git", "add", "-A")
    project.run("git", "commit", "-q", "-m", "pipeline run, shared through S3")
    # An experiment someone ran and shared through the run-cache; `dvc exp run` leaves it in the workspace.
    project.dvc("exp", "run", "-S", "train_numpy_mlp.lr=0.003", "-n", "lr3")
    project.run("git", "checkout", "HEAD", "--", "params.yaml", "dvc.lock", "metrics")
    project.dvc("checkout", "-f", "-q")
    _make(project, "push")
    return project


@pytest.mark.skipif(MAKE is None, reason="needs make")
def test_a_fresh_clone_pulls_instead_of_training_and_reuses_the_run_cache(origin, tmp_path):
    clone = _clone(origin, origin.root, tmp_path / "clone")
    assert not (clone.root / "data/models").exists()
    _set_s3_credentials(clone)
    proc = _make(clone, "repro")
    assert "pulling what DVC remote 'storage' already has" in proc.stdout
    assert stages_ran(proc.stdout) == set(), proc.stdout
    assert "Data and pipelines are up to date" in clone.dvc("status").stdout
    assert _digests(clone.root) == _digests(origin.root)
    assert clone.run("git", "status", "--porcelain").stdout == ""
    assert clone.dvc("metrics", "diff", "main").stdout.strip() == ""
    # The pulled models serve `mnist-dvc predict` in a clone that never trained.
    np.save(tmp_path / "digits.npy", np.zeros((2, 28, 28), np.uint8) + np.eye(28, dtype=np.uint8) * 255)
    predict = ["python", "-m", "mnist_dvc.serving.command", "predict", str(tmp_path / "digits.npy")]
    clone.run(*predict, "--model", "ensemble", "--out", str(tmp_path / "p.txt"))
    assert len((tmp_path / "p.txt").read_text().split()) == 2

    # The experiment the origin ran is restored from the run-cache, not trained again.
    restored = clone.dvc("exp", "run", "-S", "train_numpy_mlp.lr=0.003").stdout
    assert "Stage 'train_numpy_mlp@42' is cached - skipping run" in restored, restored
    assert "Running stage 'train_numpy_mlp@42'" not in restored
    fresh = clone.dvc("exp", "run", "-S", "train_numpy_mlp.lr=0.004").stdout
    assert "Running stage 'train_numpy_mlp@42'" in fresh


@pytest.mark.skipif(MAKE is None, reason="needs make")
def test_experiments_travel_through_a_git_remote(origin, tmp_path):
    bare = tmp_path / "shared.git"
    origin.run("git", "init", "-q", "--bare", "-b", "main", str(bare))
    origin.run("git", "push", "-q", str(bare), "main")
    origin.dvc("exp", "push", str(bare), "lr3")

    clone = _clone(origin, bare, tmp_path / "other")
    _set_s3_credentials(clone)
    clone.dvc("exp", "pull", str(bare), "lr3")
    clone.dvc("exp", "apply", "lr3")
    assert "lr: 0.003" in (clone.root / "params.yaml").read_text()
    clone.dvc("pull")
    assert "Data and pipelines are up to date" in clone.dvc("status").stdout


@pytest.mark.skipif(MAKE is None, reason="needs make")
def test_a_directory_remote_works_the_same(origin, tmp_path):
    store = tmp_path / "nas"
    origin.dvc("remote", "add", "nas", str(store))
    try:
        origin.dvc("push", "--run-cache", "-r", "nas")
        clone = _clone(origin, origin.root, tmp_path / "clone")
        clone.dvc("remote", "add", "--local", "-d", "nas", str(store))  # a NAS path, this machine only
        proc = _make(clone, "repro")
        assert stages_ran(proc.stdout) == set(), proc.stdout
        assert _digests(clone.root) == _digests(origin.root)
    finally:
        origin.dvc("remote", "remove", "nas")


@pytest.mark.skipif(MAKE is None, reason="needs make")
def test_an_unreachable_remote_fails_clearly_and_deletes_nothing(origin, tmp_path):
    clone = _clone(origin, origin.root, tmp_path / "clone")
    _set_s3_credentials(clone)
    # A port where nothing listens: the remote is down.
    clone.dvc("remote", "modify", "--local", "storage", "endpointurl", f"http://127.0.0.1:{free_port()}")
    clone.dvc("remote", "modify", "--local", "storage", "connect_timeout", "2")
    (clone.root / "notes.txt").write_text("mine")
    proc = _make(clone, "pull", check=False)
    assert proc.returncode != 0
    assert "make pull: DVC remote 'storage' failed" in proc.stderr
    assert "`dvc repro` alone still works" in proc.stderr
    assert (clone.root / "notes.txt").read_text() == "mine"
    assert clone.run("git", "status", "--porcelain").stdout.strip() == "?? notes.txt"


@pytest.mark.skipif(MAKE is None, reason="needs make")
def test_a_tagged_model_version_is_fetched_without_cloning_or_training(origin, tmp_path):
    bare = tmp_path / "registry.git"
    origin.run("git", "init", "-q", "--bare", "-b", "main", str(bare))
    gto = str(Path(sys.executable).with_name("gto"))
    origin.run(gto, "register", "cnn", "--version", "v1.0.0")  # the tag cnn@v1.0.0
    origin.run(gto, "assign", "cnn", "--version", "v1.0.0", "--stage", "prod")  # the tag cnn#prod#1
    try:
        origin.run("git", "push", "-q", str(bare), "main", "--tags")
        # The repository's committed config names the S3 remote; the keys come from the environment.
        env = {**origin.env, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
        for how in (["--rev", "v1.0.0"], ["--stage", "prod"]):
            out = tmp_path / f"cnn{how[0]}"
            subprocess.run(
                [sys.executable, "-m", "dvc", "artifacts", "get", str(bare), "cnn", *how, "-o", str(out)],
                cwd=tmp_path, env=env, check=True, capture_output=True, timeout=120,
            )  # fmt: skip
            # The artifact is the model's folder: its file per seed.
            got = (out / "seed_42.pt").read_bytes()
            assert hashlib.sha256(got).hexdigest() == _digests(origin.root)["cnn/seed_42.pt"]
    finally:
        for tag in ("cnn@v1.0.0", "cnn#prod#1"):
            origin.run("git", "tag", "-d", tag, check=False)
