"""The ONNX twin of a checkpoint: the same network as an ONNX graph, so that `mnist-dvc predict` and the
app run the torch models through ONNX Runtime, without importing torch (mnist_dvc/models/onnx_model.py).

The twin carries the checkpoint's metadata (normalization, temperature, ...) and the sha256 of the
checkpoint it was exported from, so a twin left beside another checkpoint is never used in its place.
It is written by torch's TorchScript-based exporter (``dynamo=False``), which gives the same bytes for
the same weights (so DVC stores nothing new for an identical retrain) and needs no onnxscript.
"""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path

import torch
from torch import nn

from mnist_dvc.fileio import atomic_open
from mnist_dvc.models.onnx_model import FORMAT, META_KEY, checkpoint_sha256

INPUT, OUTPUT = "images", "logits"
OPSET = 18


def export_onnx(path: Path, model: nn.Module, meta: dict, checkpoint: Path) -> None:
    """Write ``model`` (float32, eval mode) as ONNX to ``path``, atomically: input ``images`` (N, 1, 28, 28)
    normalized as trained, output ``logits`` (N, 10); ``meta`` and the checkpoint's hash inside."""
    import onnx

    model = model.float().eval()
    example = torch.zeros(2, 1, 28, 28)
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # that this exporter is the older one (see above), on every export
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model, (example,), buffer, input_names=[INPUT], output_names=[OUTPUT], opset_version=OPSET,
            dynamic_axes={INPUT: {0: "batch"}, OUTPUT: {0: "batch"}}, dynamo=False,
        )  # fmt: skip
    graph = onnx.load_from_string(buffer.getvalue())
    parameters = sum(p.numel() for p in model.parameters())
    digest = checkpoint_sha256(checkpoint)
    info = {"format": FORMAT, **meta, "parameters": parameters, "checkpoint_sha256": digest}
    graph.metadata_props.add(key=META_KEY, value=json.dumps(info))
    with atomic_open(path) as handle:
        handle.write(graph.SerializeToString())
