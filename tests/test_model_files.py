"""Malformed model files: each is refused by the loader in one line naming the file, never a traceback,
a NaN or a wrong number of classes (predict, the app and evaluate all load through it)."""

from __future__ import annotations

import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from mnist_dvc.models.numpy_mlp.io import save_model
from mnist_dvc.models.numpy_mlp.network import init_params
from mnist_dvc.models.onnx_model import FORMAT as ONNX_FORMAT
from mnist_dvc.models.onnx_model import META_KEY
from mnist_dvc.serving.command import main

GOOD_META = {"layer_sizes": [784, 16, 10], "activation": "relu", "normalization": {"mean": 0.13, "std": 0.31}}


def _npz(path: Path, meta_edit=None, replace: dict[str, bytes] | None = None) -> Path:
    """A small NumPy MLP file, its metadata edited, or some of its members' bytes replaced."""
    meta = json.loads(json.dumps(GOOD_META))
    if meta_edit:
        meta_edit(meta)
    save_model(path, init_params([784, 16, 10], "he", np.random.default_rng(0)), meta)
    if replace:
        with zipfile.ZipFile(path) as archive:
            members = {name: archive.read(name) for name in archive.namelist()}
        members.update(replace)
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in members.items():
                archive.writestr(name, data)
    return path


def _npy_bytes(array: np.ndarray) -> bytes:
    import io

    handle = io.BytesIO()
    np.save(handle, array)
    return handle.getvalue()


def _onnx(path: Path, input_shape, classes: int, outputs: int = 1, meta: dict | None = None) -> Path:
    """A linear ONNX model: flattened input times a weight matrix, as many outputs as asked."""
    size = int(np.prod(input_shape[1:]))
    weights = numpy_helper.from_array(np.full((size, classes), 0.01, np.float32), "W")
    nodes = [helper.make_node("Flatten", ["x"], ["flat"]), helper.make_node("MatMul", ["flat", "W"], ["y0"])]
    nodes += [helper.make_node("Identity", ["y0"], [f"y{i}"]) for i in range(1, outputs)]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, input_shape)],
        [helper.make_tensor_value_info(f"y{i}", TensorProto.FLOAT, ["N", classes]) for i in range(outputs)],
        [weights],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    full = {"format": ONNX_FORMAT, "parameters": size * classes, "normalization": {"mean": 0.1, "std": 0.3}}
    helper.set_model_props(model, {META_KEY: json.dumps(full if meta is None else meta)})
    onnx.save(model, path)
    return path


def _refusal(tmp_path, model: Path, capsys) -> str:
    np.save(tmp_path / "x.npy", np.zeros((1, 28, 28), np.uint8))
    out = tmp_path / "out.txt"
    code = main(["predict", str(tmp_path / "x.npy"), "--model-file", str(model), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1, err
    assert err.startswith(f"mnist-dvc predict: error: {model}: "), err
    assert not out.exists()
    return err


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda p: _npz(p, replace={"W0.npy": pickle.dumps({"evil": 1})}),
            "W0 is not an array of floating-point numbers",
        ),
        (
            lambda p: _npz(p, replace={"W0.npy": _npy_bytes(np.full((784, 16), "a"))}),
            "W0 is not an array of floating-point numbers",
        ),
        (lambda p: _npz(p, lambda m: m.update(activation="evil")), "activation 'evil' is not one of"),
        (lambda p: _npz(p, lambda m: m["normalization"].pop("std")), "must hold a finite mean and a std > 0"),
        (
            lambda p: _npz(p, lambda m: m["normalization"].update(std=0)),
            "must hold a finite mean and a std > 0",
        ),
        (lambda p: _npz(p, lambda m: m.update(temperature=0)), "temperature 0 must be a finite number > 0"),
        (lambda p: _npz(p, lambda m: m.update(temperature="hot")), "temperature 'hot' must be a finite"),
    ],
    ids=[
        "pickle-bytes",
        "strings",
        "activation",
        "no-std",
        "zero-std",
        "zero-temperature",
        "text-temperature",
    ],
)
def test_a_malformed_npz_is_refused_in_one_line(tmp_path, capsys, make, message):
    assert message in _refusal(tmp_path, make(tmp_path / "bad.npz"), capsys)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: _onnx(p, ["N", 3, 32, 32], 10), "expected one float input of N x 1 x 28 x 28"),
        (lambda p: _onnx(p, ["N", 1, 28, 28], 5), "expected one of N x 10"),
        (lambda p: _onnx(p, ["N", 1, 28, 28], 10, outputs=2), "gives 2 output(s)"),
        (
            lambda p: _onnx(p, ["N", 1, 28, 28], 10, meta={"format": ONNX_FORMAT}),
            "metadata 'parameters' is None",
        ),
    ],
    ids=["3x32x32-input", "five-classes", "two-outputs", "minimal-metadata"],
)
def test_a_malformed_onnx_is_refused_in_one_line(tmp_path, capsys, make, message):
    assert message in _refusal(tmp_path, make(tmp_path / "bad.onnx"), capsys)


def test_an_onnx_without_normalization_is_refused_and_a_good_one_runs(tmp_path, capsys):
    meta = {"format": ONNX_FORMAT, "parameters": 7840}
    bad = _onnx(tmp_path / "bad.onnx", ["N", 1, 28, 28], 10, meta=meta)
    assert "normalization None must hold a finite mean" in _refusal(tmp_path, bad, capsys)
    good = _onnx(tmp_path / "good.onnx", ["N", 1, 28, 28], 10)
    code = main(
        ["predict", str(tmp_path / "x.npy"), "--model-file", str(good), "--out", str(tmp_path / "o.txt")]
    )
    assert code == 0 and len((tmp_path / "o.txt").read_text().split()) == 1


def test_an_upper_case_suffix_is_read_like_a_lower_case_one(tmp_path, capsys):
    model = _npz(tmp_path / "MODEL.NPZ")
    np.save(tmp_path / "x.npy", np.zeros((1, 28, 28), np.uint8))
    code = main(
        ["predict", str(tmp_path / "x.npy"), "--model-file", str(model), "--out", str(tmp_path / "o.txt")]
    )
    assert code == 0, capsys.readouterr().err
