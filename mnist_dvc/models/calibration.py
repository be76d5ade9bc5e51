"""Calibration: is a probability of 0.99 right 99% of the time?

* :func:`fit_temperature` - one temperature T for a model's logits (probabilities = softmax(logits / T)),
  fitted on the validation split by each trainer (Guo et al., 2017, "On calibration of modern neural
  networks"). It never changes a prediction, only how sure the model says it is.
* :func:`expected_calibration_error`, :func:`reliability_rows` - the gap between confidence and accuracy,
  in equal-width confidence bins.
* :func:`risk_coverage_rows` - the accuracy of the most confident x% of the images: how far to trust a
  confident answer.

NumPy only: the NumPy MLP takes its output layer's :func:`log_softmax` from here and fits its
temperature with it, and stays NumPy only.
"""

from __future__ import annotations

import numpy as np

ECE_BINS = 15


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """log(softmax(z)) via log-sum-exp: subtracting the row maximum keeps exp() from overflowing."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def nll(logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of ``labels`` under softmax(logits / temperature)."""
    log_probs = log_softmax(np.asarray(logits, np.float64) / temperature)
    return float(-log_probs[np.arange(len(labels)), labels].mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray, iterations: int = 50) -> float:
    """The temperature that minimizes the NLL of ``labels``: Newton's method on beta = 1/T.

    The NLL is convex in beta (a log-sum-exp of linear functions minus a linear function); its gradient
    is mean(E_p[z] - z_y) and its second derivative mean(Var_p[z]), so a handful of steps converge.
    Deterministic: same logits, same temperature, so identical retrains still write identical files.
    """
    z = np.asarray(logits, np.float64)
    z_true = z[np.arange(len(labels)), labels]
    beta = 1.0
    for _ in range(iterations):
        p = np.exp(log_softmax(beta * z))
        mean_z = (p * z).sum(axis=1)
        gradient = float((mean_z - z_true).mean())
        curvature = float(((p * z * z).sum(axis=1) - mean_z**2).mean())
        if curvature <= 1e-12:
            break
        # Never step past a point where beta would lose its sign (a degenerate, e.g. all-wrong, model).
        step = gradient / curvature
        beta = beta - step if beta - step > beta / 10 else beta / 10
        if abs(step) < 1e-10 * beta:
            break
    return float(1.0 / beta)


def _confidence_and_correct(probs: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return probs.max(axis=1), (probs.argmax(axis=1) == labels)


def reliability_rows(probs: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> list[dict]:
    """Per equal-width confidence bin (empty bins left out): mean confidence, accuracy and image count."""
    confidence, correct = _confidence_and_correct(probs, labels)
    # Bin i holds confidences in (i/bins, (i+1)/bins]; a confidence of exactly 0 joins the first.
    index = np.clip(np.ceil(confidence * bins).astype(int) - 1, 0, bins - 1)
    rows = []
    for i in range(bins):
        members = index == i
        if members.any():
            rows.append(
                {
                    "bin_upper": round((i + 1) / bins, 6),
                    "confidence": float(confidence[members].mean()),
                    "accuracy": float(correct[members].mean()),
                    "count": int(members.sum()),
                }
            )
    return rows


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> float:
    """ECE: the count-weighted mean of |accuracy - confidence| over the bins of :func:`reliability_rows`."""
    rows = reliability_rows(probs, labels, bins)
    return float(sum(r["count"] * abs(r["accuracy"] - r["confidence"]) for r in rows) / len(labels))


def risk_coverage_rows(probs: np.ndarray, labels: np.ndarray, points: int = 100) -> list[dict]:
    """Accuracy of the most confident ``coverage`` share of the images, at coverage 1%, 2%, ..., 100%.

    Ties in confidence are broken by image order (a stable sort), so the curve is deterministic.
    """
    confidence, correct = _confidence_and_correct(probs, labels)
    order = np.argsort(-confidence, kind="stable")
    correct_so_far = np.cumsum(correct[order])
    rows = []
    for k in range(1, points + 1):
        n = max(1, round(len(labels) * k / points))
        rows.append(
            {
                "coverage": k / points,
                "accuracy": float(correct_so_far[n - 1] / n),
                "min_confidence": float(confidence[order[n - 1]]),
            }
        )
    return rows
