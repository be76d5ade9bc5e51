"""The NumPy MLP checked against finite differences, PyTorch autograd and a hand-written SGD step."""

import json

import numpy as np
import pytest

from mnist_dvc.models.families import trainer_params
from mnist_dvc.models.numpy_mlp.io import ModelFileError, load_model, save_model
from mnist_dvc.models.numpy_mlp.network import (
    forward,
    init_params,
    input_gradient,
    l2_penalty,
    loss_and_gradients,
    predict_log_proba,
)
from mnist_dvc.models.numpy_mlp.train import train
from mnist_dvc.params import ParamsError
from tests.fixtures import in_fresh_interpreter, tiny_data

ACTIVATIONS = ["sigmoid", "relu", "tanh"]


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_gradients_match_central_finite_differences(activation, weight_decay):
    rng = np.random.default_rng(0)
    params = init_params([6, 5, 4, 3], "xavier", rng, dtype=np.float64)
    params = [p + rng.normal(0, 0.1, p.shape) for p in params]  # non-zero biases too
    x, y = rng.normal(size=(7, 6)), rng.integers(0, 3, 7)

    def objective() -> float:
        return loss_and_gradients(params, x, y, activation)[0] + l2_penalty(params, weight_decay)

    _, grads = loss_and_gradients(params, x, y, activation, weight_decay=weight_decay)
    eps = 1e-6
    for p, g in zip(params, grads, strict=True):
        numeric = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            saved = p[i]
            p[i] = saved + eps
            plus = objective()
            p[i] = saved - eps
            minus = objective()
            p[i] = saved
            numeric[i] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_the_input_gradient_matches_central_finite_differences(activation):
    """What the explain stage's gradient x input uses: d log p(class | x) / dx, from the backward pass."""
    rng = np.random.default_rng(1)
    params = init_params([6, 5, 4, 3], "xavier", rng, dtype=np.float64)
    params = [p + rng.normal(0, 0.1, p.shape) for p in params]
    x, classes = rng.normal(size=(4, 6)), np.array([0, 2, 1, 2])
    rows = np.arange(len(x))

    def log_p(images: np.ndarray) -> np.ndarray:
        return predict_log_proba(params, images, activation)[rows, classes]

    gradient = input_gradient(params, x, activation, classes)
    eps = 1e-6
    numeric = np.zeros_like(x)
    for j in range(x.shape[1]):
        step = np.zeros_like(x)
        step[:, j] = eps
        numeric[:, j] = (log_p(x + step) - log_p(x - step)) / (2 * eps)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-9)
    assert np.abs(gradient).max() > 1e-3  # a gradient, not zeros


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_loss_and_gradients_equal_pytorch_autograd(activation):
    torch = pytest.importorskip("torch")  # test-only use: the NumPy path itself never imports torch
    rng = np.random.default_rng(1)
    params = init_params([784, 32, 16, 10], "he", rng)
    params = [p + rng.normal(0, 0.05, p.shape).astype(np.float32) for p in params]
    x, y = rng.normal(size=(64, 784)).astype(np.float32), rng.integers(0, 10, 64)
    weight_decay = 0.01
    loss, grads = loss_and_gradients(params, x, y, activation, weight_decay=weight_decay)

    tensors = [torch.tensor(p, requires_grad=True) for p in params]
    act = {"sigmoid": torch.sigmoid, "relu": torch.relu, "tanh": torch.tanh}[activation]
    h = torch.tensor(x)
    for i in range(0, len(tensors) - 2, 2):
        h = act(h @ tensors[i] + tensors[i + 1])
    logits = h @ tensors[-2] + tensors[-1]
    nll = torch.nn.functional.cross_entropy(logits, torch.tensor(y))
    (nll + 0.5 * weight_decay * sum((w * w).sum() for w in tensors[0::2])).backward()

    assert loss == pytest.approx(nll.item(), rel=1e-5)
    for g, t in zip(grads, tensors, strict=True):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_one_per_sample_sgd_step_equals_the_update_by_hand():
    data = tiny_data(n_train=1, n_val=10)
    p = trainer_params(
        "numpy_mlp",
        hidden=[8],
        activation="sigmoid",
        init="xavier",
        optimizer="sgd",
        lr=0.01,
        schedule="constant",
        batch_size=1,
        epochs=1,
        dropout=0.0,
        weight_decay=0.0,
        augment=False,
        keep="last",
    )
    w0, b0, w1, b1 = init_params([784, 8, 10], "xavier", np.random.default_rng(p.seed))
    trained, _ = train(p, data, live_dir=None)

    x, y = data.images["train"].reshape(1, 784).astype(np.float64), data.labels["train"][0]
    h = 1 / (1 + np.exp(-(x @ w0 + b0)))
    z = h @ w1 + b1
    probs = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    d_out = probs - np.eye(10)[y]  # dL/dz for softmax + NLL
    d_hidden = (d_out @ w1.T) * h * (1 - h)
    expected = [
        w0 - 0.01 * x.T @ d_hidden,
        b0 - 0.01 * d_hidden[0],
        w1 - 0.01 * h.T @ d_out,
        b1 - 0.01 * d_out[0],
    ]
    for got, want in zip(trained, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_same_seed_gives_identical_weights(optimizer):
    data = tiny_data()
    p = trainer_params(
        "numpy_mlp",
        hidden=[16, 8],
        epochs=2,
        batch_size=32,
        dropout=0.3,
        optimizer=optimizer,
        schedule="cosine",
        warmup_epochs=0.5,
    )
    first, _ = train(p, data, live_dir=None)
    second, _ = train(p, data, live_dir=None)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    other, _ = train(trainer_params("numpy_mlp", **dict(p.values, seed=p.seed + 1)), data, live_dir=None)
    assert not np.array_equal(first[0], other[0])


def test_training_learns_and_keeps_the_best_epoch(tmp_path):
    data = tiny_data()
    p = trainer_params("numpy_mlp", hidden=[32], epochs=4, batch_size=16, keep="best", augment=False)
    params, result = train(p, data, live_dir=tmp_path / "live")
    accuracies = [row["val_accuracy"] for row in result.history]
    assert max(accuracies) >= 0.9  # the synthetic classes are easy
    assert result.best_epoch == 1 + accuracies.index(max(accuracies))
    log_probs = predict_log_proba(params, data.images["val"], p.activation)
    assert (log_probs.argmax(1) == data.labels["val"]).mean() == pytest.approx(max(accuracies))
    tsv = (tmp_path / "live/plots/metrics/val/accuracy.tsv").read_text().splitlines()
    assert tsv[0].split("\t") == ["step", "accuracy"] and len(tsv) == 5
    losses = json.loads((tmp_path / "live/plots/custom/loss.json").read_text())
    assert [(r["epoch"], r["split"]) for r in losses[:3]] == [(1, "train"), (1, "val"), (2, "train")]
    assert losses[-1]["loss"] == pytest.approx(result.history[-1]["val_loss"])
    summary = json.loads((tmp_path / "live/metrics.json").read_text())
    assert summary["val"]["accuracy"] == pytest.approx(result.history[-1]["val_accuracy"])
    assert summary["val"]["loss"] == pytest.approx(result.history[-1]["val_loss"])
    assert summary["best_epoch"] == result.best_epoch


def test_dropout_is_off_at_evaluation():
    rng = np.random.default_rng(0)
    params = init_params([784, 64, 10], "he", rng)
    x = rng.normal(size=(20, 784)).astype(np.float32)
    plain, _ = forward(params, x, "relu")
    np.testing.assert_array_equal(np.exp(predict_log_proba(params, x, "relu")).argmax(1), plain.argmax(1))
    dropped, cache = forward(params, x, "relu", dropout=0.5, rng=np.random.default_rng(1))
    assert not np.allclose(dropped, plain)
    assert set(np.unique(cache.masks[0])) == {0.0, 2.0}  # inverted dropout keeps the expected activation


def _saved(tmp_path, **meta_overrides):
    params = init_params([784, 16, 10], "he", np.random.default_rng(0))
    meta = {
        "layer_sizes": [784, 16, 10],
        "activation": "relu",
        "normalization": {"method": "standard", "mean": 0.13, "std": 0.31},
        **meta_overrides,
    }
    path = tmp_path / "model.npz"
    save_model(path, params, meta)
    return path, params


def test_save_load_round_trip(tmp_path):
    path, params = _saved(tmp_path)
    loaded, meta = load_model(path)
    for a, b in zip(params, loaded, strict=True):
        np.testing.assert_array_equal(a, b)
    assert meta["activation"] == "relu" and meta["normalization"]["mean"] == 0.13
    assert not list(tmp_path.glob("*.tmp"))


def test_load_refuses_files_that_do_not_match(tmp_path):
    path, _ = _saved(tmp_path, layer_sizes=[784, 32, 10])
    with pytest.raises(
        ModelFileError, match=r"model.npz: W0 has shape \(784, 16\), layer_sizes \[784, 32, 10\]"
    ):
        load_model(path)
    path, _ = _saved(tmp_path, layer_sizes=[784, 16, 12])
    with pytest.raises(ModelFileError, match="must start at 784 and end at 10"):
        load_model(path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ModelFileError, match=r"not a readable \.npz model file"):
        load_model(path)
    np.savez(tmp_path / "plain.npz", W0=np.zeros((784, 10)))
    with pytest.raises(ModelFileError, match="no valid 'meta' entry"):
        load_model(tmp_path / "plain.npz")
    with pytest.raises(ModelFileError, match="model file not found"):
        load_model(tmp_path / "absent.npz")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("activation", "gelu", "expected one of relu, sigmoid, tanh"),
        ("hidden", [128, 0], r"train_numpy_mlp.hidden\[1\] = 0 is invalid"),
        ("optimizer", "rmsprop", "expected one of sgd, momentum, adam"),
        ("lr", 0, "expected a number > 0"),
        ("dropout", 1.0, "expected a number >= 0 and < 1"),
        ("batch_size", 0, "expected an integer >= 1"),
    ],
)
def test_bad_params_are_rejected(key, value, message):
    with pytest.raises(ParamsError, match=message):
        trainer_params("numpy_mlp", **{key: value})


