"""The PyTorch family's params: the schemas of train_torch_mlp and train_cnn (and of any torch model added
to params.yaml), apart from the networks' code so that check_params reads them without importing torch."""

from __future__ import annotations

from mnist_dvc.models.trainer_schema import AVERAGING_AND_AUGMENTATION, OPTIMIZATION
from mnist_dvc.params import StageSchema
from mnist_dvc.validation import Validator, choice, integer, list_of, number

# What both torch models accept; each adds its own architectures and shape params.
_TORCH_TRAINING: dict[str, Validator] = {
    "optimizer": choice("sgd", "momentum", "adam", "adamw"),
    **OPTIMIZATION,
    **AVERAGING_AND_AUGMENTATION,
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

SCHEMAS = {
    "train_torch_mlp": StageSchema(
        "train_torch_mlp",
        {
            # notebook_mlp: the notebook's 784-128-64-10
            "arch": choice("mlp", "notebook_mlp", renamed={"seed": "notebook_mlp"}),
            "hidden": list_of(integer(1, 16384), min_len=1),  # arch mlp only
            **_TORCH_TRAINING,
        },
    ),
    "train_cnn": StageSchema(
        "train_cnn",
        {
            "arch": choice(
                "modern",
                "compact",
                "notebook_cnn_simple",
                "notebook_cnn_improved",
                renamed={"seed_simple": "notebook_cnn_simple", "seed_improved": "notebook_cnn_improved"},
            ),
            # arch modern and compact: channels of the first block (then 2x; modern also 4x)
            "width": integer(1, 512),
            **_TORCH_TRAINING,
        },
    ),
}
