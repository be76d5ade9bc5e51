"""Loading any trained model file for prediction, each pipeline model as the committee of its seeds, and
the ensemble of several models.

One path for `evaluate`, robustness, `mnist-dvc predict` and the app: models are loaded through the same
loaders the trainers write with, so a file a trainer could not have produced is refused with its name.
Neither scikit-learn nor matplotlib is imported here, so `mnist-dvc predict` starts fast.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_dvc import PipelineError, refusal
from mnist_dvc.data.normalization import Normalization
from mnist_dvc.models import registry
from mnist_dvc.models.calibration import log_softmax
from mnist_dvc.params import PARAMS_FILE
from mnist_dvc.paths import project_root

ENSEMBLE = "ensemble"


@dataclass
class LoadedModel:
    """One trained model file: what it predicts, and the network itself for explanations."""

    name: str
    path: Path
    meta: dict
    param_count: int
    # float32 images (N, 1, 28, 28), normalized as the model was trained -> log-probabilities (N, 10)
    predict_log_proba: Callable[[np.ndarray], np.ndarray]
    kind: str = "torch"  # the network's family: "numpy" (an .npz of arrays) or "torch" (a checkpoint)
    loaded_network: object | None = None  # see network()

    @property
    def members(self) -> list[LoadedModel]:
        """A model file alone is a committee of one (see :class:`Committee`)."""
        return [self]

    @property
    def explainable(self) -> bool:
        """Whether :meth:`network` has a network to give: not for an ONNX file alone."""
        return self.loaded_network is not None or self.path.suffix.lower() == ".pt"

    def network(self) -> object:
        """The trained network itself, as explanations need its layers: the NumPy MLP's arrays, or the
        torch module (float32, eval mode) read from the checkpoint on first use; predictions run
        through the ONNX twin instead, without torch. An ONNX file alone holds no such network."""
        if self.loaded_network is None:
            if not self.explainable:
                raise PipelineError(f"{self.path}: an ONNX file holds no network to explain; give its .pt")
            from mnist_dvc.models.torch_nets.checkpoint import load_checkpoint

            module, _ = load_checkpoint(self.path)
            self.loaded_network = module.float().eval()
        return self.loaded_network

    def blank(self) -> np.ndarray:
        """A blank page (pixel 0) as this model's input (1, 1, 28, 28): the attributions' baseline."""
        return np.full((1, 1, 28, 28), self.normalization.blank, np.float32)

    @property
    def temperature(self) -> float:
        """Fitted on the validation split by the trainer; 1 for files written before calibration existed."""
        return float(self.meta.get("temperature", 1.0))

    def calibrate(self, log_probs: np.ndarray) -> np.ndarray:
        """Temperature-scaled log-probabilities: the same ranking (so the same predictions), honest sizes."""
        return log_softmax(log_probs / np.float32(self.temperature))

    @property
    def normalization(self) -> Normalization:
        """How this model's inputs were scaled in training (checked finite, std > 0, when loaded)."""
        return Normalization.from_meta(self.meta["normalization"])

    def normalize(self, unit_images: np.ndarray) -> np.ndarray:
        """Images with pixels in [0, 1] (N, 28, 28) -> what this model was trained on (N, 1, 28, 28)."""
        x = self.normalization.from_unit(unit_images.astype(np.float32))
        return x.reshape(len(x), 1, 28, 28)

    def calibrated_log_proba(self, x: np.ndarray) -> np.ndarray:
        """Calibrated log-probabilities of normalized images (N, 1, 28, 28)."""
        return self.calibrate(self.predict_log_proba(x))

    def log_proba_of_unit_images(self, unit_images: np.ndarray) -> np.ndarray:
        """Calibrated log-probabilities of images with pixels in [0, 1]: what predict and the app show."""
        return self.calibrated_log_proba(self.normalize(unit_images))


@dataclass
class Committee:
    """One pipeline model: the same model trained with each seed. Its answer is the mean of the members'
    calibrated probabilities; with one seed it is that model itself."""

    name: str
    seeds: list[int]
    members: list[LoadedModel]

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
        return self.members[0].normalize(unit_images)

    def predict_log_proba(self, x: np.ndarray) -> np.ndarray:
        """The committee before calibration: the mean of the members' uncalibrated probabilities."""
        return committee_log_proba([m.predict_log_proba(x) for m in self.members])

    def calibrated_log_proba(self, x: np.ndarray) -> np.ndarray:
        return committee_log_proba([m.calibrated_log_proba(x) for m in self.members])

    def log_proba_of_unit_images(self, unit_images: np.ndarray) -> np.ndarray:
        return self.calibrated_log_proba(self.normalize(unit_images))


# A pipeline model (the committee of its seeds) or a model file alone: both answer alike.
TrainedModel = LoadedModel | Committee


