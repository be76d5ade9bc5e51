"""Load benchmark of `mnist-dvc app`. Run `python -m bench.app` after `dvc repro` (it needs the models).

Starts the app as a user does (`mnist-dvc app` on a free 127.0.0.1 port), measures how long the page
takes to answer, then sends 200 predictions from 20 concurrent gradio clients: official test images as
PNGs, checked against their true labels (the CNN's answer). Reports client latency p50/p95 and the
server-side time of one prediction by all four models (what the page shows). Writes
bench/results/app.json. Everything stays on 127.0.0.1; the server is stopped by its own process id.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image

from bench.common import free_port, matmul_gflops, save
from mnist_dvc.data.idx import TEST_IMAGES, TEST_LABELS, read_images, read_labels
from mnist_dvc.paths import RAW_DIR

CLIENTS, REQUESTS = 20, 200
READY_TIMEOUT_S = 60


def wait_ready(url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {READY_TIMEOUT_S} s")


@contextlib.contextmanager
def running_app() -> Iterator[str]:
    """`mnist-dvc app` started as a user does, on a free 127.0.0.1 port; its URL once it serves the page.
    Stopped by its own process group at the end."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    command = [str(Path(sys.executable).with_name("mnist-dvc")), "app", "--port", str(port)]
    server = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        wait_ready(url)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def main() -> None:
    from gradio_client import Client, handle_file

    images, labels = read_images(RAW_DIR / TEST_IMAGES), read_labels(RAW_DIR / TEST_LABELS)
    started = time.perf_counter()
    with running_app() as url:
        ready_s = time.perf_counter() - started
        with tempfile.TemporaryDirectory() as tmp:
            files = []
            for i in range(REQUESTS):
                path = Path(tmp) / f"{i}.png"
                Image.fromarray(images[i]).save(path)
                files.append((path, str(labels[i])))
            clients = [Client(url, verbose=False) for _ in range(CLIENTS)]

            def send(i: int) -> tuple[float, str, str, float]:
                path, truth = files[i]
                start = time.perf_counter()
                result = clients[i % CLIENTS].predict(handle_file(str(path)), api_name="/predict_upload")
                latency = time.perf_counter() - start
                cnn = result[2]["label"]  # numpy_mlp, torch_mlp, cnn, ensemble, image, status
                server_ms = float(re.search(r"in (\d+) ms", result[-1]).group(1))
                return latency, cnn, truth, server_ms

            wall = time.perf_counter()
            with ThreadPoolExecutor(CLIENTS) as pool:
                answers = list(pool.map(send, range(REQUESTS)))
            wall = time.perf_counter() - wall
    latencies = sorted(a[0] for a in answers)
    server_ms = [a[3] for a in answers]
    save(
        "app",
        {
            "sgemm_gflops_2_threads": round(matmul_gflops(), 1),
            "page_ready_s": round(ready_s, 2),
            "requests": REQUESTS,
            "clients": CLIENTS,
            "answered": len(answers),
            "cnn_correct": sum(a[1] == a[2] for a in answers),
            "client_latency_p50_ms": round(1000 * statistics.median(latencies), 1),
            "client_latency_p95_ms": round(1000 * latencies[int(0.95 * len(latencies)) - 1], 1),
            "server_prediction_p50_ms": statistics.median(server_ms),
            "server_prediction_p95_ms": sorted(server_ms)[int(0.95 * len(server_ms)) - 1],
            "throughput_per_s": round(REQUESTS / wall, 1),
        },
    )


if __name__ == "__main__":
    main()
