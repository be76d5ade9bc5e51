"""Reading one trained model file, whatever its format: the one place that knows the formats.

A NumPy MLP (.npz), a PyTorch checkpoint (.pt, run through its ONNX twin when it has one) or an ONNX file
alone (.onnx). Files are read through the same loaders the trainers write with, so a file a trainer could
not have produced is refused with its name. Neither torch, scikit-learn nor matplotlib is imported unless
a file needs it, so `mnist-dvc predict` starts fast.
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
from mnist_dvc.models.calibration import log_softmax


@dataclass
class ModelFile:
    """One trained model file: what it predicts, and the network itself for explanations."""

    path: Path
    meta: dict
    param_count: int
    # float32 images (N, 1, 28, 28), normalized as the model was trained -> log-probabilities (N, 10)
    predict_log_proba: Callable[[np.ndarray], np.ndarray]
    kind: str = "torch"  # the network's family: "numpy" (an .npz of arrays) or "torch" (a checkpoint)
    loaded_network: object | None = None  # see network()

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

    @property
    def normalization(self) -> Normalization:
        """How this model's inputs were scaled in training (checked finite, std > 0, when read)."""
        return Normalization.from_meta(self.meta["normalization"])

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

    def log_proba(self, x: np.ndarray, calibrated: bool = True) -> np.ndarray:
        """Log-probabilities of normalized images (N, 1, 28, 28), calibrated unless asked not to be."""
        log_probs = self.predict_log_proba(x)
        return self.calibrate(log_probs) if calibrated else log_probs


def read_model_file(path: Path) -> ModelFile:
    """A NumPy MLP (.npz) or a PyTorch model, ready to predict. A PyTorch checkpoint (.pt) runs through
    its ONNX twin (ONNX Runtime: no torch to import, which is most of a prediction's time) when the twin
    beside it was exported from it; else through torch, with a note. An .onnx file may be given too.
    Whatever the format, the model must normalize with a finite mean and a std > 0, calibrate with a
    temperature > 0 and answer ten finite scores for a 28x28 image; anything else is refused naming it."""
    return _checked(_read(Path(path)))


def _finite(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _checked(model: ModelFile) -> ModelFile:
    path, meta = model.path, model.meta
    norm = meta.get("normalization")
    good = isinstance(norm, dict) and _finite(norm.get("mean")) and _finite(norm.get("std"))
    if not (good and norm["std"] > 0):
        raise PipelineError(f"{path}: normalization {norm!r} must hold a finite mean and a std > 0")
    temperature = meta.get("temperature", 1.0)
    if not (_finite(temperature) and temperature > 0):
        raise PipelineError(f"{path}: temperature {temperature!r} must be a finite number > 0")
    try:
        scores = model.log_proba(np.zeros((1, 1, 28, 28), np.float32))
    except PipelineError:
        raise
    except Exception as exc:  # a graph or weights that cannot run on a 28x28 image
        raise PipelineError(f"{path}: does not run on a 28x28 image ({refusal(exc)})") from None
    if np.shape(scores) != (1, 10) or not np.isfinite(scores).all():
        raise PipelineError(f"{path}: does not give ten finite class scores for a 28x28 image")
    return model


def _read(path: Path) -> ModelFile:
    if path.suffix.lower() == ".npz":
        from mnist_dvc.models.numpy_mlp.io import load_model as load_npz
        from mnist_dvc.models.numpy_mlp.network import predict_log_proba

        params, meta = load_npz(path)
        return ModelFile(
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
            return ModelFile(path, meta, int(meta["parameters"]), predict)
        twin = twin_of(path)
        if twin.is_file():
            try:
                predict, meta = load_onnx(twin, checkpoint=path)
                return ModelFile(path, meta, int(meta["parameters"]), predict)
            except OnnxModelError as exc:
                why = f"{exc}; running {path} through torch"
        else:
            why = f"{path} has no ONNX twin ({twin.name}); running it through torch"
        model = read_through_torch(path)  # a refusal here is the message, and no note before it
        print(f"note: {why}", file=sys.stderr)
        return model
    raise PipelineError(f"{path}: unknown model file type {path.suffix!r} (expected .npz, .pt or .onnx)")


def read_through_torch(path: Path) -> ModelFile:
    """A PyTorch checkpoint run through torch itself, not its ONNX twin (which bench.predict compares)."""
    import torch

    from mnist_dvc.models.torch_nets.checkpoint import load_checkpoint
    from mnist_dvc.models.torch_nets.inference import predict_logits

    model, meta = load_checkpoint(path)
    count = sum(p.numel() for p in model.parameters())

    def predict(x: np.ndarray) -> np.ndarray:
        logits = predict_logits(model, torch.from_numpy(np.ascontiguousarray(x)), torch.device("cpu"))
        return torch.log_softmax(logits, 1).numpy()

    return ModelFile(path, meta, count, predict)