def committee_log_proba(log_probs: list[np.ndarray]) -> np.ndarray:
    """A committee's log-probabilities: the mean of its seeds' probabilities (one seed: its own)."""
    return log_probs[0] if len(log_probs) == 1 else ensemble_log_proba(log_probs)


def load_model(name: str, path: Path) -> LoadedModel:
    """A NumPy MLP (.npz) or a PyTorch model, ready to predict. A PyTorch checkpoint (.pt) runs through
    its ONNX twin (ONNX Runtime: no torch to import, which is most of a prediction's time) when the twin
    beside it was exported from it; else through torch, with a note. An .onnx file may be given too.
    Whatever the format, the model must normalize with a finite mean and a std > 0, calibrate with a
    temperature > 0 and answer ten finite scores for a 28x28 image; anything else is refused naming it."""
    return _checked(_load(name, Path(path)))


def _finite(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _checked(model: LoadedModel) -> LoadedModel:
    path, meta = model.path, model.meta
    norm = meta.get("normalization")
    good = isinstance(norm, dict) and _finite(norm.get("mean")) and _finite(norm.get("std"))
    if not (good and norm["std"] > 0):
        raise PipelineError(f"{path}: normalization {norm!r} must hold a finite mean and a std > 0")
    temperature = meta.get("temperature", 1.0)
    if not (_finite(temperature) and temperature > 0):
        raise PipelineError(f"{path}: temperature {temperature!r} must be a finite number > 0")
    try:
        scores = model.calibrated_log_proba(np.zeros((1, 1, 28, 28), np.float32))
    except PipelineError:
        raise
    except Exception as exc:  # a graph or weights that cannot run on a 28x28 image
        raise PipelineError(f"{path}: does not run on a 28x28 image ({refusal(exc)})") from None
    if np.shape(scores) != (1, 10) or not np.isfinite(scores).all():
        raise PipelineError(f"{path}: does not give ten finite class scores for a 28x28 image")
    return model


def _load(name: str, path: Path) -> LoadedModel:
    if path.suffix.lower() == ".npz":
        from mnist_dvc.models.numpy_mlp.io import load_model as load_npz
        from mnist_dvc.models.numpy_mlp.network import predict_log_proba

        params, meta = load_npz(path)
        return LoadedModel(
            name,
            path,
            meta,
            sum(p.size for p in params),
            lambda x: predict_log_proba(params, x, meta["activation"]),
            kind="numpy",
            loaded_network=params,
        )
    if path.suffix.lower() in (".pt", ".onnx"):
        from mnist_dvc.models.onnx_model import OnnxModelError, load_onnx, twin_of

        if path.suffix.lower() == ".onnx":
            predict, meta = load_onnx(path)
            return LoadedModel(name, path, meta, int(meta["parameters"]), predict)
        twin = twin_of(path)
        if twin.is_file():
            try:
                predict, meta = load_onnx(twin, checkpoint=path)
                return LoadedModel(name, path, meta, int(meta["parameters"]), predict)
            except OnnxModelError as exc:
                why = f"{exc}; running {path} through torch"
        else:
            why = f"{path} has no ONNX twin ({twin.name}); running it through torch"
        model = load_through_torch(name, path)  # a refusal here is the message, and no note before it
        print(f"note: {why}", file=sys.stderr)
        return model
    raise PipelineError(f"{path}: unknown model file type {path.suffix!r} (expected .npz, .pt or .onnx)")


def load_through_torch(name: str, path: Path) -> LoadedModel:
    import torch

    from mnist_dvc.models.torch_nets.checkpoint import load_checkpoint
    from mnist_dvc.models.torch_nets.inference import predict_logits

    model, meta = load_checkpoint(path)
    count = sum(p.numel() for p in model.parameters())

    def predict(x: np.ndarray) -> np.ndarray:
        logits = predict_logits(model, torch.from_numpy(np.ascontiguousarray(x)), torch.device("cpu"))
        return torch.log_softmax(logits, 1).numpy()

    return LoadedModel(name, path, meta, count, predict)


def load_pipeline_models(names: list[str] | None = None) -> dict[str, Committee]:
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
        name: Committee(name, seeds, [load_model(name, p) for p in paths]) for name, paths in files.items()
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


def check_normalization(model: LoadedModel, data_norm: Normalization) -> None:
    """A model trained on differently scaled inputs would be evaluated on garbage: refuse it."""
    norm = model.normalization
    if (norm.mean, norm.std) != (data_norm.mean, data_norm.std):
        raise PipelineError(
            f"{model.path}: trained with normalization {model.meta['normalization']}, but data/prepared "
            f"uses {data_norm.as_meta()}; retrain it (dvc repro)"
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
