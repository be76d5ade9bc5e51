"""What the PyTorch family's stage does: train with the one loop, save the checkpoint and its ONNX twin,
write timing, report."""

from __future__ import annotations

import torch

from mnist_dvc.data.dataset import load_prepared
from mnist_dvc.models.onnx_model import twin_of
from mnist_dvc.models.registry import ModelEntry, trainer_params
from mnist_dvc.models.torch_nets.checkpoint import save_checkpoint
from mnist_dvc.models.torch_nets.inference import predict_logits
from mnist_dvc.models.torch_nets.onnx_export import export_onnx
from mnist_dvc.models.torch_nets.params import SCHEMAS
from mnist_dvc.models.torch_nets.train import autocast_dtype, hparams_of, select_device, train
from mnist_dvc.models.training import images_per_second, report, run_metadata
from mnist_dvc.paths import PREPARED_DIR, training_dir
from mnist_dvc.timing import write_timing


def run(entry: ModelEntry, seed: int) -> None:
    """Train the registry's model ``entry`` with ``seed``, by its params group ``train_<name>``."""
    p = trainer_params(entry, SCHEMAS, seed)
    data = load_prepared(PREPARED_DIR, ("train", "val"))
    net, result = train(p, data, training_dir(entry.name, seed))
    # Reported for the CPU: the pipeline must run on one, whatever trained the model.
    cpu = torch.device("cpu")
    speed = images_per_second(lambda x: predict_logits(net, torch.from_numpy(x), cpu), data.images["val"])
    val_logits = predict_logits(net, torch.from_numpy(data.images["val"]), cpu).numpy()
    architecture = {"arch": p.arch, "hparams": hparams_of(p)}
    # What `precision: auto` became on this machine (the params keep "auto").
    trained_in = autocast_dtype(p.precision, select_device(p.device)) or torch.float32
    meta = run_metadata(p, result, data.meta["normalization"], val_logits, data.labels["val"])
    meta = {**architecture, **meta, "precision": str(trained_in).removeprefix("torch.")}
    save_checkpoint(entry.file(seed), net, meta)
    export_onnx(twin_of(entry.file(seed)), net.to(cpu), meta, entry.file(seed))
    write_timing(entry.name, seed, result.train_seconds, speed)
    report(f"{p.stage} (seed {seed})", result, entry.file(seed))
