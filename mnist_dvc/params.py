"""What a stage's group of params.yaml may contain, and how a stage reads it: :class:`StageSchema`.

Each stage's schema lives with the code that uses it (the module that does the stage's work, or its
model family's ``params.py``), so that editing one schema reruns that stage and what follows it, not
every stage. ``stages/check_params.py`` validates them all before any stage starts. Validators come
from :mod:`mnist_dvc.validation`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mnist_dvc.validation import ParamsError, StageParams, Validator, group, load_yaml

__all__ = ["PARAMS_FILE", "ParamsError", "StageParams", "StageSchema"]

PARAMS_FILE = Path("params.yaml")


@dataclass(frozen=True)
class StageSchema:
    """One stage's group of params.yaml: a validator per key, and how the values go together where
    one key's range cannot say it (``rule(values, group_name)`` raises ParamsError)."""

    stage: str
    keys: dict[str, Validator]
    rule: Callable[[dict, str], None] | None = None

    def load(self, path: Path = PARAMS_FILE, **overrides) -> StageParams:
        """Read ``path`` and validate the group, with ``overrides`` of some of its keys (as ``dvc exp run
        -S`` would set them): a misspelled key fails."""
        document = load_yaml(path)
        if not isinstance(document, dict) or self.stage not in document:
            raise ParamsError(f"{path}: no group {self.stage!r} (expected a top-level key per stage)")
        return StageParams(self.stage, self.validate({**document[self.stage], **overrides}, self.stage))

    def validate(self, values, name: str) -> dict:
        """``values`` as the group named ``name`` (a new model's group takes its family's schema)."""
        return group(self.keys, self.rule)(values, name)
