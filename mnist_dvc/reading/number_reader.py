"""The number reader in use: a written number read whole, without cutting it into digits first.

Digits written close together touch, and slanted ones overlap in x, so some numbers cannot be cut into
their digits by any line (:mod:`mnist_dvc.reading.segment` tries along the slant). The reader (trained by
stage train_number_reader: :mod:`mnist_dvc.models.number_reader`) reads the writing as a sequence of
columns (:mod:`mnist_dvc.models.number_reader.sequence`). Here it runs through its ONNX file with ONNX
Runtime, without torch, as the models do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_dvc.models.number_reader.sequence import (
    FORMAT,
    INPUT_HEIGHT,
    INPUT_WIDTH,
    MARGIN,
    STEPS,
    decode,
    reader_input,
)
from mnist_dvc.models.onnx_model import OnnxModelError, open_session


@dataclass
class Reading:
    """What the reader read in one piece of writing: its digits, left to right, each digit's ten
    probabilities (rows of ``probabilities``) and the x (in the crop's pixels) where it read it."""

    digits: list[int]
    probabilities: np.ndarray
    centres: np.ndarray


class NumberReader:
    """The trained reader, from its ONNX file (refused in one line if missing, foreign or corrupt)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.session, self.meta = open_session(self.path, FORMAT)
        inputs = self.session.get_inputs()
        if len(inputs) != 1 or list(inputs[0].shape[1:]) != [1, INPUT_HEIGHT, INPUT_WIDTH]:
            raise OnnxModelError(
                f"{path}: takes {inputs[0].shape}; expected N x 1 x {INPUT_HEIGHT} x {INPUT_WIDTH}"
            )
        self.input_name = inputs[0].name

    def log_probs(self, images: np.ndarray) -> np.ndarray:
        """(N, INPUT_HEIGHT, INPUT_WIDTH) inputs -> (N, STEPS, 11) log-probabilities."""
        return self.session.run(None, {self.input_name: np.ascontiguousarray(images[:, None], np.float32)})[0]

    def read(self, crop: np.ndarray) -> Reading:
        """One piece of writing (a bool mask, cut to its ink) read whole."""
        image, scale = reader_input(crop)
        digits, probabilities, steps = decode(self.log_probs(image[None])[0])
        step_width = INPUT_WIDTH / STEPS
        centres = ((steps + 0.5) * step_width - MARGIN) / scale + np.flatnonzero(crop.any(axis=0))[:1].sum()
        return Reading(digits, probabilities, centres)


def load_reader(path: Path) -> NumberReader | None:
    """The reader at ``path``, or None where it was never trained (numbers are then cut by reading)."""
    return NumberReader(path) if Path(path).is_file() else None


def part_masks(crop: np.ndarray, centres: np.ndarray) -> list[np.ndarray]:
    """The crop's ink shared out among the digits read at ``centres`` (x in the crop): each pixel goes to
    the digit whose centre is nearest along the writing's slant; a digit that gets no ink (two read
    close together) keeps the ink of its own column."""
    from mnist_dvc.reading.segment import unslanted_x

    position = unslanted_x(crop)
    bounds = (centres[1:] + centres[:-1]) / 2
    owner = np.searchsorted(bounds, position)
    masks = []
    for i, centre in enumerate(centres):
        mask = crop & (owner == i)
        if not mask.any():
            mask = crop & (np.abs(position - centre) <= max(2.0, 0.1 * crop.shape[0]))
        masks.append(mask if mask.any() else crop)
    return masks


def read_rows(count: int, read: np.ndarray | None) -> np.ndarray:
    """``read`` for ``count`` digits as (count, 10) rows: all NaN (the models read them) where it is None."""
    return np.full((count, 10), np.nan, np.float32) if read is None else read


def overruled(probabilities: np.ndarray, read: np.ndarray | None) -> np.ndarray:
    """The models' ``probabilities`` (N, 10), with the digits the reader read (rows of ``read`` that are
    not NaN) given the reader's probabilities instead."""
    if read is None:
        return probabilities
    rows = ~np.isnan(read[:, 0])
    return np.where(rows[:, None], read, probabilities)
