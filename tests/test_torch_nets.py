"""The PyTorch models, the shared training loop and checkpoints."""

import pytest
import torch
from torch import nn

from mnist_dvc import PipelineError
from mnist_dvc.models.families import trainer_params
from mnist_dvc.models.torch_nets import train as torch_train
from mnist_dvc.models.torch_nets.architectures import build_model
from mnist_dvc.models.torch_nets.augment import random_affine
from mnist_dvc.models.torch_nets.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from mnist_dvc.models.torch_nets.train import autocast_dtype, hparams_of, make_optimizer, select_device, train
from mnist_dvc.params import ParamsError, StageParams
from tests.fixtures import tiny_data


def _params(stage: str, **overrides) -> StageParams:
    return trainer_params(stage.removeprefix("train_"), **overrides)


ARCHS = [
    ("train_torch_mlp", "notebook_mlp"),
    ("train_torch_mlp", "mlp"),
    ("train_cnn", "notebook_cnn_simple"),
    ("train_cnn", "notebook_cnn_improved"),
    ("train_cnn", "modern"),
    ("train_cnn", "compact"),
]


@pytest.mark.parametrize(("stage", "arch"), ARCHS)
def test_every_arch_maps_images_to_ten_logits(stage, arch):
    model = build_model(arch, hparams_of(_params(stage, arch=arch)))
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)


@pytest.mark.parametrize(
    ("arch", "flatten"), [("notebook_cnn_simple", 320), ("notebook_cnn_improved", 800), ("notebook_mlp", 784)]
)
def test_notebook_archs_keep_the_notebooks_sizes(arch, flatten):
    stage = "train_torch_mlp" if arch == "notebook_mlp" else "train_cnn"
    model = build_model(arch, hparams_of(_params(stage, arch=arch)))
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert linears[0].in_features == flatten
    assert [m.out_features for m in linears] == ([128, 64, 10] if arch == "notebook_mlp" else [50, 10])


def test_one_training_step_lowers_the_loss_on_a_fixed_batch():
    torch.manual_seed(0)
    p = _params("train_cnn", optimizer="sgd", lr=0.05)
    model = build_model("modern", {"width": 8, "dropout": 0.0})
    data = tiny_data(n_train=64)
    x, y = torch.from_numpy(data.images["train"]), torch.from_numpy(data.labels["train"])
    optimizer = make_optimizer(p, model)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    before = loss_fn(model(x), y)
    optimizer.zero_grad()
    before.backward()
    optimizer.step()
    after = loss_fn(model(x), y)
    assert after.item() < before.item()


@pytest.mark.parametrize("name", ["adam", "adamw"])
def test_fused_adam_steps_as_the_reference_adam_does(name):
    """The fused optimizer (one kernel per group) is an implementation, not another algorithm: a few steps
    with decoupled or coupled weight decay and the stage's betas land where torch's reference loop does."""
    p = _params("train_cnn", optimizer=name, width=4, dropout=0.0, lr=0.01, momentum=0.8, adam_beta2=0.95)
    torch.manual_seed(0)
    fused_model = build_model("modern", hparams_of(p))
    reference_model = build_model("modern", hparams_of(p))
    reference_model.load_state_dict(fused_model.state_dict())
    fused = make_optimizer(p, fused_model)
    assert all(group["fused"] for group in fused.param_groups)
    reference_type = torch.optim.Adam if name == "adam" else torch.optim.AdamW
    weights = list(reference_model.parameters())
    groups = [
        {"params": [w for w in weights if w.ndim > 1], "weight_decay": p.weight_decay},
        {"params": [w for w in weights if w.ndim <= 1], "weight_decay": 0.0},
    ]
    reference = reference_type(groups, lr=p.lr, betas=(p.momentum, p.adam_beta2), foreach=False)
    initial = {k: v.clone() for k, v in fused_model.state_dict().items()}
    x, y = torch.randn(16, 1, 28, 28), torch.randint(0, 10, (16,))
    for model, optimizer in ((fused_model, fused), (reference_model, reference)):
        for _ in range(3):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
    for key, value in fused_model.state_dict().items():
        torch.testing.assert_close(value, reference_model.state_dict()[key], rtol=1e-4, atol=1e-5)
    assert not torch.equal(fused_model.state_dict()["0.weight"], initial["0.weight"])  # the steps moved it


