"""The network: initialization, forward pass, loss and back-propagation, as separate functions.

Parameters are a flat list ``[W0, b0, W1, b1, ...]`` with ``W_i`` of shape (fan_in, fan_out), so a batch
``x`` of shape (batch, 784) flows as ``x @ W0 + b0``. Hidden layers use the chosen activation (and
inverted dropout while training); the output layer gives logits, turned into log-probabilities by a
log-sum-exp softmax. Every function works in the dtype of the parameters it is given: float32 to train,
float64 for the gradient check.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from mnist_dvc.models.calibration import log_softmax


# Each activation is (f, f' expressed through the output a = f(z)); using the output means the
# backward pass needs no copy of the pre-activations.
def _sigmoid(z: np.ndarray) -> np.ndarray:
    # 0.5 * (1 + tanh(z / 2)) equals 1 / (1 + exp(-z)) but cannot overflow for large |z|.
    np.multiply(z, 0.5, out=z)
    np.tanh(z, out=z)
    z += 1
    z *= 0.5
    return z


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0, out=z)


ACTIVATIONS = {
    "sigmoid": (_sigmoid, lambda a: a * (1 - a)),
    "tanh": (lambda z: np.tanh(z, out=z), lambda a: 1 - a * a),
    "relu": (_relu, lambda a: (a > 0).astype(a.dtype)),
}


def init_params(
    layer_sizes: list[int], init: str, rng: np.random.Generator, dtype=np.float32
) -> list[np.ndarray]:
    """``xavier``: Glorot-uniform, U(±sqrt(6 / (fan_in + fan_out))), suited to sigmoid/tanh.
    ``he``: N(0, 2 / fan_in), suited to ReLU. Biases start at zero."""
    params = []
    for fan_in, fan_out in itertools.pairwise(layer_sizes):
        if init == "xavier":
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            weights = rng.uniform(-limit, limit, size=(fan_in, fan_out))
        elif init == "he":
            weights = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
        else:
            raise ValueError(f"unknown init {init!r}")
        params += [weights.astype(dtype), np.zeros(fan_out, dtype=dtype)]
    return params


@dataclass
class ForwardCache:
    """What back-propagation needs from the forward pass."""

    layer_inputs: list[np.ndarray]  # the input of each layer (after activation and dropout)
    activations: list[np.ndarray]  # each hidden layer's activation output, before dropout
    masks: list[np.ndarray | None]  # each hidden layer's scaled dropout mask (None: no dropout)


def forward(
    params: list[np.ndarray],
    x: np.ndarray,
    activation: str,
    *,
    dropout: float = 0.0,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, ForwardCache]:
    """Logits for the batch ``x`` (batch, 784). Dropout is applied only when ``rng`` is given (training)."""
    act = ACTIVATIONS[activation][0]
    cache = ForwardCache([x], [], [])
    h = x
    n_layers = len(params) // 2
    for i in range(n_layers):
        z = h @ params[2 * i]
        z += params[2 * i + 1]
        if i == n_layers - 1:
            return z, cache
        a = act(z)  # in place: z is not needed again
        mask = None
        if rng is not None and dropout > 0:
            # Inverted dropout: scale the kept units at training time so evaluation needs no change.
            mask = (rng.random(a.shape, dtype=a.dtype) >= dropout).astype(a.dtype)
            mask *= 1.0 / (1.0 - dropout)
            h = a * mask
        else:
            h = a
        cache.activations.append(a)
        cache.masks.append(mask)
        cache.layer_inputs.append(h)
    raise ValueError("params must hold at least one (W, b) pair")


def nll_loss(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood of ``labels``, and its gradient with respect to the logits."""
    log_probs = log_softmax(logits)
    rows = np.arange(len(labels))
    loss = -float(log_probs[rows, labels].mean())
    grad = np.exp(log_probs)  # softmax
    grad[rows, labels] -= 1
    grad /= len(labels)
    return loss, grad


def l2_penalty(params: list[np.ndarray], weight_decay: float) -> float:
    """``weight_decay / 2 * sum ||W||^2`` over the weight matrices (biases are not decayed)."""
    return 0.5 * weight_decay * sum(float(np.sum(w * w)) for w in params[0::2])


def backward(
    params: list[np.ndarray],
    cache: ForwardCache,
    grad_logits: np.ndarray,
    activation: str,
    weight_decay: float = 0.0,
) -> list[np.ndarray]:
    """Gradients of (loss + l2_penalty) for every parameter, layer by layer from the output back.

    For layer i with input h and output gradient delta: dW = h^T delta (+ weight_decay * W), db = sum(delta),
    and the gradient flowing into the layer below is (delta W^T) * mask * f'(a).
    """
    return _backpropagate(params, cache, grad_logits, activation, weight_decay, to_input=False)[0]


def input_gradient(
    params: list[np.ndarray], x: np.ndarray, activation: str, classes: np.ndarray
) -> np.ndarray:
    """d log p(class | x) / dx for each row of ``x`` (batch, 784) and its class: the same backward pass,
    carried one layer further, to the images themselves (what an explanation of the answer needs)."""
    logits, cache = forward(params, x, activation)
    grad_logits = -np.exp(log_softmax(logits))  # d log p_c / d logits = onehot(c) - softmax
    grad_logits[np.arange(len(x)), classes] += 1
    return _backpropagate(params, cache, grad_logits, activation, 0.0, to_input=True)[1]


def _backpropagate(params, cache, delta, activation, weight_decay, *, to_input):
    """(gradients of every parameter, gradient of the input or None): the backward pass of both."""
    derivative = ACTIVATIONS[activation][1]
    grads: list[np.ndarray] = [None] * len(params)  # type: ignore[list-item]
    for i in reversed(range(len(params) // 2)):
        weights = params[2 * i]
        grads[2 * i] = cache.layer_inputs[i].T @ delta
        if weight_decay:
            grads[2 * i] += weight_decay * weights
        grads[2 * i + 1] = delta.sum(axis=0)
        if i == 0:
            # Training never needs the images' gradient; an explanation does.
            return grads, (delta @ weights.T if to_input else None)
        delta = delta @ weights.T
        if cache.masks[i - 1] is not None:
            delta *= cache.masks[i - 1]
        delta *= derivative(cache.activations[i - 1])
    raise ValueError("params must hold at least one (W, b) pair")


def loss_and_gradients(
    params: list[np.ndarray],
    x: np.ndarray,
    labels: np.ndarray,
    activation: str,
    *,
    weight_decay: float = 0.0,
    dropout: float = 0.0,
    rng: np.random.Generator | None = None,
) -> tuple[float, list[np.ndarray]]:
    """One training evaluation: the batch's mean NLL (without the penalty) and the gradients."""
    logits, cache = forward(params, x, activation, dropout=dropout, rng=rng)
    loss, grad_logits = nll_loss(logits, labels)
    return loss, backward(params, cache, grad_logits, activation, weight_decay)


def predict_log_proba(
    params: list[np.ndarray], x: np.ndarray, activation: str, batch_size: int = 4096
) -> np.ndarray:
    """Log-probabilities for every row of ``x``, in batches to bound memory; no dropout."""
    x = x.reshape(len(x), -1)
    out = [
        log_softmax(forward(params, x[i : i + batch_size], activation)[0])
        for i in range(0, len(x), batch_size)
    ]
    return np.concatenate(out) if out else np.empty((0, params[-1].shape[0]), params[-1].dtype)
