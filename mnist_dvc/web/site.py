"""site/: the page (web/ at the project's root), every pipeline model's ONNX twins, ONNX Runtime Web and
models.json, which tells the page what to load and how to read the answers.

models.json holds, per model, each seed's file with its temperature and normalization, and the constants
of the MNIST-style drawing (mnist_dvc/reading/mnist_style.py), so that the page's JavaScript uses the same
numbers as the Python path and writes none of its own.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from mnist_dvc import PipelineError

PAGE_DIR = Path("web")  # the page's own files: index.html, its script and style
SITE_DIR = Path("site")


def revision() -> str:
    """The git commit the site is built on (short), or "unknown" outside a git checkout."""
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        )
    except OSError:
        return "unknown"
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else "unknown"


def model_copy(twin: Path, dest: Path, weights: str) -> dict:
    """``twin`` written to ``dest`` (int8 weights or as it is); what models.json says of it."""
    import onnx

    from mnist_dvc.models.onnx_model import META_KEY
    from mnist_dvc.web.weights import quantize_weights

    model = onnx.load(str(twin))
    meta = json.loads(next(p.value for p in model.metadata_props if p.key == META_KEY))
    if weights == "int8":
        quantize_weights(model)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(model.SerializeToString())
    norm = meta["normalization"]
    return {
        "temperature": float(meta.get("temperature", 1.0)),
        "normalization": {"mean": float(norm["mean"]), "std": float(norm["std"])},
        "parameters": int(meta["parameters"]),
        "trained_from": meta["checkpoint_sha256"][:12],
    }


def build_site(
    models: dict[str, list[tuple[int, Path]]], p, out: Path = SITE_DIR, page: Path = PAGE_DIR
) -> dict:
    """Write the site for ``models`` (name -> [(seed, ONNX twin)]) into ``out``, replacing it whole only once
    every file is written; the manifest written as models.json."""
    missing = [str(twin) for files in models.values() for _, twin in files if not twin.is_file()]
    if missing:
        raise PipelineError(f"{', '.join(missing)}: not found; run `dvc repro` to train the models")
    building = out.with_name(f".{out.name}.building")  # beside it, so that the rename cannot cross disks
    shutil.rmtree(building, ignore_errors=True)
    try:
        manifest = _write(models, p, building, page)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)  # nothing half-written left behind
        raise
    if out.exists():
        shutil.rmtree(out)
    building.rename(out)
    return manifest


def _write(models: dict[str, list[tuple[int, Path]]], p, building: Path, page: Path) -> dict:
    from mnist_dvc.reading import mnist_style
    from mnist_dvc.web.runtime import fetch_runtime

    shutil.copytree(page, building)
    (building / "ort").mkdir()
    fetch_runtime(p.onnxruntime_web["version"], p.onnxruntime_web["integrity"], building / "ort")
    manifest = {
        "revision": revision(),
        "onnxruntime_web": p.onnxruntime_web["version"],
        "weights": p.weights,
        "drawing": {
            "box": mnist_style.BOX,
            "side": mnist_style.SIDE,
            "oversample": mnist_style.OVERSAMPLE,
            "pen_radius": mnist_style.PEN_RADIUS,
        },
        "models": [],
    }
    for name, files in models.items():
        members = []
        for seed, twin in files:
            file = f"models/{name}/seed_{seed}.onnx"
            members.append({"file": file, "seed": seed, **model_copy(twin, building / file, p.weights)})
        manifest["models"].append({"name": name, "members": members})
    (building / "models.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def size_of(folder: Path, without: tuple[str, ...] = ()) -> int:
    """Bytes of the files under ``folder``, less those whose name ends with one of ``without``."""
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and not f.name.endswith(without))
