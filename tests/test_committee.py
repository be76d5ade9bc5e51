"""bench.diverse_committee: the candidates' params checked before any training, each member's share of
the training split, forward selection on validation only, a trained candidate's cached answers, and the
chosen members trained again on the training and validation splits."""

import numpy as np
import pytest

from bench import diverse_committee as dc
from tests.fixtures import tiny_data


def _one_hot_log_probs(answers: np.ndarray, sure: float = 0.9) -> np.ndarray:
    probs = np.full((len(answers), 10), (1 - sure) / 9)
    probs[np.arange(len(answers)), answers] = sure
    return np.log(probs).astype(np.float32)


def test_the_committees_own_candidates_are_valid_and_a_misspelled_override_fails_before_training(tmp_path):
    assert len(dc.candidates()) <= 16  # bench/committee.yaml as committed
    wrong = tmp_path / "candidates.yaml"
    wrong.write_text("candidates:\n  a: {seed: 1, subset: 0.9, overrides: {widht: 8}}\n")
    with pytest.raises(Exception, match="widht"):
        dc.candidates(wrong)
    wrong.write_text("candidates:\n  a: {seed: 1, subset: 0, overrides: {}}\n")
    with pytest.raises(SystemExit, match="subset"):
        dc.candidates(wrong)


def test_a_members_subset_is_a_stratified_share_of_the_training_split_only():
    data = tiny_data(n_train=200, n_val=50)
    part = dc.subset_of(data, 0.9, seed=1)
    assert len(part.labels["train"]) == 180 and len(part.labels["val"]) == 50
    assert np.array_equal(np.bincount(part.labels["train"], minlength=10),
                          np.round(0.9 * np.bincount(data.labels["train"], minlength=10)))  # fmt: skip
    other = dc.subset_of(data, 0.9, seed=2)  # another seed, another draw of the same size
    assert not np.array_equal(part.images["train"], other.images["train"])
    assert dc.subset_of(data, 1.0, seed=1) is data


def test_forward_selection_adds_the_member_whose_errors_are_elsewhere_not_a_copy():
    labels = np.repeat(np.arange(10), 10)
    wrong_a, wrong_b = labels.copy(), labels.copy()
    wrong_a[:10] = (labels[:10] + 1) % 10  # "a" errs on the first 10
    wrong_b[90:] = (labels[90:] + 1) % 10  # "b" on the last 10, surer of itself everywhere
    members = {
        "a": {"val": _one_hot_log_probs(wrong_a)},
        "a_copy": {"val": _one_hot_log_probs(wrong_a)},
        "b": {"val": _one_hot_log_probs(wrong_b, sure=0.95)},
    }
    steps = dc.forward_selection(members, labels, most=2)
    assert steps[0] == ["a"]  # the lowest log-loss alone (a tie with its copy goes to the first listed)
    assert steps[1] == ["a", "b"]  # its copy would add nothing
    alone = dc.nll(members["a"]["val"], labels)
    assert dc.nll(dc.committee_log_proba([members["a"]["val"], members["b"]["val"]]), labels) < alone / 2


def test_a_trained_candidate_is_cached_and_not_trained_again(tmp_path, monkeypatch):
    data = tiny_data(n_train=100, n_val=50)
    data.images["test"], data.labels["test"] = data.images["val"], data.labels["val"]
    small = {"width": 4, "epochs": 1, "augment": False, "corrupt_share": 0.0}
    listed = {"small": {"seed": 1, "subset": 0.9, "overrides": small}}
    members = dc.member_log_probs(data, listed, tmp_path)
    assert set(members["small"]) == {"val", "test", "train_seconds"}
    assert np.allclose(np.exp(members["small"]["val"]).sum(axis=1), 1, atol=1e-5)  # calibrated probabilities
    monkeypatch.setattr(dc, "train_candidate", lambda *args: pytest.fail("trained again"))
    again = dc.member_log_probs(data, listed, tmp_path)
    assert np.array_equal(again["small"]["val"], members["small"]["val"])


def test_a_chosen_member_is_refit_on_training_and_validation_together_keeping_its_last_epoch(
    tmp_path, monkeypatch
):
    from mnist_dvc.models.torch_nets import train as trainer

    data = tiny_data(n_train=100, n_val=50)
    data.images["test"], data.labels["test"] = data.images["val"], data.labels["val"]
    seen = []
    real_train = trainer.train

    def spy(p, given, live_dir):
        net, result = real_train(p, given, live_dir)
        seen.append((p.keep, given.images["train"].copy(), net))
        return net, result

    monkeypatch.setattr(trainer, "train", spy)
    small = {"width": 4, "epochs": 1, "augment": False, "corrupt_share": 0.0, "keep": "best"}
    listed = {"small": {"seed": 1, "subset": 0.9, "overrides": small}}
    dc.member_log_probs(data, listed, tmp_path)
    refit = dc.member_log_probs(data, listed, tmp_path, refit=True)
    (keep, trained_on, _), (refit_keep, refit_on, refit_net) = seen
    assert (keep, len(trained_on)) == ("best", 90)
    assert refit_keep == "last"  # nothing is held out to choose an epoch by
    labelled = np.concatenate([data.images["train"], data.images["val"]])
    assert len(refit_on) == 135  # 90% of the 150 labelled images, drawn from both splits
    assert all(any(np.array_equal(image, other) for other in labelled) for image in refit_on)
    assert any(any(np.array_equal(image, v) for v in data.images["val"]) for image in refit_on)
    # Its own probabilities: no temperature fitted on the validation images it trained on.
    logits = dc.logits_of(refit_net, data.images["test"]).astype(np.float64)
    np.testing.assert_allclose(refit["small"]["test"], dc.log_softmax(logits), atol=1e-6)
    assert set(refit["small"]) == {"test", "train_seconds"} and len(list(tmp_path.glob("*.npz"))) == 2
    monkeypatch.setattr(dc, "refit_candidate", lambda *args: pytest.fail("trained again"))
    assert np.array_equal(dc.member_log_probs(data, listed, tmp_path, refit=True)["small"]["test"],
                          refit["small"]["test"])  # fmt: skip