def test_lr_written_as_a_yaml_1_1_string_is_a_float():
    assert trainer_params("numpy_mlp", lr="1e-3").lr == 0.001


def test_numpy_path_never_imports_torch(tmp_path):
    code = (
        "import sys, json\n"
        "from tests.fixtures import tiny_data\n"
        "from mnist_dvc.models.families import trainer_params\n"
        "from mnist_dvc.models.numpy_mlp.train import train\n"
        "train(trainer_params('numpy_mlp', hidden=[8], epochs=1), tiny_data(), live_dir=None)\n"
        "from stages import train_numpy\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'torch')))\n"
    )
    out = in_fresh_interpreter(code)
    assert json.loads(out.stdout.splitlines()[-1]) == []


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_optimizers_match_torch(name):
    torch = pytest.importorskip("torch")
    from mnist_dvc.models.numpy_mlp.optim import make_optimizer

    rng = np.random.default_rng(3)
    params = [rng.normal(size=(5, 4)).astype(np.float32), rng.normal(size=4).astype(np.float32)]
    tensors = [torch.tensor(p.copy(), requires_grad=True) for p in params]
    ours = make_optimizer(name, params, momentum=0.9, beta2=0.99)
    theirs = {
        "sgd": lambda: torch.optim.SGD(tensors, lr=0.01),
        "momentum": lambda: torch.optim.SGD(tensors, lr=0.01, momentum=0.9),
        "adam": lambda: torch.optim.Adam(tensors, lr=0.01, betas=(0.9, 0.99), eps=1e-8),
    }[name]()
    for _ in range(5):
        grads = [rng.normal(size=p.shape).astype(np.float32) for p in params]
        ours.step(params, grads, 0.01)
        for t, g in zip(tensors, grads, strict=True):
            t.grad = torch.tensor(g)
        theirs.step()
    for p, t in zip(params, tensors, strict=True):
        np.testing.assert_allclose(p, t.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_model_file_bytes_do_not_depend_on_the_clock(tmp_path, monkeypatch):
    params = init_params([784, 8, 10], "he", np.random.default_rng(0))
    meta = {"layer_sizes": [784, 8, 10], "activation": "relu", "normalization": {"mean": 0.0, "std": 1.0}}
    digests = []
    for i, now in enumerate((1.0e9, 1.7e9)):  # np.savez would stamp these times into the zip
        monkeypatch.setattr("time.time", lambda now=now: now)
        save_model(tmp_path / f"m{i}.npz", params, meta)
        digests.append((tmp_path / f"m{i}.npz").read_bytes())
    assert digests[0] == digests[1]
    loaded, _ = load_model(tmp_path / "m0.npz")
    assert all(np.array_equal(a, b) for a, b in zip(loaded, params, strict=True))


def test_weight_average_follows_the_ema_formula():
    from mnist_dvc.models.numpy_mlp.train import WeightAverage

    average = WeightAverage(0.9)
    steps = [
        np.array([1.0, 2.0], np.float32),
        np.array([3.0, 0.0], np.float32),
        np.array([5.0, 4.0], np.float32),
    ]
    expected = steps[0].copy()  # the first update copies
    for i, weights in enumerate(steps):
        average.update([weights])
        if i:
            expected = 0.9 * expected + 0.1 * weights
        np.testing.assert_allclose(average.average[0], expected, rtol=1e-6)


def test_augmentation_and_ema_change_the_run_and_augment_epochs_limits_augmentation():
    data = tiny_data()
    base = dict(hidden=[16], epochs=2, batch_size=32, dropout=0.0, keep="last")

    def weights(**overrides):
        return train(trainer_params("numpy_mlp", **base, **overrides), data, live_dir=None)[0]

    plain = weights(augment=False)
    # Augmenting in none of the epochs is exactly the plain run (the same random stream).
    for a, b in zip(plain, weights(augment=True, augment_epochs=0), strict=True):
        np.testing.assert_array_equal(a, b)
    augmented = weights(augment=True, augment_strength=1.0)
    first_epoch_only = weights(augment=True, augment_strength=1.0, augment_epochs=1)
    assert not np.array_equal(plain[0], augmented[0])
    assert not np.array_equal(augmented[0], first_epoch_only[0])
    for a, b in zip(augmented, weights(augment=True, augment_strength=1.0), strict=True):
        np.testing.assert_array_equal(a, b)  # deterministic
    averaged = weights(augment=False, ema_decay=0.9)
    assert not np.array_equal(plain[0], averaged[0])
    nearly_raw = weights(augment=False, ema_decay=1e-9)
    for a, b in zip(plain, nearly_raw, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
