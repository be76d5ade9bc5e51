"""Optimizers that update the parameter arrays in place (so no parameter list is ever rebuilt)."""

from __future__ import annotations

import numpy as np


class SGD:
    """Plain stochastic gradient descent: p -= lr * g."""

    def __init__(self, params: list[np.ndarray]):
        pass

    def step(self, params: list[np.ndarray], grads: list[np.ndarray], lr: float) -> None:
        for p, g in zip(params, grads, strict=True):
            p -= p.dtype.type(lr) * g


class Momentum:
    """Heavy-ball momentum as PyTorch's SGD(momentum=beta) does it: v = beta * v + g; p -= lr * v."""

    def __init__(self, params: list[np.ndarray], beta: float):
        self.beta = beta
        self.velocity = [np.zeros_like(p) for p in params]

    def step(self, params, grads, lr):
        for p, g, v in zip(params, grads, self.velocity, strict=True):
            v *= self.beta
            v += g
            p -= p.dtype.type(lr) * v


class Adam:
    """Adam (Kingma & Ba) with bias correction, as torch.optim.Adam computes it.

    Written with ``out=`` and one scratch buffer per parameter: the update is pure memory traffic, and
    at batch 128 temporaries made it cost as much as the forward and backward passes together.
    """

    def __init__(self, params: list[np.ndarray], beta1: float, beta2: float, eps: float = 1e-8):
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.scratch = [np.empty_like(p) for p in params]
        self.t = 0

    def step(self, params, grads, lr):
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        step_size = lr * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        eps_hat = self.eps * np.sqrt(1 - b2**self.t)  # eps applied to the bias-corrected sqrt(v)
        for p, g, m, v, buf in zip(params, grads, self.m, self.v, self.scratch, strict=True):
            dtype = p.dtype.type
            m *= dtype(b1)
            np.multiply(g, dtype(1 - b1), out=buf)
            m += buf  # m = b1 m + (1 - b1) g
            v *= dtype(b2)
            np.multiply(g, g, out=buf)
            buf *= dtype(1 - b2)
            v += buf  # v = b2 v + (1 - b2) g^2
            np.sqrt(v, out=buf)
            buf += dtype(eps_hat)
            np.divide(m, buf, out=buf)
            buf *= dtype(step_size)
            p -= buf


def make_optimizer(name: str, params: list[np.ndarray], momentum: float, beta2: float):
    if name == "sgd":
        return SGD(params)
    if name == "momentum":
        return Momentum(params, momentum)
    if name == "adam":
        return Adam(params, momentum, beta2)
    raise ValueError(f"unknown optimizer {name!r}")
