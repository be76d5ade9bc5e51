"""What the models learned and where they look: the numbers behind the explain stage's pictures.

* the first layer: an MLP's first weights as 28x28 images (one per hidden unit), a CNN's first filters;
* a CNN's feature maps: the output of each block (the activation just before each pooling);
* where a model looks for its answer: attribution of the predicted class's log-probability to the
  pixels, relative to a blank page. Torch models: integrated gradients (Captum). The NumPy MLP: its own
  back-propagation carried to the input (`numpy_mlp.network.input_gradient`), times (input - blank);
* the last hidden layer's features, for an embedding map.

Each model is one file, a :class:`mnist_dvc.models.model_file.ModelFile`; a torch model's layers come from
its checkpoint (:meth:`~mnist_dvc.models.model_file.ModelFile.network`), not its ONNX twin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mnist_dvc.data.dataset import TEST_SIZE
from mnist_dvc.params import ParamsError, StageSchema
from mnist_dvc.validation import integer, list_of, number

if TYPE_CHECKING:  # a type only: check_params reads this module's schema, and loads no model
    from mnist_dvc.models.model_file import ModelFile


def _perplexity_below_images(values: dict, key: str) -> None:
    # t-SNE needs fewer neighbours than points; otherwise scikit-learn fails after the features are computed.
    if values["perplexity"] >= values["embedding_images"]:
        raise ParamsError(
            f"params.yaml: {key}.perplexity = {values['perplexity']:g} is invalid: expected a number below "
            f"{key}.embedding_images ({values['embedding_images']})"
        )


SCHEMA = StageSchema(
    "explain",
    {
        # Test-set indices whose feature maps are drawn (an easy digit and a hard one). Where each model
        # looks is drawn for evaluate.example_indices.
        "feature_map_indices": list_of(integer(0, TEST_SIZE - 1), min_len=1, unique=True),
        "embedding_images": integer(10, TEST_SIZE),  # test images in the embedding map, stratified by digit
        "perplexity": number(1, 100),  # t-SNE's: below embedding_images (best below a third of it)
        "seed": integer(0, 2**32 - 1),  # picks the images and seeds t-SNE
        "num_threads": integer(1, 256),
    },
    _perplexity_below_images,
)

IG_STEPS = 32  # integrated gradients: points on the path from the blank page to the image


def first_layer(m: ModelFile) -> np.ndarray:
    """(units, 28, 28) for an MLP's first layer, (filters, k, k) for a CNN's first convolution."""
    if m.kind == "numpy":
        return m.network()[0].T.reshape(-1, 28, 28)
    from torch import nn

    layer = next(mod for mod in m.network().modules() if isinstance(mod, nn.Linear | nn.Conv2d))
    weights = layer.weight.detach().numpy()
    return weights.reshape(-1, 28, 28) if isinstance(layer, nn.Linear) else weights[:, 0]


def is_convolutional(first: np.ndarray) -> bool:
    """Whether a model's first layer (as :func:`first_layer` gives it) is a CNN's filters."""
    return first.shape[1:] != (28, 28)


def strongest_units(weights: np.ndarray, count: int) -> np.ndarray:
    """The ``count`` units (rows) with the largest weight norm, strongest first."""
    norms = np.linalg.norm(weights.reshape(len(weights), -1), axis=1)
    return weights[np.argsort(-norms, kind="stable")[:count]]


def feature_maps(m: ModelFile, x: np.ndarray) -> list[np.ndarray]:
    """Each block's output for images ``x`` (N, 1, 28, 28), (N, channels, h, w) per block: the activation
    just before each pooling layer, or, in a network that pools a convolution's output first (conv, pool,
    batch norm, ReLU), the activation just after it."""
    import torch
    from torch import nn

    network = m.network()
    children = list(network.children()) if isinstance(network, nn.Sequential) else []
    pooling = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
    activation = (nn.ReLU, nn.LeakyReLU)

    def tap(i: int) -> nn.Module:  # the activation that goes with the pooling layer children[i]
        if isinstance(children[i - 1], activation):
            return children[i - 1]
        after = (c for c in children[i + 1 :] if isinstance(c, activation))
        return next(after, children[i - 1])  # no activation at all: what the pool reads

    taps = [tap(i) for i, child in enumerate(children) if isinstance(child, pooling) and i > 0]
    outputs: list[np.ndarray] = []
    hooks = [t.register_forward_hook(lambda _m, _i, out: outputs.append(out.detach().numpy().copy()))
             for t in taps]  # fmt: skip
    try:
        with torch.no_grad():
            network(torch.from_numpy(x))
    finally:
        for hook in hooks:
            hook.remove()
    return outputs


def log_proba(m: ModelFile, x: np.ndarray) -> np.ndarray:
    if m.kind == "numpy":
        from mnist_dvc.models.numpy_mlp.network import predict_log_proba

        return predict_log_proba(m.network(), x, m.meta["activation"])
    import torch

    with torch.no_grad():
        return torch.log_softmax(m.network()(torch.from_numpy(x)), 1).numpy()


def attribution(m: ModelFile, x: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """How much each pixel of ``x`` (N, 1, 28, 28) moves the log-probability of ``classes``, against a
    blank page: (N, 28, 28). Positive: the pixel speaks for the class."""
    blank = m.blank()
    if m.kind == "numpy":
        from mnist_dvc.models.numpy_mlp.network import input_gradient

        flat = x.reshape(len(x), -1).astype(np.float64)
        params = [p.astype(np.float64) for p in m.network()]
        gradient = input_gradient(params, flat, m.meta["activation"], classes)
        return (gradient * (flat - blank.reshape(1, -1))).reshape(-1, 28, 28)
    import torch
    from captum.attr import IntegratedGradients

    def log_probabilities(images):
        return torch.log_softmax(m.network()(images), 1)

    explainer = IntegratedGradients(log_probabilities)
    attributions = explainer.attribute(
        torch.from_numpy(x), baselines=torch.from_numpy(blank).expand_as(torch.from_numpy(x)),
        target=torch.from_numpy(classes.astype(np.int64)), n_steps=IG_STEPS,
    )  # fmt: skip
    return attributions.detach().numpy()[:, 0]


def last_hidden(m: ModelFile, x: np.ndarray) -> np.ndarray:
    """The features the output layer reads: (N, features)."""
    if m.kind == "numpy":
        from mnist_dvc.models.numpy_mlp.network import forward

        features = []
        for i in range(0, len(x), 1000):
            _, cache = forward(m.network(), x[i : i + 1000].reshape(-1, 784), m.meta["activation"])
            features.append(cache.layer_inputs[-1])  # no hidden layer (softmax regression): the image
        return np.concatenate(features)
    import torch
    from torch import nn

    head = [mod for mod in m.network().modules() if isinstance(mod, nn.Linear)][-1]
    captured: list[np.ndarray] = []
    hook = head.register_forward_hook(lambda _m, inputs, _o: captured.append(inputs[0].detach().numpy()))
    try:
        with torch.no_grad():
            for i in range(0, len(x), 1000):
                m.network()(torch.from_numpy(x[i : i + 1000]))
    finally:
        hook.remove()
    return np.concatenate(captured)


def embedding(features: np.ndarray, seed: int, perplexity: float) -> np.ndarray:
    """A 2-D map of ``features`` (t-SNE, scikit-learn), after PCA to 50 dimensions (the usual first step:
    faster, and less noise)."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    reduced = features
    dims = min(50, *features.shape)  # PCA can keep no more components than samples or features
    if features.shape[1] > dims:
        reduced = PCA(dims, random_state=seed).fit_transform(features)
    tsne = TSNE(2, perplexity=perplexity, init="pca", random_state=seed, learning_rate="auto")
    return tsne.fit_transform(reduced.astype(np.float32))
