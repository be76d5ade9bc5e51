import numpy as np
import pytest
from sklearn.metrics import log_loss

from mnist_dvc.evaluation.metrics import confusion, per_class_rows, score


@pytest.mark.filterwarnings("error::UserWarning")  # scikit-learn warns on rows that do not sum to one
def test_score_matches_scikit_learn_and_counts_errors():
    rng = np.random.default_rng(0)
    labels = np.arange(200) % 10
    logits = rng.normal(size=(200, 10)).astype(np.float32)
    logits[np.arange(150), labels[:150]] += 5  # 150 confident right answers, 50 at random
    log_probs = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    result = score(labels, log_probs)
    predicted = log_probs.argmax(1)
    assert result["errors"] == int((predicted != labels).sum())
    assert result["accuracy"] == pytest.approx((predicted == labels).mean())
    probs = np.exp(log_probs.astype(np.float64))
    expected = log_loss(labels, probs / probs.sum(1, keepdims=True))
    assert result["log_loss"] == pytest.approx(expected, rel=1e-6)


def test_confusion_and_per_class_rows():
    labels = np.array([0, 0, 1, 2, 2, 2])
    predicted = np.array([0, 1, 1, 2, 2, 0])
    matrix = confusion(labels, predicted)
    assert matrix.shape == (10, 10) and matrix.sum() == 6 and np.trace(matrix) == 4
    rows = per_class_rows(labels, predicted)
    assert [r["class"] for r in rows] == [str(c) for c in range(10)]
    assert rows[2]["recall"] == pytest.approx(2 / 3) and rows[2]["precision"] == pytest.approx(1.0)
    assert rows[0]["support"] == 2 and rows[9]["support"] == 0
