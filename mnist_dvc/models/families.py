"""Every model family's trainer params, for what handles any model: check_params, the benchmarks, the tests.

A trainer stage imports its own family's ``params.py`` only (and passes its SCHEMAS to
:func:`mnist_dvc.models.registry.trainer_params`), so that editing one family's schema reruns
that family's models and what follows them, not the other family's.
"""

from __future__ import annotations

from pathlib import Path

from mnist_dvc.models import registry
from mnist_dvc.models.numpy_mlp.params import SCHEMAS as NUMPY_SCHEMAS
from mnist_dvc.models.torch_nets.params import SCHEMAS as TORCH_SCHEMAS
from mnist_dvc.params import PARAMS_FILE, StageParams

SCHEMAS = {"numpy": NUMPY_SCHEMAS, "torch": TORCH_SCHEMAS}  # by family, as registry.FAMILIES


def trainer_params(
    model: registry.ModelEntry | str, seed: int | None = None, path: Path = PARAMS_FILE, **overrides
) -> StageParams:
    """:func:`mnist_dvc.models.registry.trainer_params` for a model of any family."""
    entry = registry.pick([model], registry.models(path))[0] if isinstance(model, str) else model
    return registry.trainer_params(entry, SCHEMAS[entry.family], seed, path, **overrides)
