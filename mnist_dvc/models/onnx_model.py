"""Running a torch model's ONNX twin (mnist_dvc/models/torch_nets/onnx_export.py) through ONNX Runtime: the
torch models' path in `mnist-dvc predict`, the app and evaluate, without importing torch.

Nothing here imports torch. A twin is used only beside the very checkpoint it was exported from (the
checkpoint's sha256 is inside it); anything else is refused with one line naming the file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mnist_dvc import PipelineError
from mnist_dvc.models.calibration import log_softmax

FORMAT = "mnist-dvc/onnx/1"
META_KEY = "mnist_dvc"  # the metadata_props entry that holds the JSON metadata
EVAL_BATCH = 256  # images per run: larger batches are no faster on a CPU, and take more memory


class OnnxModelError(PipelineError):
    """An ONNX file that is unreadable, foreign, or the twin of another checkpoint."""


def checkpoint_sha256(path: Path) -> str:
    """What a twin records of the checkpoint it was exported from."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def twin_of(checkpoint: Path) -> Path:
    """Where a checkpoint's ONNX twin lies: beside it, with the suffix .onnx."""
    return Path(checkpoint).with_suffix(".onnx")


def _check_graph(path: Path, session, meta: dict) -> None:
    # What every caller relies on: a batch of 28x28 grey images in, ten class scores per image out.
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1 or inputs[0].type != "tensor(float)" or list(inputs[0].shape[1:]) != [1, 28, 28]:
        shapes = ", ".join(f"{i.type} {i.shape}" for i in inputs)
        raise OnnxModelError(f"{path}: takes {shapes}; expected one float input of N x 1 x 28 x 28")
    if len(outputs) != 1 or list(outputs[0].shape[1:]) != [10]:
        shapes = ", ".join(str(o.shape) for o in outputs)
        raise OnnxModelError(f"{path}: gives {len(outputs)} output(s) {shapes}; expected one of N x 10")
    count = meta.get("parameters")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise OnnxModelError(f"{path}: metadata 'parameters' is {count!r}; expected a count of weights")


def open_session(path: Path, format: str = FORMAT):
    """An ONNX Runtime session of one of this project's ONNX files and its metadata; a missing, foreign
    or corrupt file, or one of another ``format``, is refused in one line naming it."""
    import onnxruntime

    path = Path(path)
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only: its warnings are for developers of the graph
    try:
        session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        meta = json.loads(session.get_modelmeta().custom_metadata_map[META_KEY])
    except FileNotFoundError:
        raise OnnxModelError(f"{path}: model file not found") from None
    except KeyError:
        raise OnnxModelError(f"{path}: an ONNX model, but not one of this project's (no metadata)") from None
    except Exception as exc:  # onnxruntime raises its own kinds for a corrupt or foreign file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise OnnxModelError(f"{path}: not a readable ONNX model ({first[:160]})") from None
    if not isinstance(meta, dict) or meta.get("format") != format:
        raise OnnxModelError(f"{path}: format {meta.get('format') if isinstance(meta, dict) else meta!r}, "
                             f"expected {format!r}")  # fmt: skip
    return session, meta


def load_onnx(path: Path, checkpoint: Path | None = None) -> tuple[Callable[[np.ndarray], np.ndarray], dict]:
    """A function from normalized images (N, 1, 28, 28) to log-probabilities, and the metadata. With
    ``checkpoint``, the twin must have been exported from that very file."""
    path = Path(path)
    session, meta = open_session(path)
    if checkpoint is not None and meta.get("checkpoint_sha256") != checkpoint_sha256(checkpoint):
        raise OnnxModelError(f"{path}: exported from another checkpoint than {checkpoint}")
    _check_graph(path, session, meta)
    name = session.get_inputs()[0].name

    def predict_log_proba(x: np.ndarray) -> np.ndarray:
        logits = np.concatenate([
            session.run(None, {name: np.ascontiguousarray(x[i : i + EVAL_BATCH], np.float32)})[0]
            for i in range(0, len(x), EVAL_BATCH)
        ]) if len(x) else np.zeros((0, 10), np.float32)  # fmt: skip
        return log_softmax(logits)

    return predict_log_proba, meta
