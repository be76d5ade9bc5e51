"""The notebook's configurations (bench/notebook.yaml), validated, for the benchmarks and the Makefile.

python -m bench.notebook cnn-simple     # its `dvc exp run -S` flags, for `make notebook-cnn-simple`
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from bench.common import set_flags
from mnist_dvc.models.families import trainer_params
from mnist_dvc.models.registry import models

NOTEBOOK_FILE = Path(__file__).with_name("notebook.yaml")


def configs(path: Path = NOTEBOOK_FILE) -> dict[str, tuple[str, dict]]:
    """name -> (model, overrides of its params group); every configuration checked against its schema."""
    document = yaml.safe_load(path.read_text())["configs"]
    out = {}
    for name, entry in document.items():
        trainer_params(entry["model"], **entry["params"])  # a wrong key or value fails here, by name
        out[name] = (entry["model"], entry["params"])
    return out


def exp_flags(name: str) -> str:
    """The `dvc exp run` flags that set configuration ``name``'s overrides in its stage's params group."""
    model, overrides = configs()[name]
    return set_flags({models()[model].stage: overrides})


if __name__ == "__main__":
    known = configs()
    if len(sys.argv) != 2 or sys.argv[1] not in known:
        sys.exit(f"usage: python -m bench.notebook {{{','.join(known)}}}")
    print(exp_flags(sys.argv[1]))
