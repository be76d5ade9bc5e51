"""Each trainer's training time and inference speed, in a file beside its dvclive logs.

Kept out of the model file and the training metrics, which stay byte-identical from one run to the next
on the same machine; evaluate reads them from here for the report.
"""

from __future__ import annotations

import json

from mnist_dvc import PipelineError
from mnist_dvc.fileio import write_json
from mnist_dvc.paths import timing_file


def write_timing(model: str, seed: int, train_seconds: float, images_per_s: float) -> None:
    write_json(
        timing_file(model, seed),
        {"train_seconds": round(train_seconds, 3), "inference_images_per_s": round(images_per_s)},
    )


def read_timing(model: str, seed: int) -> dict:
    path = timing_file(model, seed)
    try:
        timing = json.loads(path.read_text())
        return {key: timing[key] for key in ("train_seconds", "inference_images_per_s")}
    except FileNotFoundError:
        raise PipelineError(f"{path}: not found; run `dvc repro`") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise PipelineError(f"{path}: not a timing file ({type(exc).__name__}: {exc})") from None
