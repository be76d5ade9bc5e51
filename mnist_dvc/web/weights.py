"""A smaller copy of an ONNX model for the page: each weight matrix or filter bank stored as 8-bit integers
with one scale per output channel, turned back into float32 by a DequantizeLinear node when the page loads
it. The arithmetic stays float32; only the stored weights lose precision (at most half a step of
max|w| / 127 per channel), and the file is about a quarter of its size."""

from __future__ import annotations

import numpy as np

MIN_ELEMENTS = 1024  # smaller tensors (biases, batch-norm statistics, small filters) are kept as they are


def _output_axis(node, index: int) -> int | None:
    """The axis of a node's weight input that holds its output channels; None where it is not a weight."""
    if index != 1:
        return None
    if node.op_type == "Conv":
        return 0  # (out, in, kh, kw)
    if node.op_type == "MatMul":
        return 1  # x @ W, W (in, out)
    if node.op_type == "Gemm":
        trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
        return 0 if trans_b else 1
    return None


def quantize_weights(model) -> None:
    """Store ``model``'s (an onnx ModelProto) large weights as int8 per output channel, in place."""
    from onnx import helper, numpy_helper

    graph = model.graph
    axes = {}
    for node in graph.node:
        for index, name in enumerate(node.input):
            axis = _output_axis(node, index)
            if axis is not None:
                axes[name] = axis
    dequantize, kept = [], []
    for tensor in graph.initializer:
        w = numpy_helper.to_array(tensor)
        axis = axes.get(tensor.name)
        if axis is None or w.dtype != np.float32 or w.ndim < 2 or w.size < MIN_ELEMENTS:
            kept.append(tensor)
            continue
        others = tuple(a for a in range(w.ndim) if a != axis)
        scale = (np.abs(w).max(axis=others) / 127).astype(np.float32)
        scale[scale == 0] = 1.0  # an all-zero channel
        shape = [1] * w.ndim
        shape[axis] = -1
        q = np.clip(np.rint(w / scale.reshape(shape)), -127, 127).astype(np.int8)
        kept += [
            numpy_helper.from_array(q, f"{tensor.name}_int8"),
            numpy_helper.from_array(scale, f"{tensor.name}_scale"),
        ]
        stored = [f"{tensor.name}_int8", f"{tensor.name}_scale"]
        dequantize.append(helper.make_node("DequantizeLinear", stored, [tensor.name], axis=axis))
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = dequantize + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
