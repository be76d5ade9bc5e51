"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

import json
import platform
import shlex
import socket
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from mnist_dvc.data.dataset import load_prepared
from mnist_dvc.fileio import write_json

RESULTS_DIR = Path("bench/results")


def load_data():
    """The prepared arrays (run `dvc repro prepare` first), flattened for the MLPs."""
    data = load_prepared("data/prepared")
    flat = {s: data.images[s].reshape(len(data.images[s]), -1) for s in data.images}
    return data, flat


def matmul_gflops(
    shape: tuple[int, int, int] = (2048, 2048, 2048), threads: int = 2, repeats: int = 10
) -> float:
    """Float32 matrix-multiply throughput of this machine's BLAS, best of ``repeats``."""
    m, k, n = shape
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k), np.float32), rng.standard_normal((k, n), np.float32)
    best = float("inf")
    with threadpool_limits(threads):
        a @ b  # warm-up
        for _ in range(repeats):
            start = time.perf_counter()
            a @ b
            best = min(best, time.perf_counter() - start)
    return 2 * m * k * n / best / 1e9


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now: the benchmarked servers bind there."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def save(name: str, results: dict) -> Path:
    results = {"machine": {"platform": platform.platform(), "processor": platform.processor()}, **results}
    path = RESULTS_DIR / f"{name}.json"
    write_json(path, results)
    print(json.dumps(results, indent=2))
    return path


def set_flags(groups: dict[str, dict]) -> str:
    """``dvc exp run`` flags setting each params group's values: ``-S group.key=value``, the values in
    JSON (which YAML 1.2, DVC's reading, shares), quoted for the shell."""
    return " ".join(
        f"-S {shlex.quote(f'{group}.{key}={json.dumps(value)}')}"
        for group, values in groups.items()
        for key, value in values.items()
    )
