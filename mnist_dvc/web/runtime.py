"""ONNX Runtime Web's files for the page, from the npm package ``onnxruntime-web`` at the version params.yaml
pins, its tarball checked against npm's integrity digest before a file is taken from it.

Only the plain WebAssembly build is taken: its loader (``ort.wasm.min.js``) and the SIMD build it loads
(the ``.mjs`` glue and its ``.wasm``); not the WebGPU, WebGL or JSEP builds.
"""

from __future__ import annotations

import base64
import hashlib
import tarfile
import tempfile
from pathlib import Path

from mnist_dvc import PipelineError
from mnist_dvc.npm import NpmUnavailable, npm_pack

FILES = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")


def integrity_of(path: Path) -> str:
    """npm's integrity string of a tarball: ``sha512-`` and the base64 of its SHA-512."""
    return "sha512-" + base64.b64encode(hashlib.sha512(Path(path).read_bytes()).digest()).decode()


def fetch_runtime(version: str, integrity: str, dest: Path, npm: str = "npm") -> list[Path]:
    """Write :data:`FILES` of onnxruntime-web ``version`` into ``dest``; refuse a tarball whose digest is
    not ``integrity``."""
    package = f"onnxruntime-web@{version}"
    with tempfile.TemporaryDirectory() as scratch:
        try:
            tarball = npm_pack(package, Path(scratch) / "npm", npm=npm)
        except NpmUnavailable as exc:
            raise PipelineError(f"web: cannot get {package} from npm ({exc})") from None
        got = integrity_of(tarball)
        if got != integrity:
            raise PipelineError(
                f"params.yaml: web.onnxruntime_web.integrity is {integrity}, but npm's {package} has {got}"
            )
        with tarfile.open(tarball) as archive:
            members = {m.name: m for m in archive.getmembers() if m.isfile()}
            written = []
            for name in FILES:
                member = members.get(f"package/dist/{name}")
                if member is None:
                    raise PipelineError(f"web: {package} holds no dist/{name}")
                (dest / name).write_bytes(archive.extractfile(member).read())
                written.append(dest / name)
    return written
