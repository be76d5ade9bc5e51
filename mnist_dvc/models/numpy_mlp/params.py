"""The NumPy family's params: the schema of train_numpy_mlp (and of any NumPy model added to params.yaml),
apart from the network's code so that check_params reads it without NumPy's training code."""

from __future__ import annotations

from mnist_dvc.models.trainer_schema import AVERAGING_AND_AUGMENTATION, OPTIMIZATION
from mnist_dvc.params import StageSchema
from mnist_dvc.validation import choice, integer, list_of, number

SCHEMAS = {
    "train_numpy_mlp": StageSchema(
        "train_numpy_mlp",
        {
            "hidden": list_of(integer(1, 16384)),  # hidden layer sizes, any depth ([] = softmax regression)
            "activation": choice("relu", "sigmoid", "tanh"),
            "init": choice("he", "xavier"),
            # adamw is torch-only: here weight_decay is an L2 term in the loss, as with adam.
            "optimizer": choice("sgd", "momentum", "adam"),
            **OPTIMIZATION,
            **AVERAGING_AND_AUGMENTATION,
            "weight_decay": number(0, 1),  # L2 penalty on the weights (not the biases)
            "dropout": number(0, 1, hi_open=True),  # on hidden layers, training only
            "keep": choice("best", "last"),  # best = the epoch with the highest validation accuracy
            "num_threads": integer(1, 256),  # BLAS threads; results are bit-identical only at equal counts
        },
    )
}
