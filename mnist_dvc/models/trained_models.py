"""A trained model as predict, the app, evaluate, robustness and explain use it: the committee of its
files (one file alone is a committee of one), and the ensemble of several models.

The files themselves are read by :mod:`mnist_dvc.models.model_file`, the one place that knows their formats.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_dvc import PipelineError
from mnist_dvc.data.normalization import Normalization
from mnist_dvc.models import registry
from mnist_dvc.models.model_file import ModelFile, read_model_file
from mnist_dvc.params import PARAMS_FILE
from mnist_dvc.paths import project_root

ENSEMBLE = "ensemble"


@dataclass
class TrainedModel:
    """One model: the same network trained with each seed (a pipeline model), or one file given alone.
    Its answer is the mean of the members' calibrated probabilities; with one member it is that file's."""

    name: str
    members: list[ModelFile]
    seeds: list[int] | None = None  # the pipeline's seeds, in the members' order; None for a file alone

    @property
    def meta(self) -> dict:
        return self.members[0].meta  # the normalization, the same for every seed (evaluate checks)

    @property
    def normalization(self) -> Normalization:
        return self.members[0].normalization

    @property
    def param_count(self) -> int:
        return sum(m.param_count for m in self.members)

    @property
    def temperature(self) -> float:
        return float(np.mean([m.temperature for m in self.members]))

    def normalize(self, unit_images: np.ndarray) -> np.ndarray:
        """Images with pixels in [0, 1] (N, 28, 28) -> what this model was trained on (N, 1, 28, 28)."""
        x = self.normalization.from_unit(unit_images.astype(np.float32))
        return x.reshape(len(x), 1, 28, 28)

    def member_log_probas(self, x: np.ndarray, calibrated: bool = True) -> list[np.ndarray]:
        """Each member's log-probabilities of normalized images (N, 1, 28, 28)."""
        return [m.log_proba(x, calibrated) for m in self.members]

    def log_proba(self, x: np.ndarray, calibrated: bool = True) -> np.ndarray:
        """The committee's log-probabilities of normalized images: the mean of its members' probabilities
        (calibrated, unless asked not to be)."""
        return committee_log_proba(self.member_log_probas(x, calibrated))

    def log_proba_of_unit_images(self, unit_images: np.ndarray) -> np.ndarray:
        """Calibrated log-probabilities of images with pixels in [0, 1]: what predict and the app show."""
        return self.log_proba(self.normalize(unit_images))


def committee_log_proba(log_probs: list[np.ndarray]) -> np.ndarray:
    """A committee's log-probabilities: the mean of its seeds' probabilities (one seed: its own)."""
    return log_probs[0] if len(log_probs) == 1 else ensemble_log_proba(log_probs)


def load_model(name: str, path: Path) -> TrainedModel:
    """One model file of any format (:func:`~mnist_dvc.models.model_file.read_model_file`), as a
    committee of one."""
    return TrainedModel(name, [read_model_file(path)])


def load_pipeline_models(names: list[str] | None = None) -> dict[str, TrainedModel]:
    """The pipeline's own models by name (all of the registry by default), each the committee of its
    seeds, with one clear message when they have not been made yet."""
    root = project_root()
    entries, seeds = registry.read(root / PARAMS_FILE)
    chosen = registry.pick(names or list(entries), entries)
    files = {e.name: [_relative_to_cwd(root / e.file(seed)) for seed in seeds] for e in chosen}
    missing = [str(path) for paths in files.values() for path in paths if not path.is_file()]
    if missing:
        raise PipelineError(
            f"{', '.join(missing)}: not found; run `dvc repro` to train the models "
            "(or `dvc pull` to fetch them from the remote)"
        )
    return {
        name: TrainedModel(name, [read_model_file(p) for p in paths], seeds) for name, paths in files.items()
    }


def _relative_to_cwd(path: Path) -> Path:
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def each_model_log_proba(
    models: dict[str, TrainedModel], images: np.ndarray, ensemble: bool = True
) -> dict[str, np.ndarray]:
    """Each model's log-probabilities for ``images`` (N, 28, 28) in [0, 1]; each model gets the images
    normalized as it was trained. With several models and ``ensemble``, their ensemble is added."""
    log_probs = {name: m.log_proba_of_unit_images(images) for name, m in models.items()}
    if ensemble and len(log_probs) > 1:
        log_probs[ENSEMBLE] = ensemble_log_proba(list(log_probs.values()))
    return log_probs


def check_normalization(model: TrainedModel, data_norm: Normalization) -> None:
    """A model trained on differently scaled inputs would be evaluated on garbage: refuse it, naming the
    first of its files that was."""
    for member in model.members:
        norm = member.normalization
        if (norm.mean, norm.std) != (data_norm.mean, data_norm.std):
            raise PipelineError(
                f"{member.path}: trained with normalization {member.meta['normalization']}, but "
                f"data/prepared uses {data_norm.as_meta()}; retrain it (dvc repro)"
            )


def judge_of(models: dict[str, TrainedModel]) -> Callable[[np.ndarray], np.ndarray]:
    """What cuts a picture's touching digits apart (:mod:`mnist_dvc.reading.segment`): the models' ensemble's
    log-probabilities, or the one model's, so that the models that answer also decide the cut."""

    def judge(images: np.ndarray) -> np.ndarray:
        log_probs = each_model_log_proba(models, images.astype(np.float32))
        return log_probs.get(ENSEMBLE, next(iter(log_probs.values())))

    return judge


def ensemble_log_proba(log_probs: list[np.ndarray]) -> np.ndarray:
    """The ensemble's log-probabilities: the log of the mean of the members' probabilities."""
    stacked = np.stack([lp.astype(np.float64) for lp in log_probs])
    top = stacked.max(axis=0)
    mean = np.log(np.exp(stacked - top).mean(axis=0)) + top  # log-mean-exp, stable
    return mean.astype(np.float32)


def probabilities(log_probs: np.ndarray) -> np.ndarray:
    """float64 probabilities whose rows sum to 1: float32 log-probabilities exponentiate to rows that miss 1
    by ~1e-7, which scikit-learn's log_loss warns about and a CSV of probabilities would show."""
    probs = np.exp(log_probs.astype(np.float64))
    return probs / probs.sum(axis=1, keepdims=True)
