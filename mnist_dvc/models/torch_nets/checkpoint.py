"""Checkpoints: a ``state_dict`` plus JSON metadata, saved atomically, loaded with ``weights_only=True``."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from mnist_dvc import PipelineError, refusal
from mnist_dvc.fileio import atomic_open
from mnist_dvc.models.torch_nets.architectures import build_model

FORMAT = "mnist-dvc/torch/1"


class CheckpointError(PipelineError):
    """A checkpoint is unreadable or does not fit the architecture it names."""


def save_checkpoint(path: Path, model: nn.Module | dict, meta: dict) -> None:
    """``meta`` must hold ``arch`` and ``hparams`` (what :func:`build_model` needs) and ``normalization``."""
    state = model.state_dict() if isinstance(model, nn.Module) else model
    with atomic_open(path) as handle:
        torch.save({"state_dict": state, "meta": json.dumps({"format": FORMAT, **meta})}, handle)


def load_checkpoint(path: Path) -> tuple[nn.Module, dict]:
    """Rebuild the model the metadata names and load its weights (strictly: every key and shape)."""
    path = Path(path)
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        meta = json.loads(blob["meta"])
        state = blob["state_dict"]
    except FileNotFoundError:
        raise CheckpointError(f"{path}: checkpoint not found") from None
    except Exception as exc:  # torch raises many kinds for a corrupt or foreign file
        raise CheckpointError(f"{path}: not a readable checkpoint ({refusal(exc)})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(
            f"{path}: format {meta.get('format') if isinstance(meta, dict) else meta!r}, expected {FORMAT!r}"
        )
    try:
        model = build_model(meta["arch"], meta["hparams"])
        model.load_state_dict(state, strict=True)
    except (KeyError, ValueError, RuntimeError) as exc:
        lines = str(exc).split("\n\t")  # torch lists every mismatched tensor; the first says enough
        detail = (
            lines[1] + (f" (and {len(lines) - 2} more)" if len(lines) > 2 else "")
            if len(lines) > 1
            else lines[0]
        )
        raise CheckpointError(f"{path}: weights do not fit arch {meta.get('arch')!r}: {detail}") from None
    return model.eval(), meta
