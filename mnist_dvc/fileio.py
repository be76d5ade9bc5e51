"""Atomic file writing: a reader sees the old file or the complete new one, never half of one.

Everything the pipeline writes goes through here, because an interrupted ``np.save``/``np.savez``
leaves a readable but truncated file that a later stage would silently accept.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold


def _destination(path: str | os.PathLike) -> Path:
    # A symlink is written through: its target gets the new content, the link stays a link.
    path = Path(path)
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _mode_for(path: Path) -> int:
    # An existing file keeps its permissions; a new one gets what open() would give it (0666 less the
    # umask), not mkstemp's private 0600.
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def _temporary_beside(path: Path, mode: str) -> Iterator[tuple[IO, str]]:
    """A temporary file in ``path``'s folder (so the rename is atomic), with ``path``'s future mode;
    removed if the block fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _mode_for(path))
        with os.fdopen(fd, mode) as handle:
            yield handle, tmp
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside ``path``; rename it onto ``path`` only if the block succeeds."""
    path = _destination(path)
    with _temporary_beside(path, mode) as (handle, tmp):
        yield handle
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_together(contents: dict[str | os.PathLike, bytes]) -> None:
    """Write several files as one: each to a temporary file first, all renamed only when every one was
    written, so a failure leaves every file as it was. Raises :class:`OSError` naming the file."""
    staged: list[tuple[str, Path]] = []
    try:
        for name, data in contents.items():
            path = _destination(name)
            try:
                with _temporary_beside(path, "wb") as (handle, tmp):
                    handle.write(data)
            except OSError as exc:
                raise OSError(exc.errno, exc.strerror, str(name)) from None
            staged.append((tmp, path))
        for tmp, path in staged:
            os.replace(tmp, path)
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def write_json(path: str | os.PathLike, data: Any) -> None:
    with atomic_open(path, "w") as handle:
        json.dump(data, handle, indent=2, sort_keys=False)
        handle.write("\n")


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_open(path, "w") as handle:
        handle.write(text)


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_open(path) as handle:
        handle.write(data)


def csv_text(rows: list[dict]) -> str:
    """One header row from the first row's keys; floats to 6 decimals, so reruns diff cleanly."""
    handle = io.StringIO()
    writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: f"{v:.6f}" if isinstance(v, float) else v for k, v in row.items()} for row in rows)
    return handle.getvalue()


def write_csv(path: str | os.PathLike, rows: list[dict]) -> None:
    write_text(path, csv_text(rows))


def save_npy(path: str | os.PathLike, array: np.ndarray) -> None:
    with atomic_open(path) as handle:
        np.save(handle, array, allow_pickle=False)


def save_npz(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    """What ``np.savez`` writes, minus the clock: every member is dated 1980-01-01, so the same arrays
    give the same bytes (``np.savez`` stamps the current time into the zip)."""
    with atomic_open(path) as handle, zipfile.ZipFile(handle, "w") as archive:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=FIXED_ZIP_TIME)
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)
