"""Stage web: site/, a static page that runs every pipeline model in the browser (ONNX Runtime Web).

python -m stages.web     # as dvc.yaml runs it; `make site` builds it, docs/using.md shows how to open it
"""

from mnist_dvc.models import registry
from mnist_dvc.models.onnx_model import twin_of
from mnist_dvc.stage_runner import run_stage
from mnist_dvc.web.params import SCHEMA
from mnist_dvc.web.site import SITE_DIR, build_site, size_of


def main() -> None:
    p = SCHEMA.load()
    entries, seeds = registry.read()
    models = {name: [(seed, twin_of(e.file(seed))) for seed in seeds] for name, e in entries.items()}
    manifest = build_site(models, p)
    mb = size_of(SITE_DIR, without=(".wasm",)) / 1e6
    print(f"web: {len(manifest['models'])} models ({p.weights} weights) -> {SITE_DIR}/ "
          f"({mb:.1f} MB without ONNX Runtime's WebAssembly)")  # fmt: skip


if __name__ == "__main__":
    run_stage("web", main)
