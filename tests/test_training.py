import math

import numpy as np
import pytest

from mnist_dvc.models.families import trainer_params
from mnist_dvc.models.numpy_mlp.train import train
from mnist_dvc.models.schedules import lr_at
from mnist_dvc.models.training import DivergenceError, batch_indices, collapsed, fit
from tests.fixtures import tiny_data


def _fit(train_losses, keep="best", accuracies=None):
    losses = iter(train_losses)
    accs = iter(accuracies or [0.5] * len(train_losses))
    state = {"epoch": 0}

    def train_epoch(epoch):
        state["epoch"] = epoch
        return next(losses)

    return fit(
        epochs=len(train_losses),
        train_epoch=train_epoch,
        evaluate=lambda: (1.0, next(accs)),
        snapshot=lambda: state["epoch"],
        keep=keep,
        lr=0.5,
        lr_param="stage.lr",
        live_dir=None,
        name="t",
    )


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_divergence_stops_training_and_names_the_lr(bad):
    with pytest.raises(DivergenceError, match=r"epoch 2: loss is (nan|inf).*stage.lr = 0.5"):
        _fit([1.0, bad, 0.5])


def test_keep_best_takes_the_earliest_best_epoch_and_keep_last_the_last():
    assert _fit([1, 1, 1, 1], "best", [0.1, 0.9, 0.9, 0.2]).state == 2
    assert _fit([1, 1, 1, 1], "last", [0.1, 0.9, 0.9, 0.2]).state == 4


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_numpy_training_that_diverges_names_the_lr():
    p = trainer_params(
        "numpy_mlp", hidden=[], optimizer="sgd", lr=10.0, schedule="constant", epochs=3, batch_size=8
    )
    data = tiny_data()
    data.images["train"][:] *= 1e20  # huge inputs with lr 10 overflow the weights to inf, the loss to NaN
    with pytest.raises(DivergenceError, match=r"train_numpy_mlp.lr = 10"):
        train(p, data, live_dir=None)


def test_batches_cover_every_index_once():
    batches = list(batch_indices(10, 4, np.random.default_rng(0)))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))


def test_schedules():
    assert lr_at(0, 100, 0.1, "constant") == 0.1
    assert lr_at(0, 100, 0.1, "cosine") == pytest.approx(0.1)
    assert lr_at(50, 100, 0.1, "cosine") == pytest.approx(0.05)
    assert lr_at(100, 100, 0.1, "cosine") == pytest.approx(0.0)
    assert lr_at(4, 100, 0.1, "cosine", warmup_steps=10) == pytest.approx(0.05)
    assert lr_at(10, 100, 0.1, "cosine", warmup_steps=10) == pytest.approx(0.1)
    assert lr_at(0, 100, 0.1, "onecycle", warmup_steps=30) == pytest.approx(0.004)
    assert lr_at(30, 100, 0.1, "onecycle", warmup_steps=30) == pytest.approx(0.1)
    assert lr_at(100, 100, 0.1, "onecycle", warmup_steps=30) == pytest.approx(1e-5)


def _history(losses, accuracies):
    return [
        {"epoch": i + 1, "train_loss": loss, "val_accuracy": acc}
        for i, (loss, acc) in enumerate(zip(losses, accuracies, strict=True))
    ]


def test_collapse_is_chance_accuracy_with_a_loss_that_did_not_fall():
    # Exploded, then settled at a uniform guess (ln 10 = 2.303): collapsed.
    assert collapsed(_history([2186.7, 3.8, 2.47], [0.1, 0.1, 0.1]), kept_epoch=3)
    assert collapsed(_history([2.31], [0.12]), kept_epoch=1)
    # A tiny legitimate run whose loss fell is not flagged, however low its accuracy.
    assert not collapsed(_history([2.3, 1.9, 1.5], [0.1, 0.15, 0.2]), kept_epoch=3)
    # Above chance level is never a collapse.
    assert not collapsed(_history([2.3, 2.3], [0.1, 0.21]), kept_epoch=2)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_run_that_collapses_warns_naming_the_lr_and_one_that_learns_does_not(capsys):
    lr10 = trainer_params(
        "numpy_mlp",
        hidden=[32],
        optimizer="sgd",
        lr=10.0,
        schedule="constant",
        epochs=3,
        batch_size=16,
        dropout=0.0,
    )
    train(lr10, tiny_data(), live_dir=None)
    err = capsys.readouterr().err
    assert "train_numpy_mlp: warning: the model did not learn" in err
    assert "train_numpy_mlp.lr = 10 is probably too high" in err

    train(trainer_params("numpy_mlp", **(lr10.values | {"lr": 0.05})), tiny_data(), live_dir=None)
    assert "warning" not in capsys.readouterr().err
