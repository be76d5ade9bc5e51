"""params.yaml's train_number_reader group."""

from __future__ import annotations

from mnist_dvc.models.number_reader.sequence import MAX_DIGITS
from mnist_dvc.params import ParamsError, StageSchema
from mnist_dvc.validation import integer, list_of, number

RANGES = ("digits", "gaps", "slant", "pen", "height")  # each a [lowest, highest] pair


def _ranges(values: dict, key: str) -> None:
    for name in RANGES:
        pair = values[name]
        if len(pair) != 2 or pair[0] > pair[1]:
            raise ParamsError(f"params.yaml: {key}.{name} = {values[name]}: expected [lowest, highest]")


SCHEMA = StageSchema(
    "train_number_reader",
    {
        "numbers": integer(10),  # written numbers to train on, made from the train split's digits
        "val_numbers": integer(10),  # ...and to measure on, from the validation split's
        "digits": list_of(integer(1, MAX_DIGITS), min_len=2),  # how many digits a number has
        "gaps": list_of(number(-0.5, 2.0), min_len=2),  # between digits, in shares of the height
        "slant": list_of(number(-40, 40), min_len=2),  # degrees; positive leans right
        "pen": list_of(number(0.005, 0.3), min_len=2),  # the pen's width in shares of the height
        "height": list_of(integer(8, 400), min_len=2),  # pixels, before the reader's scaling
        "width": integer(4, 256),  # channels of the first convolution
        "hidden": integer(8, 1024),  # units of the recurrent layer, each way
        "epochs": integer(1, 1000),
        "batch_size": integer(1, 65536),
        "lr": number(0, 1, lo_open=True),  # Adam's peak learning rate (one-cycle)
        "seed": integer(0, 2**32 - 1),
        "num_threads": integer(1, 256),
    },
    rule=_ranges,
)
