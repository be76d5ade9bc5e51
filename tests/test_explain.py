"""What the explain stage computes: first layers, feature maps, attributions, last hidden features."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from mnist_dvc.evaluation.explain import (
    attribution,
    embedding,
    feature_maps,
    first_layer,
    is_convolutional,
    last_hidden,
    log_proba,
    strongest_units,
)
from mnist_dvc.models.model_file import ModelFile
from mnist_dvc.models.numpy_mlp.network import init_params
from mnist_dvc.models.torch_nets.architectures import build_model

NORMALIZATION = {"method": "standard", "mean": 0.1307, "std": 0.3081}


def explained(name: str, kind: str, network, meta: dict) -> ModelFile:
    """A model as the explain stage gets it, its network given (no file; it is not asked to predict)."""
    return ModelFile(Path(name), meta, 0, None, kind=kind, loaded_network=network)


def torch_model(arch: str, hparams: dict) -> ModelFile:
    torch.manual_seed(0)
    return explained(arch, "torch", build_model(arch, hparams).eval(), {"normalization": NORMALIZATION})


def numpy_model(hidden: list[int]) -> ModelFile:
    params = init_params([784, *hidden, 10], "he", np.random.default_rng(0))
    return explained("numpy_mlp", "numpy", params, {"normalization": NORMALIZATION, "activation": "relu"})


def images(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, 1, 28, 28)).astype(np.float32)


def test_first_layers_are_28x28_units_for_mlps_and_filters_for_cnns():
    assert first_layer(numpy_model([32, 16])).shape == (32, 28, 28)
    assert first_layer(torch_model("mlp", {"hidden": [24], "dropout": 0.1})).shape == (24, 28, 28)
    cnn = torch_model("modern", {"width": 4, "dropout": 0.1})
    assert first_layer(cnn).shape == (4, 5, 5) and is_convolutional(first_layer(cnn))
    assert not is_convolutional(first_layer(numpy_model([8])))


def test_strongest_units_come_first():
    weights = np.zeros((5, 28, 28), np.float32)
    for unit, scale in enumerate([1, 5, 3, 0.5, 4]):
        weights[unit, 0, 0] = scale
    assert strongest_units(weights, 3)[:, 0, 0].tolist() == [5, 4, 3]


@pytest.mark.parametrize(
    ("arch", "hparams", "shapes"),
    [
        ("modern", {"width": 4, "dropout": 0.1}, [(4, 28, 28), (8, 14, 14), (16, 7, 7)]),  # before each pool
        ("compact", {"width": 4}, [(4, 12, 12), (8, 5, 5)]),  # it pools first: the ReLU after each pool
        ("notebook_cnn_simple", {}, [(10, 12, 12), (20, 4, 4)]),
    ],
)
def test_feature_maps_are_each_blocks_activation_at_its_pooling(arch, hparams, shapes):
    cnn = torch_model(arch, hparams)
    maps = feature_maps(cnn, images(2))
    assert [m.shape for m in maps] == [(2, *shape) for shape in shapes]
    assert all((m >= 0).all() for m in maps) and all((m > 0).any() for m in maps)  # each after a ReLU


def test_last_hidden_is_what_the_output_layer_reads():
    cnn = torch_model("modern", {"width": 4, "dropout": 0.1})
    x = images(3)
    features = last_hidden(cnn, x)
    head = cnn.network()[-1]
    with torch.no_grad():
        from_features = torch.log_softmax(head(torch.from_numpy(features)), 1).numpy()
    np.testing.assert_allclose(from_features, log_proba(cnn, x), atol=1e-5)
    mlp = numpy_model([32, 16])
    assert last_hidden(mlp, x).shape == (3, 16)
    assert last_hidden(numpy_model([]), x).shape == (3, 784)  # softmax regression: the image itself


@pytest.mark.parametrize("arch, hparams", [("modern", {"width": 4, "dropout": 0.1}),
                                           ("compact", {"width": 4}),
                                           ("mlp", {"hidden": [24], "dropout": 0.1})])  # fmt: skip
def test_integrated_gradients_add_up_to_the_change_from_a_blank_page(arch, hparams):
    """Completeness: the attributions sum to log p(x) - log p(blank) for the class explained."""
    m = torch_model(arch, hparams)
    x = images(3, seed=1)
    classes = log_proba(m, x).argmax(1)
    attributions = attribution(m, x, classes)
    rows = np.arange(len(x))
    change = log_proba(m, x)[rows, classes] - log_proba(m, np.repeat(m.blank(), len(x), 0))[rows, classes]
    np.testing.assert_allclose(attributions.reshape(len(x), -1).sum(1), change, rtol=0.05, atol=0.02)


def test_gradient_x_input_is_zero_on_blank_pixels_and_follows_the_gradient():
    m = numpy_model([32])
    blank = m.blank()
    x = np.repeat(blank, 2, 0).copy()
    x[:, 0, 10:18, 12:16] = 2.5  # a stroke of ink
    classes = log_proba(m, x).argmax(1)
    attributions = attribution(m, x, classes)
    assert np.abs(attributions[:, :10]).max() == 0  # only the ink can carry weight against a blank page
    assert np.abs(attributions[:, 10:18, 12:16]).max() > 0


def test_an_embedding_of_fewer_images_than_pca_dimensions_still_maps_them():
    """A small map (the synthetic pipeline's 40 images) of wide features (a softmax model's 784 pixels)."""
    features = np.random.default_rng(0).standard_normal((40, 784)).astype(np.float32)
    coords = embedding(features, seed=0, perplexity=5)
    assert coords.shape == (40, 2) and np.isfinite(coords).all()