@pytest.mark.parametrize(("stage", "arch"), [("train_cnn", "modern"), ("train_torch_mlp", "mlp")])
def test_two_short_runs_give_identical_weights(stage, arch):
    shape = {"width": 4} if stage == "train_cnn" else {"hidden": [32]}
    p = _params(stage, arch=arch, **shape, epochs=2, batch_size=32, augment=True)
    data = tiny_data()
    first, _ = train(p, data, live_dir=None)
    second, _ = train(p, data, live_dir=None)
    a, b = first.state_dict(), second.state_dict()
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    other, _ = train(_params(stage, **dict(p.values, seed=7)), data, live_dir=None)
    assert not all(torch.equal(a[k], other.state_dict()[k]) for k in a)


def test_training_learns_and_logs(tmp_path):
    p = _params("train_cnn", width=8, epochs=6, batch_size=16, augment=False, schedule="constant", lr=0.003)
    model, result = train(p, tiny_data(), live_dir=tmp_path / "live")
    assert max(row["val_accuracy"] for row in result.history) >= 0.8  # chance is 0.1
    assert (tmp_path / "live/plots/metrics/val/accuracy.tsv").read_text().count("\n") == 7
    assert not model.training


def test_divergence_names_the_lr():
    p = _params(
        "train_torch_mlp",
        arch="notebook_mlp",
        optimizer="sgd",
        lr=10.0,
        schedule="constant",
        epochs=2,
        batch_size=8,
        augment=False,
        label_smoothing=0.0,
    )
    data = tiny_data()
    data.images["train"][:] *= 1e6
    with pytest.raises(PipelineError, match=r"train_torch_mlp.lr = 10"):
        train(p, data, live_dir=None)


