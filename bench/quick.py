"""The quick profile (bench/quick.yaml), validated, as `dvc exp run -S` flags for `make quick`, and the
stages it runs.

python -m bench.quick     # prints the flags and the stages
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from bench.common import set_flags
from mnist_dvc.models.families import trainer_params
from mnist_dvc.models.registry import models
from mnist_dvc.params import ParamsError
from mnist_dvc.stage_schemas import SCHEMAS

QUICK_FILE = Path(__file__).with_name("quick.yaml")
# The models' comparison and what reads it: every stage and the ones they need, which leaves out
# train_number_reader. The reader learns nothing useful in the minute the profile could give it (3,000
# numbers over 3 epochs read none of 300 exactly), and `make quick` is about the models.
STAGES = ("evaluate", "robustness", "explain", "web")


def overrides(path: Path = QUICK_FILE) -> dict[str, dict]:
    """group -> its overrides; each group checked against its stage's schema with them applied."""
    document = yaml.safe_load(path.read_text())["overrides"]
    trainers = {entry.stage: name for name, entry in models().items()}
    for group, values in document.items():
        if group in SCHEMAS:
            SCHEMAS[group].load(**values)
        elif group in trainers:
            trainer_params(trainers[group], **values)
        else:
            raise ParamsError(f"{path}: {group!r} is no stage's params group (expected one of "
                              f"{', '.join([*SCHEMAS, *trainers])})")  # fmt: skip
    return document


def exp_flags(path: Path = QUICK_FILE) -> str:
    """The `dvc exp run` flags that set every override of the profile, and the stages to run."""
    return f"{set_flags(overrides(path))} {' '.join(STAGES)}"


if __name__ == "__main__":
    try:
        print(exp_flags())
    except ParamsError as exc:
        sys.exit(f"bench.quick: {exc}")
