"""The models' ONNX twins: exported by the trainers, run by ONNX Runtime without torch or the NumPy network,
and equal to their own answers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from mnist_dvc import PipelineError
from mnist_dvc.models.model_file import read_model_file
from mnist_dvc.models.onnx_model import OnnxModelError, load_onnx, twin_of
from mnist_dvc.models.torch_nets.architectures import build_model
from mnist_dvc.models.torch_nets.checkpoint import save_checkpoint
from mnist_dvc.models.torch_nets.onnx_export import export_onnx
from mnist_dvc.models.trained_models import load_model
from tests.fixtures import in_fresh_interpreter

ARCHS = {
    "modern": {"width": 4, "dropout": 0.1},
    "compact": {"width": 4},
    "mlp": {"hidden": [32, 16], "dropout": 0.1},
    "notebook_mlp": {},
    "notebook_cnn_simple": {},
    "notebook_cnn_improved": {"dropout": 0.25},
}
NORMALIZATION = {"method": "standard", "mean": 0.1307, "std": 0.3081}


def checkpoint_with_twin(directory: Path, arch: str, seed: int = 0) -> tuple[Path, torch.nn.Module]:
    torch.manual_seed(seed)
    model = build_model(arch, ARCHS[arch]).eval()
    for module in model.modules():  # batch-norm statistics away from their defaults, so they count
        if isinstance(module, torch.nn.BatchNorm2d | torch.nn.BatchNorm1d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    meta = {"arch": arch, "hparams": ARCHS[arch], "normalization": NORMALIZATION, "temperature": 0.7}
    path = directory / f"{arch}.pt"
    save_checkpoint(path, model, meta)
    export_onnx(twin_of(path), model, meta, path)
    return path, model


@pytest.mark.parametrize("arch", ARCHS)
def test_onnx_and_torch_agree_on_probabilities_and_digits(tmp_path, arch):
    path, model = checkpoint_with_twin(tmp_path, arch)
    images = np.random.default_rng(1).standard_normal((10_000, 1, 28, 28)).astype(np.float32)
    with torch.no_grad():
        expected = torch.log_softmax(model(torch.from_numpy(images)), 1).numpy()
    predict, meta = load_onnx(twin_of(path), checkpoint=path)
    got = predict(images)
    assert np.abs(np.exp(got) - np.exp(expected)).max() < 1e-5
    assert (got.argmax(1) == expected.argmax(1)).all()
    assert meta["temperature"] == 0.7 and meta["parameters"] == sum(p.numel() for p in model.parameters())


def test_the_same_weights_give_the_same_onnx_bytes(tmp_path):
    first, _ = checkpoint_with_twin(tmp_path / "a", "modern")
    second, _ = checkpoint_with_twin(tmp_path / "b", "modern")
    assert twin_of(first).read_bytes() == twin_of(second).read_bytes()


def modules_a_prediction_imports(path: Path) -> tuple[list[int], list[str]]:
    """In a fresh interpreter: the shape of a model file's answer for two images, and which of torch and
    the NumPy network's modules that imported."""
    code = (
        "import json, sys, numpy as np; from mnist_dvc.models.trained_models import load_model; "
        f"m = load_model('m', {str(path)!r}); "
        "p = m.log_proba_of_unit_images(np.zeros((2, 28, 28), np.float32)); "
        "print(json.dumps([p.shape, sorted(k for k in sys.modules if 'numpy_mlp' in k or k == 'torch')]))"
    )
    proc = in_fresh_interpreter(code, check=False)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    shape, imported = json.loads(proc.stdout)
    return shape, imported


def test_a_checkpoint_with_its_twin_is_run_without_importing_torch(tmp_path):
    path, _ = checkpoint_with_twin(tmp_path, "modern")
    assert modules_a_prediction_imports(path) == ([2, 10], [])


def test_a_model_predicts_through_its_twin_and_is_explained_through_its_checkpoints_network(tmp_path):
    from mnist_dvc.evaluation.explain import log_proba

    path, model = checkpoint_with_twin(tmp_path, "modern")
    loaded = read_model_file(path)
    x = np.random.default_rng(4).standard_normal((6, 1, 28, 28)).astype(np.float32)
    with torch.no_grad():
        expected = torch.log_softmax(model(torch.from_numpy(x)), 1).numpy()
    np.testing.assert_array_equal(log_proba(loaded, x), expected)  # the checkpoint's own layers
    np.testing.assert_allclose(loaded.predict_log_proba(x), expected, atol=1e-5)  # the twin's
    alone = read_model_file(twin_of(path))
    with pytest.raises(
        PipelineError, match=r"modern\.onnx: an ONNX file holds no network to explain; give its \.pt"
    ):
        alone.network()