def test_checkpoint_round_trip_and_refusals(tmp_path):
    model = build_model("modern", {"width": 4, "dropout": 0.1})
    meta = {"arch": "modern", "hparams": {"width": 4, "dropout": 0.1}, "normalization": {"mean": 0.1}}
    path = tmp_path / "cnn.pt"
    save_checkpoint(path, model, meta)
    loaded, loaded_meta = load_checkpoint(path)
    assert loaded_meta["normalization"] == {"mean": 0.1} and not loaded.training
    for key, value in model.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key])

    save_checkpoint(path, model, dict(meta, hparams={"width": 8, "dropout": 0.1}))
    with pytest.raises(CheckpointError, match=r"cnn.pt: weights do not fit arch 'modern'.*size mismatch"):
        load_checkpoint(path)
    path.write_bytes(b"garbage" * 10)
    with pytest.raises(CheckpointError, match=r"cnn\.pt: not a readable checkpoint"):
        load_checkpoint(path)
    torch.save({"state_dict": {}, "meta": "{}"}, path)
    with pytest.raises(CheckpointError, match="expected 'mnist-dvc/torch/1'"):
        load_checkpoint(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cnn.pt"]  # no temporary files left behind


def test_device_auto_picks_cpu_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert select_device("auto") == torch.device("cpu")
    with pytest.raises(PipelineError, match="no CUDA device is available"):
        select_device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert select_device("auto") == torch.device("cuda")


def test_augmentation_is_per_image_and_keeps_the_background():
    background = -0.4
    images = torch.full((16, 1, 28, 28), background)
    images[:, :, 10:18, 10:18] = 2.0
    out = random_affine(images, 1.0, background, torch.Generator().manual_seed(0))
    assert out.shape == images.shape
    assert torch.allclose(out[:, :, :3, :], torch.tensor(background))  # border stays blank paper
    assert len({tuple(o.flatten().tolist()) for o in out}) == 16  # every image got its own transform
    assert torch.equal(random_affine(images, 0.0, background, torch.Generator()), images)


@pytest.mark.parametrize(
    ("stage", "key", "value", "message"),
    [
        (
            "train_cnn",
            "arch",
            "resnet",
            "expected one of modern, compact, notebook_cnn_simple, notebook_cnn_improved",
        ),
        ("train_torch_mlp", "arch", "modern", "expected one of mlp, notebook_mlp"),
        ("train_cnn", "optimizer", "lion", "expected one of sgd, momentum, adam, adamw"),
        ("train_cnn", "device", "tpu", "expected one of auto, cpu, cuda"),
        ("train_cnn", "precision", "float16", "expected one of auto, float32, bfloat16"),
        ("train_cnn", "augment", "yes", "expected true or false"),
        ("train_cnn", "num_threads", 0, "expected an integer >= 1"),
        ("train_torch_mlp", "label_smoothing", 1.0, "expected a number >= 0 and < 1"),
    ],
)
def test_bad_params_are_rejected(stage, key, value, message):
    with pytest.raises(ParamsError, match=message):
        _params(stage, **{key: value})


def test_project_torch_params_are_valid():
    for stage in ("train_torch_mlp", "train_cnn"):
        assert _params(stage).num_threads >= 1


def test_ema_and_augment_epochs_in_the_torch_trainer():
    data = tiny_data()
    base = dict(width=4, epochs=2, batch_size=32, keep="last")

    def state(**overrides):
        model, _ = train(_params("train_cnn", **base, **overrides), data, live_dir=None)
        return model.state_dict()

    plain = state(augment=False)
    same = state(augment=True, augment_epochs=0)
    assert all(torch.equal(plain[k], same[k]) for k in plain)
    assert not torch.equal(state(augment=True, augment_epochs=1)["0.weight"], plain["0.weight"])
    averaged = state(augment=False, ema_decay=0.9)
    assert not torch.equal(averaged["0.weight"], plain["0.weight"])
    # The running statistics of batch norm are averaged too (AveragedModel's use_buffers).
    assert not torch.equal(averaged["1.running_mean"], plain["1.running_mean"])
    nearly_raw = state(augment=False, ema_decay=1e-9)
    for key in plain:
        if plain[key].is_floating_point():
            assert torch.allclose(plain[key], nearly_raw[key], atol=1e-5), key


def test_precision_auto_uses_bfloat16_only_where_native(monkeypatch):
    cpu = torch.device("cpu")
    assert autocast_dtype("float32", cpu) is None
    monkeypatch.setattr(torch_train, "native_bfloat16", lambda device: True)
    assert autocast_dtype("auto", cpu) == torch.bfloat16
    assert autocast_dtype("bfloat16", cpu) == torch.bfloat16
    monkeypatch.setattr(torch_train, "native_bfloat16", lambda device: False)
    assert autocast_dtype("auto", cpu) is None
    with pytest.raises(PipelineError, match="precision = 'bfloat16' but this CPU has no native bfloat16"):
        autocast_dtype("bfloat16", cpu)


@pytest.mark.skipif(
    not torch_train.native_bfloat16(torch.device("cpu")), reason="this CPU has no native bfloat16"
)
def test_bfloat16_training_is_deterministic_and_keeps_float32_weights():
    data = tiny_data()
    p = _params(
        "train_cnn",
        width=8,
        epochs=6,
        batch_size=16,
        augment=False,
        schedule="constant",
        precision="bfloat16",
    )
    first, result = train(p, data, live_dir=None)
    second, _ = train(p, data, live_dir=None)
    full, _ = train(_params("train_cnn", **dict(p.values, precision="float32")), data, live_dir=None)
    a, b, c = first.state_dict(), second.state_dict(), full.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert a["0.weight"].dtype == torch.float32  # autocast: only the arithmetic is bfloat16
    assert not torch.equal(a["0.weight"], c["0.weight"])  # ... and it really ran in bfloat16
    assert max(row["val_accuracy"] for row in result.history) >= 0.8  # and learns as well (chance: 0.1)
