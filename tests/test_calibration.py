"""Calibration metrics against hand computations, and the temperature fit."""

import numpy as np
import pytest

from mnist_dvc.models.calibration import (
    expected_calibration_error,
    fit_temperature,
    log_softmax,
    nll,
    reliability_rows,
    risk_coverage_rows,
)


def _probs_with_confidence(confidence: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Rows whose top class is ``predicted`` with probability ``confidence``, the rest spread evenly."""
    probs = np.repeat(((1 - confidence) / 9)[:, None], 10, axis=1)
    probs[np.arange(len(confidence)), predicted] = confidence
    return probs


def test_a_perfectly_calibrated_predictor_has_an_ece_near_zero():
    rng = np.random.default_rng(0)
    n = 200_000
    confidence = rng.uniform(0.3, 1.0, n)
    predicted = rng.integers(0, 10, n)
    right = rng.random(n) < confidence  # right exactly as often as it says
    labels = np.where(right, predicted, (predicted + 1) % 10)
    assert expected_calibration_error(_probs_with_confidence(confidence, predicted), labels) < 0.005


def test_ece_of_an_over_confident_predictor_matches_the_hand_computation():
    # 100 images: 50 said at 0.95 of which 40 right (gap 0.15), 50 at 0.70 of which 25 right (gap 0.20).
    confidence = np.r_[np.full(50, 0.95), np.full(50, 0.70)]
    predicted = np.zeros(100, int)
    labels = np.r_[np.zeros(40), np.ones(10), np.zeros(25), np.ones(25)].astype(int)
    probs = _probs_with_confidence(confidence, predicted)
    assert expected_calibration_error(probs, labels) == pytest.approx(0.5 * 0.15 + 0.5 * 0.20)
    rows = reliability_rows(probs, labels)
    assert [(r["count"], r["accuracy"]) for r in rows] == [(50, 0.5), (50, 0.8)]
    assert [r["confidence"] for r in rows] == pytest.approx([0.70, 0.95])


def test_risk_coverage_ranks_by_confidence():
    confidence = np.array([0.9, 0.8, 0.7, 0.6])
    probs = _probs_with_confidence(confidence, np.zeros(4, int))
    labels = np.array([0, 1, 0, 1])  # right, wrong, right, wrong
    rows = risk_coverage_rows(probs, labels, points=4)
    assert [r["accuracy"] for r in rows] == [1.0, 0.5, pytest.approx(2 / 3), 0.5]
    assert [r["min_confidence"] for r in rows] == pytest.approx([0.9, 0.8, 0.7, 0.6])


def test_temperature_recovers_the_one_that_made_the_labels_and_lowers_the_nll():
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 4, (20_000, 10))
    true_probs = np.exp(log_softmax(logits / 2.5))
    labels = (true_probs.cumsum(1) > rng.random((20_000, 1))).argmax(1)
    temperature = fit_temperature(logits, labels)
    assert temperature == pytest.approx(2.5, rel=0.05)
    assert nll(logits, labels, temperature) < nll(logits, labels, 1.0)
    for other in (temperature * 0.9, temperature * 1.1):
        assert nll(logits, labels, temperature) < nll(logits, labels, other)


def test_temperature_is_deterministic_and_above_one_for_an_over_confident_model():
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 10, 5000)
    logits = rng.normal(0, 1, (5000, 10))
    logits[np.arange(5000), labels] += 3
    logits *= 4  # sharper than the truth
    first = fit_temperature(logits, labels)
    assert first == fit_temperature(logits, labels)
    assert first > 1.2  # softens it


def test_the_trainers_temperature_lowers_the_validation_nll():
    from mnist_dvc.models.families import trainer_params
    from mnist_dvc.models.numpy_mlp.train import train
    from mnist_dvc.models.training import run_metadata
    from tests.fixtures import tiny_data

    data = tiny_data()
    p = trainer_params("numpy_mlp", hidden=[32], epochs=6, batch_size=16, dropout=0.0)
    params, result = train(p, data, live_dir=None)
    from mnist_dvc.models.numpy_mlp.network import predict_log_proba

    val = predict_log_proba(params, data.images["val"], p.activation)
    meta = run_metadata(p, result, data.meta["normalization"], val, data.labels["val"])
    assert meta["temperature"] != 1.0
    assert nll(val, data.labels["val"], meta["temperature"]) < nll(val, data.labels["val"])
