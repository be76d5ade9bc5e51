"""Helpers the tests share: small synthetic MNIST-like data (arrays, real IDX files, prepared splits), a
temporary DVC project with tiny params, and reading which stages a `dvc` command ran. The fixtures built
from them live in tests/conftest.py."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import yaml

from mnist_dvc.data.dataset import PreparedData
from mnist_dvc.data.idx import MNIST_FILES, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS, encode_idx
from mnist_dvc.data.normalization import Normalization

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def in_fresh_interpreter(code: str, check: bool = True) -> subprocess.CompletedProcess:
    """``python -c code`` in the project's root, in a new interpreter: what a command imports, seen
    without the modules this test session already holds."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=check
    )


def synthetic_digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images (n, 28, 28) whose class is learnable: a class-specific bar pattern plus noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    rng.shuffle(labels)
    images = rng.integers(0, 60, size=(n, 28, 28))
    for i, label in enumerate(labels):
        images[i, 2 + 2 * label : 4 + 2 * label, 4:24] = 255  # a horizontal bar whose row encodes the class
    return images.astype(np.uint8), labels.astype(np.uint8)


def tiny_data(n_train: int = 200, n_val: int = 50) -> PreparedData:
    """Prepared train and val splits of synthetic digits in [0, 1], shaped as the trainers read them."""
    norm = Normalization("minmax", 0.0, 1.0)
    images, labels = {}, {}
    for split, n, seed in (("train", n_train, 0), ("val", n_val, 1)):
        x, y = synthetic_digits(n, seed)
        images[split], labels[split] = norm.apply(x)[:, None], y.astype(np.int64)
    return PreparedData(
        images, labels, norm, {"normalization": {"method": "minmax", "mean": 0.0, "std": 1.0}}
    )


def write_fake_mnist(directory: Path, n_train: int = 300, n_test: int = 100, seed: int = 0) -> dict[str, str]:
    """Write the four IDX files; return their sha256 digests by file name."""
    directory.mkdir(parents=True, exist_ok=True)
    train_x, train_y = synthetic_digits(n_train, seed)
    test_x, test_y = synthetic_digits(n_test, seed + 1)
    contents = {
        TRAIN_IMAGES: encode_idx(train_x),
        TRAIN_LABELS: encode_idx(train_y),
        TEST_IMAGES: encode_idx(test_x),
        TEST_LABELS: encode_idx(test_y),
    }
    for name, data in contents.items():
        (directory / name).write_bytes(data)
    return {name: hashlib.sha256(contents[name]).hexdigest() for name in MNIST_FILES}


def default_sigint() -> None:
    """A child's ``preexec_fn`` for tests that press Ctrl-C on it: a background job of a non-interactive
    shell starts with SIGINT ignored, and children inherit that; give it the handler a terminal would."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (servers in tests bind only there)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tool_env(tmp_path: Path) -> dict[str, str]:
    """Environment for git/dvc subprocesses: this interpreter's `python`, no analytics, private caches."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["DVC_NO_ANALYTICS"] = "1"
    env["DVC_SITE_CACHE_DIR"] = str(tmp_path / "dvc-site-cache")
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["HOME"] = str(tmp_path / "home")
    return env


class DvcProject:
    """A copy of this project's code and pipeline in a fresh git repository."""

    def __init__(self, root: Path, env: dict[str, str]):
        self.root, self.env = root, env

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(args, cwd=self.root, env=self.env, capture_output=True, text=True, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            )
        return proc

    def dvc(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run(sys.executable, "-m", "dvc", *args, check=check)

    def params(self) -> dict:
        return yaml.safe_load((self.root / "params.yaml").read_text())

    def write_params(self, params: dict) -> None:
        (self.root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def make_project(tmp_path: Path, *, limit: int | None = None) -> DvcProject:
    """Copy code + pipeline into ``tmp_path/project``, with fake IDX data in data/external (local only)."""
    root = tmp_path / "project"
    root.mkdir()
    (tmp_path / "home").mkdir(exist_ok=True)
    for name in ("stages", "mnist_dvc", "tools", "web"):
        shutil.copytree(PROJECT_ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("dvc.yaml", "params.yaml", ".gitignore", ".dvcignore"):
        shutil.copy2(PROJECT_ROOT / name, root / name)
    project = DvcProject(root, tool_env(tmp_path))
    project.run("git", "init", "-q", "-b", "main")
    project.run("git", "config", "user.name", "mnist-dvc tests")
    project.run("git", "config", "user.email", "tests@example.invalid")
    project.dvc("init", "-q")
    shutil.copy2(PROJECT_ROOT / ".dvc" / "config", root / ".dvc" / "config")
    shutil.copytree(PROJECT_ROOT / ".dvc" / "plots", root / ".dvc" / "plots")

    digests = write_fake_mnist(root / "data" / "external")
    params = project.params()
    params["fetch_data"].update(sources=["local"], sha256=digests)
    params["prepare"]["limit"] = limit
    project.write_params(params)
    project.run("git", "add", "-A")
    project.run("git", "commit", "-q", "-m", "test project")
    return project


def make_tiny(project: DvcProject) -> None:
    """Shrink every model and stage so the whole pipeline runs in seconds on the synthetic data."""
    params = project.params()
    params["train_numpy_mlp"].update(hidden=[16], epochs=1, batch_size=32)
    params["train_torch_mlp"].update(hidden=[32], epochs=1, batch_size=32)
    params["train_cnn"].update(width=4, epochs=1, batch_size=32)
    params["train_number_reader"].update(numbers=64, val_numbers=16, width=4, hidden=8, epochs=1,
                                         batch_size=32)  # fmt: skip
    params["evaluate"]["example_indices"] = [0, 1, 2, 3]
    params["explain"].update(feature_map_indices=[0, 1], embedding_images=40, perplexity=5)
    params["robustness"]["images"] = 40
    project.write_params(params)


# Every stage of dvc.yaml but the trainers, whose instances depend on params.yaml's models and seeds.
STAGES_BUT_TRAINERS = ("check_params", "fetch_data", "prepare", "train_number_reader", "evaluate",
                       "robustness", "explain", "web")  # fmt: skip


def stages_ran(output: str) -> set[str]:
    """The stages a `dvc repro` or `dvc exp run` ran, from what it printed."""
    return {line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage '")}