def test_a_checkpoint_without_a_twin_runs_through_torch_with_a_note(tmp_path, capsys):
    path, model = checkpoint_with_twin(tmp_path, "mlp")
    twin_of(path).unlink()
    loaded = read_model_file(path)
    assert f"note: {path} has no ONNX twin (mlp.onnx); running it through torch" in capsys.readouterr().err
    x = np.random.default_rng(2).standard_normal((5, 1, 28, 28)).astype(np.float32)
    with torch.no_grad():
        expected = torch.log_softmax(model(torch.from_numpy(x)), 1).numpy()
    np.testing.assert_allclose(loaded.predict_log_proba(x), expected, atol=1e-5)


def test_a_stale_twin_is_refused_and_the_checkpoint_runs_through_torch(tmp_path, capsys):
    path, model = checkpoint_with_twin(tmp_path, "modern", seed=0)
    _, _ = checkpoint_with_twin(tmp_path / "other", "modern", seed=1)
    (tmp_path / "other" / "modern.onnx").replace(twin_of(path))  # the twin of another training
    loaded = read_model_file(path)
    err = capsys.readouterr().err
    stale = f"{twin_of(path)}: exported from another checkpoint than {path}"
    assert f"note: {stale}; running {path} through torch" in err
    x = np.random.default_rng(3).standard_normal((4, 1, 28, 28)).astype(np.float32)
    with torch.no_grad():
        expected = torch.log_softmax(model(torch.from_numpy(x)), 1).numpy()
    np.testing.assert_allclose(loaded.predict_log_proba(x), expected, atol=1e-5)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"not an onnx file at all", "not a readable ONNX model"),
        (None, "an ONNX model, but not one of this project's"),
    ],
)
def test_a_foreign_or_broken_onnx_file_is_refused_in_one_line(tmp_path, content, message):
    path = tmp_path / "model.onnx"
    if content is None:  # a valid ONNX graph without this project's metadata
        torch.onnx.export(torch.nn.Linear(4, 2), (torch.zeros(1, 4),), str(path), dynamo=False)
    else:
        path.write_bytes(content)
    with pytest.raises(OnnxModelError) as caught:
        load_model("cnn", path)
    assert str(caught.value).startswith(f"{path}: {message}") and "\n" not in str(caught.value)
    assert isinstance(caught.value, PipelineError)


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_the_numpy_mlps_twin_gives_the_numpy_networks_probabilities(tmp_path, activation):
    """The twin, built with the onnx package from the arrays, against the NumPy forward pass on 2,000
    digits: the same digit for each, probabilities within 1e-5."""
    from mnist_dvc.models.numpy_mlp.io import save_model
    from mnist_dvc.models.numpy_mlp.network import init_params, predict_log_proba
    from mnist_dvc.models.numpy_mlp.onnx_export import export_numpy_onnx
    from tests.fixtures import synthetic_digits

    params = init_params([784, 64, 32, 10], "he", np.random.default_rng(1))
    params = [p * 3 for p in params]  # larger weights: confident answers, and saturated sigmoids/tanhs
    meta = {"layer_sizes": [784, 64, 32, 10], "activation": activation, "normalization": NORMALIZATION,
            "temperature": 1.3}  # fmt: skip
    npz = tmp_path / "seed_0.npz"
    save_model(npz, params, meta)
    export_numpy_onnx(twin_of(npz), params, meta, npz)
    images, _ = synthetic_digits(2000, 5)
    x = ((images / 255.0 - NORMALIZATION["mean"]) / NORMALIZATION["std"]).astype(np.float32)[:, None]
    expected = np.exp(predict_log_proba(params, x, activation))
    twin = read_model_file(twin_of(npz))
    got = np.exp(twin.predict_log_proba(x))
    np.testing.assert_allclose(got, expected, atol=1e-5)
    np.testing.assert_array_equal(got.argmax(1), expected.argmax(1))
    assert len(set(expected.argmax(1))) > 3  # answers that differ, so the comparison means something
    assert twin.temperature == 1.3 and twin.param_count == sum(p.size for p in params)


def test_the_numpy_mlps_twin_runs_without_the_numpy_network(tmp_path):
    from mnist_dvc.models.numpy_mlp.io import save_model
    from mnist_dvc.models.numpy_mlp.network import init_params
    from mnist_dvc.models.numpy_mlp.onnx_export import export_numpy_onnx

    params = init_params([784, 16, 10], "he", np.random.default_rng(0))
    meta = {"layer_sizes": [784, 16, 10], "activation": "relu", "normalization": NORMALIZATION}
    npz = tmp_path / "seed_0.npz"
    save_model(npz, params, meta)
    export_numpy_onnx(twin_of(npz), params, meta, npz)
    assert modules_a_prediction_imports(twin_of(npz)) == ([2, 10], [])
