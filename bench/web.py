"""The web stage's page in headless Chromium, beside `mnist-dvc app`, in one run. After `dvc repro` (it
needs site/ and the models): `python -m bench.web [--drawings 100]` writes bench/results/web.json.

* agreement: digits drawn as strokes on the page's pad (tools/digit_strokes.py, through Selenium's pointer
  actions); the page's answer of each model and of the ensemble against `mnist-dvc predict`'s path (the
  same pipeline models, float32, in Python) on the pad's own PNG; and the page's 28x28 image against
  Python's.
* time from navigation to the first answer (the page ready, then one answer of every model: a digit drawn
  at once), and one answer of every model after a stroke (median); the app's time to its first answer,
  started as a user does and sent one of the drawings.
* site/'s size, with and without ONNX Runtime's WebAssembly.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.app import running_app
from bench.common import matmul_gflops, save
from mnist_dvc.models.trained_models import ENSEMBLE, each_model_log_proba, judge_of, load_pipeline_models
from mnist_dvc.reading.digits import read_digits
from mnist_dvc.web.site import SITE_DIR, size_of
from tools import browser
from tools.digit_strokes import digit_strokes


def page_readings(url: str, drawings: int, workdir: Path) -> tuple[list[dict], list[Path], dict]:
    """Each drawing's answer on the page and the pad's PNG; and the page's timings."""
    chromium = browser.headless_chromium(1000, 900)
    try:
        started = time.perf_counter()
        browser.open_page(chromium, url)
        rng = np.random.default_rng(0)
        first = digit_strokes(0, rng)
        browser.draw_on_pad(chromium, first)
        first_answer_s = time.perf_counter() - started
        timing = chromium.execute_script(
            "return {ready: window.mnistPage.readyAt, ms: window.mnistPage.last.ms}"
        )
        answers, pngs = [], []
        for i in range(drawings):
            browser.clear_pad(chromium)
            browser.draw_on_pad(chromium, digit_strokes(i % 10, rng))
            answers.append(chromium.execute_script("return window.mnistPage.last"))
            pngs.append(workdir / f"{i:03d}_{i % 10}.png")
            pngs[-1].write_bytes(browser.pad_png(chromium))
    finally:
        chromium.quit()
    return (
        answers,
        pngs,
        {
            "page_ready_ms": round(timing["ready"]),
            # A digit drawn as soon as the page is ready: its answer, from the navigation's start.
            "first_answer_ms": round(timing["ready"] + timing["ms"]),
            "first_answer_s_with_selenium_drawing": round(first_answer_s, 2),
        },
    )


def app_first_answer_s(picture: Path) -> float:
    """`mnist-dvc app` as a user starts it, to its first answer (``picture`` sent through its API)."""
    from gradio_client import Client, handle_file

    started = time.perf_counter()
    with running_app() as url:
        Client(url, verbose=False).predict(handle_file(str(picture)), api_name="/predict_upload")
        return time.perf_counter() - started


def top(answer: dict, name: str) -> int:
    """The page's digit for one model, or the ensemble's."""
    return int(np.argmax(answer["ensemble"] if name == ENSEMBLE else answer["models"][name]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drawings", type=int, default=100)
    args = parser.parse_args()
    models = load_pipeline_models()
    with tempfile.TemporaryDirectory() as tmp, browser.static_site(SITE_DIR) as url:
        answers, pngs, timing = page_readings(url, args.drawings, Path(tmp))
        read = [read_digits(p, judge=judge_of(models)).images for p in pngs]
        app_s = app_first_answer_s(pngs[1])
    single = np.array([len(r) == 1 for r in read])
    images = np.stack([r[0] if len(r) == 1 else np.zeros((28, 28), np.float32) for r in read])
    python = {name: lp.argmax(1) for name, lp in each_model_log_proba(models, images).items()}
    page = {name: np.array([top(a, name) for a in answers]) for name in python}
    truth = np.array([int(p.stem[-1]) for p in pngs])
    difference = np.abs(np.array([a["image"] for a in answers], np.float32).reshape(-1, 28, 28) - images)
    per_drawing = difference.reshape(len(images), -1).mean(axis=1)[single]
    results = {
        "sgemm_gflops_2_threads": round(matmul_gflops(), 1),
        "drawings": len(answers),
        "python_found_one_digit": float(single.mean()),
        "same_digit_as_predict": {n: float(np.mean((page[n] == python[n]) & single)) for n in python},
        "page_right": {n: float(np.mean(page[n] == truth)) for n in python},
        "predict_right": {n: float(np.mean((python[n] == truth) & single)) for n in python},
        "image_mean_abs_difference": {
            "median": float(np.median(per_drawing)),
            "max": float(per_drawing.max()),
        },
        "image_max_pixel_difference": float(difference[single].max()),
        **timing,
        "answer_after_stroke_median_ms": round(statistics.median(a["ms"] for a in answers), 1),
        "app_first_answer_s": round(app_s, 2),
        "site_bytes_without_wasm": size_of(SITE_DIR, without=(".wasm",)),
        "site_bytes": size_of(SITE_DIR),
    }
    save("web", results)


if __name__ == "__main__":
    main()
