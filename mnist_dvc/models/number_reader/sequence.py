"""What the number reader reads and how its answer is spelled out, shared by its training and its use
(torch-free): the writing's mask scaled to INPUT_HEIGHT rows, left-aligned (:func:`reader_input`), read
column by column: each of its STEPS columns is a digit or BLANK, and CTC's rule (repeats merged, blanks
dropped) turns that into the digits (:func:`decode`)."""

from __future__ import annotations

import numpy as np

FORMAT = "mnist-dvc/number-reader/1"
INPUT_HEIGHT, INPUT_WIDTH = 32, 128  # what the reader sees: the writing this high, left-aligned
MARGIN = 2  # empty pixels above, below and before the writing
STEPS = INPUT_WIDTH // 4  # the columns it reads: one per 4 input pixels
BLANK = 10  # the class "no new digit here", after the ten digits
MAX_DIGITS = 8  # longer writing is squeezed into INPUT_WIDTH beyond what the reader learned


def reader_input(crop: np.ndarray) -> tuple[np.ndarray, float]:
    """A piece of writing (a mask) as the reader sees it: (INPUT_HEIGHT, INPUT_WIDTH) float32 in [0, 1],
    the ink scaled to INPUT_HEIGHT - 2 * MARGIN rows (or narrower, to fit the width), left-aligned;
    and the scale, input pixels per crop pixel."""
    from skimage.transform import resize

    rows, cols = np.flatnonzero(crop.any(axis=1)), np.flatnonzero(crop.any(axis=0))
    image = np.zeros((INPUT_HEIGHT, INPUT_WIDTH), np.float32)
    if rows.size == 0:
        return image, 1.0
    ink = crop[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].astype(np.float32)
    h, w = ink.shape
    scale = min((INPUT_HEIGHT - 2 * MARGIN) / h, (INPUT_WIDTH - 2 * MARGIN) / w)
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    image[MARGIN : MARGIN + size[0], MARGIN : MARGIN + size[1]] = resize(
        ink, size, order=1, anti_aliasing=True
    )
    return image, scale


def decode(log_probs: np.ndarray) -> tuple[list[int], np.ndarray, np.ndarray]:
    """CTC's greedy reading of (STEPS, 11) log-probabilities: the digits (each run of one class among
    the steps, blanks dropped), each digit's ten probabilities at its surest step (renormalized without
    the blank), and those steps."""
    probs = np.exp(log_probs - log_probs.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    best = probs.argmax(axis=1)
    digits, rows, steps = [], [], []
    start = 0
    for end in range(1, len(best) + 1):
        if end == len(best) or best[end] != best[start]:
            if best[start] != BLANK:
                step = start + int(np.argmax(probs[start:end, best[start]]))
                digits.append(int(best[start]))
                rows.append(probs[step, :BLANK] / probs[step, :BLANK].sum())
                steps.append(step)
            start = end
    return digits, np.array(rows, np.float32).reshape(-1, 10), np.array(steps, int)
