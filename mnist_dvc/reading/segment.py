"""Touching digits of a number cut apart where the models read them best.

Digits written close together touch, and slanted writing makes neighbours overlap in x, so no gap and no
single valley of ink says where one digit ends. Here a wide piece of writing is cut, along its slant,
at valleys of its ink, in every way that leaves parts of a digit's width; each part is drawn as the models
receive it, and the cutting whose parts the models read most surely wins (dynamic programming over the
cuts: the sum of each part's log-probability of its best class), for each count of parts, so that a
reader that knows the count (:mod:`mnist_dvc.reading.number_reader`) can take that cut. A single
digit is kept whole when the models read it whole more surely than as pieces, which is how a wide "0"
or a long-tailed "7" survives.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Judge = Callable[[np.ndarray], np.ndarray]  # digits (N, 28, 28) in [0, 1] -> log-probabilities (N, 10)

MIN_WIDTH = 1.0  # of the height, once unslanted: narrower writing is one digit and is not cut (MNIST's
# digits, unslanted, are 0.74 heights wide at the median, 1.1 at the 95th percentile)
PART_WIDTH = (0.2, 1.25)  # of the height, unslanted: the narrowest and widest part that is one digit
MAX_SLANT = 0.6  # tan of the steepest slant taken from the writing (31 degrees)
WHOLE_WIDTH = 1.1  # of the height, unslanted: a piece of ink this narrow (95% of MNIST's digits are) is
# one digit or part of one, never cut
TALL = 0.45  # of the height: two pieces this tall, each one digit's, are tried apart however narrow
VALLEY = 0.04  # of the height: the ink's profile is smoothed over this much before its valleys are found


def surest(ways: dict[int, tuple[float, list[np.ndarray]]]) -> list[np.ndarray]:
    """The parts of the surest of :func:`ways_to_cut`'s cuttings, whatever their count."""
    return max(ways.values(), key=lambda way: way[0])[1]


def ways_to_cut(crop: np.ndarray, judge: Judge, draw: Callable) -> dict[int, tuple[float, list[np.ndarray]]]:
    """The surest way to cut a piece of writing (bool crop) into each count of parts it can be cut into:
    count -> (the sum of the parts' log-probabilities of their best class, the parts' masks left to
    right). ``draw(mask)`` makes a part's 28x28 digit, as the models will receive it."""
    height = crop.shape[0]
    ys, xs = np.nonzero(crop)
    position = unslanted_x(crop)[ys, xs]
    position = position - position.min()
    end = float(position.max()) + 1
    at, apart = _whole_pieces(crop, ys, position)
    whole = {1: (0.0, [crop])}
    if end < MIN_WIDTH * height and apart < 2:
        return whole
    profile = np.bincount(position.astype(int))
    cuts = [0.0, *map(float, valleys(profile, height)), end]
    parts = {}
    for i in range(len(cuts)):
        for j in range(i + 1, len(cuts)):
            spans_all = (i, j) == (0, len(cuts) - 1)
            if spans_all or PART_WIDTH[0] * height <= cuts[j] - cuts[i] <= PART_WIDTH[1] * height:
                chosen = (at >= cuts[i]) & (at < cuts[j])
                if not chosen.any():  # between the two edges of a gap
                    continue
                mask = np.zeros_like(crop)
                mask[ys[chosen], xs[chosen]] = True
                parts[i, j] = mask
    if len(parts) <= 1:
        return whole
    spans = list(parts)
    sureness = judge(np.stack([draw(parts[span]) for span in spans])).max(axis=1)
    score = dict(zip(spans, map(float, sureness), strict=True))
    # best[j, k]: the surest reading of the writing up to cut j in k parts, as (sum of log-probabilities,
    # spans)
    best: dict[tuple[int, int], tuple[float, list]] = {(0, 0): (0.0, [])}
    for j in range(1, len(cuts)):
        for (i, k), (total, chosen_spans) in list(best.items()):
            if i < j and (i, j) in score:
                option = (total + score[i, j], [*chosen_spans, (i, j)])
                if (j, k + 1) not in best or option[0] > best[j, k + 1][0]:
                    best[j, k + 1] = option
    last = len(cuts) - 1
    return {
        k: (total, [parts[span] for span in chosen_spans])
        for (j, k), (total, chosen_spans) in best.items()
        if j == last
    }


def _whole_pieces(crop: np.ndarray, ys: np.ndarray, position: np.ndarray) -> tuple[np.ndarray, int]:
    """Where each ink pixel (rows ``ys``, unslanted x ``position``) counts for the cut, and how many
    pieces may be digits of their own. A piece of ink no wider than one digit (WHOLE_WIDTH) is not cut:
    all of it counts at its middle, so it goes whole with the part that holds that, and digits apart
    but overlapping in x (slanted writing, a "1" under a "7"'s bar) come apart along their own strokes.
    Wider pieces (digits that touch) are cut by their x. The count is of narrow pieces TALL of the height
    or taller: two such are tried apart, however narrow the writing."""
    from scipy import ndimage
    from skimage.measure import label

    height = crop.shape[0]
    labels = label(crop, connectivity=2)[crop]  # in the order of np.nonzero(crop), as ys and position
    ids = np.arange(1, labels.max() + 1)
    left, right = ndimage.minimum(position, labels, ids), ndimage.maximum(position, labels, ids)
    top, bottom = ndimage.minimum(ys, labels, ids), ndimage.maximum(ys, labels, ids)
    narrow = right - left <= WHOLE_WIDTH * height
    own = labels - 1  # each pixel's piece, as an index into those
    at = np.where(narrow[own], ndimage.mean(position, labels, ids)[own], position)
    return at, int(np.count_nonzero(narrow & (bottom - top >= TALL * height)))


def unslanted_x(crop: np.ndarray) -> np.ndarray:
    """Each pixel's x had the writing been upright: x less the slant times its height below the ink's
    middle, the slant measured from the ink's second moments (as MNIST's own deskewing does)."""
    ys, xs = np.nonzero(crop)
    dy = ys - ys.mean()
    slant = float((dy * (xs - xs.mean())).sum() / max(float((dy * dy).sum()), 1e-6))
    slant = float(np.clip(slant, -MAX_SLANT, MAX_SLANT))
    rows, cols = np.indices(crop.shape, dtype=np.float32)
    return cols - slant * (rows - ys.mean())


def valleys(profile: np.ndarray, height: int) -> list[int]:
    """Where the ink's profile (ink per unslanted column) has a local minimum, smoothed over VALLEY of
    the ``height``, away from both ends: the places worth cutting."""
    from scipy.ndimage import uniform_filter1d
    from scipy.signal import find_peaks

    smooth = uniform_filter1d(profile.astype(float), max(1, round(VALLEY * height)), mode="constant")
    # Padded, so that a gap's first and last empty column count as valleys too.
    low, _ = find_peaks(-np.pad(smooth, 1, constant_values=0), distance=max(1, round(VALLEY * height)))
    low = low - 1
    margin = PART_WIDTH[0] * height
    return [int(c) for c in low if margin <= c <= len(profile) - margin]
