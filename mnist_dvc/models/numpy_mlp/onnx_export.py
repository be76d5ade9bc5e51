"""The NumPy MLP's ONNX twin: its arrays as an ONNX graph built with the ``onnx`` package, so that the
browser page (the ``web`` stage) and ONNX Runtime run it like the torch models' twins.

The forward pass is a chain of MatMul, Add and the hidden activation, as in
:func:`mnist_dvc.models.numpy_mlp.network.forward`; the input is the image normalized as trained, like
every twin's (mnist_dvc/models/onnx_model.py), and the metadata (normalization, temperature, the
.npz's sha256) is inside. The weights are float32, as ONNX Runtime computes, so the twin's
probabilities match the NumPy network's to float32 precision. Nothing here is imported to run a twin.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mnist_dvc.fileio import atomic_open
from mnist_dvc.models.onnx_model import FORMAT, META_KEY, checkpoint_sha256

INPUT, OUTPUT = "images", "logits"
OPSET = 18
ONNX_ACTIVATIONS = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh"}  # network.ACTIVATIONS' names


def numpy_mlp_graph(params: list[np.ndarray], meta: dict):
    """The ONNX model of ``params`` (W0, b0, W1, b1, ...) with ``meta``'s activation between layers."""
    from onnx import TensorProto, helper, numpy_helper

    layers = len(params) // 2
    nodes = [helper.make_node("Flatten", [INPUT], ["x0"], axis=1)]  # (N, 1, 28, 28) -> (N, 784)
    weights = []
    for i in range(layers):
        w, b = (np.ascontiguousarray(p, np.float32) for p in params[2 * i : 2 * i + 2])
        weights += [numpy_helper.from_array(w, f"W{i}"), numpy_helper.from_array(b, f"b{i}")]
        last = i == layers - 1
        nodes += [
            helper.make_node("MatMul", [f"x{i}", f"W{i}"], [f"z{i}"]),
            helper.make_node("Add", [f"z{i}", f"b{i}"], [OUTPUT if last else f"a{i}"]),
        ]
        if not last:
            nodes.append(helper.make_node(ONNX_ACTIVATIONS[meta["activation"]], [f"a{i}"], [f"x{i + 1}"]))
    graph = helper.make_graph(
        nodes,
        "numpy_mlp",
        [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, ["batch", 1, 28, 28])],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["batch", 10])],
        initializer=weights,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="mnist-dvc"
    )
    model.ir_version = 8  # what ONNX Runtime and ONNX Runtime Web read for opset 18
    return model


def export_numpy_onnx(path: Path, params: list[np.ndarray], meta: dict, checkpoint: Path) -> None:
    """Write the twin of the .npz ``checkpoint`` to ``path``, atomically, with ``meta`` and its hash."""
    import onnx

    model = numpy_mlp_graph(params, meta)
    onnx.checker.check_model(model)
    parameters = int(sum(p.size for p in params))
    info = {
        "format": FORMAT,
        **meta,
        "parameters": parameters,
        "checkpoint_sha256": checkpoint_sha256(checkpoint),
    }
    model.metadata_props.add(key=META_KEY, value=json.dumps(info))
    with atomic_open(path) as handle:
        handle.write(model.SerializeToString())
