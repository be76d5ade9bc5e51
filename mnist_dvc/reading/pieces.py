"""The ink's pieces grouped into digits, side by side in a row, and touching digits cut apart."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from mnist_dvc.reading.measures import Box, box_of, frame_of, long_side_of, stroke_width, union
from mnist_dvc.reading.mnist_style import mnist_digit
from mnist_dvc.reading.not_writing import (
    SPECK,
    TIGHT_CROP,
    along_edge,
    at_edge,
    box_sides,
    is_outline,
    line_across,
    ruled_line,
    small_at_edge,
    without_boxes,
    without_stray_dots,
)
from mnist_dvc.reading.number_reader import NumberReader, part_masks
from mnist_dvc.reading.segment import Judge, surest, unslanted_x, ways_to_cut

MAX_STROKE_SHARE = 0.4  # of a digit's long side: thicker "strokes" are shadows or blots

NUMBER_STROKES = 5.0  # ...unless this many stroke widths tall: touching digits of a number

SPLIT_ASPECT = 1.8  # a crop wider than this many heights holds touching digits...

MIN_PART = 0.3  # ...each at least this share of the height wide...

PART_HEIGHT = 0.6  # ...and this share of it tall

SIDE_OVERLAP = 0.5  # of the narrower: pieces side by side that overlap less in x are two digits...

SIDE_HEIGHT = 0.6  # ...when the shorter is at least this share of the taller's height

MAX_ASPECT = 3.0  # width over height: wider groups are slivers of lines, not digits

TIGHT_SHARE = 0.5  # of the short side: writing this large that runs into the edge was cropped tight

MIN_DIGIT_HEIGHT = 0.025  # of the long side: smaller writing is no digit

SAME_DIGIT_GAP = 0.08  # of a digit's height: pieces closer than this side by side are one digit

UNDERLINE = 4.0  # width over height: a flat piece this flat, below a digit, underlines it

BAR_GAP = 0.75  # of a digit's height: how far above or below it a flat piece (a bar written apart) may be

SAME_ROW = 0.5  # another digit overlaps the main one vertically by this share of the smaller height

MIN_HEIGHT_SHARE = 0.4  # ...and is at least this share of the main digit's height...

MAX_HEIGHT = 2.0  # ...and at most this many times it (a margin line beside a digit is longer)

MAX_GAP = 1.5  # ...and lies within this many digit heights of its neighbour in the row

# Of the height, unslanted: in a number, writing kept whole by the models' cut but read as several digits
# by the number reader is taken as several from this width. A lone digit is often as wide (MNIST's are
# 0.74 heights at the median), but a "1" written overlapping its neighbour leaves a pair not much wider.
# Outside a number, a lone wide digit read as two ("8" as "88") is the likelier mistake: there the reader
# reads only what the models' cut divides.
NUMBER_WIDTH = 0.6


class Part(NamedTuple):
    """A digit found: the crop of its ink (bool), where that lies (a pair of slices), and, where the
    number reader read it, its ten probabilities (else None: the models read it)."""

    crop: np.ndarray
    where: tuple
    read: np.ndarray | None = None


def digit_boxes(
    mask: np.ndarray, inside: np.ndarray | None = None, split: Callable | None = None, scan: bool = False
) -> list[Part]:
    """The digits of the mask, left to right, each a :class:`Part`. Writing that may hold touching digits
    is cut by ``split(crop, where)`` (by default :func:`_split`). In a ``scan`` (a small picture: a crop),
    a straight stroke from edge to edge is a "1" cropped tight; in a photo, it is a line across the
    picture.

    Components closer than half a height to one another and overlapping in x form one digit (a "5" whose
    bar is apart); the largest digit sets the line of writing, and others of similar height on that line,
    near enough to it, join it: a number such as "2025".
    """
    from skimage.measure import label, regionprops
    from skimage.morphology import skeletonize

    labels = label(mask, connectivity=2)
    regions = regionprops(labels)
    if not regions:
        return []
    frame = frame_of(mask.shape, inside)
    largest = max(regions, key=lambda r: r.area)
    # Small marks cut by the picture's edge are the edge's doing (vignetting, the page's border, a table):
    # dropped before grouping, so that they cannot join a digit above them, and again as groups below.
    # Unless the writing itself runs into the edge (a digit cropped tight, as large as the picture's
    # short side by TIGHT_SHARE): then they are its strokes.
    short = frame.short_side
    skeleton = skeletonize(mask)
    skeleton_length = np.bincount(labels[skeleton], minlength=labels.max() + 1)
    cropped_tight = (
        at_edge([largest], frame, reach=TIGHT_CROP * short)
        and long_side_of([largest]) >= TIGHT_SHARE * short
        and not ruled_line([largest], stroke_width([largest], skeleton_length), frame, tight=scan)
    )
    pieces = [
        r for r in regions
        if r.area >= max(4, SPECK * largest.area)
        and (cropped_tight or not (small_at_edge([r], frame) or along_edge(r, frame)))
    ]  # fmt: skip
    # A digit written touching the box drawn round it is one piece with it: the box's sides are taken
    # out, and what it held read again.
    sides = [(r, s) for r in pieces if (s := box_sides(r, skeleton, skeleton_length)) is not None]
    if sides:
        opened = mask.copy()
        for region, side in sides:
            opened[tuple(region.coords[side].T)] = False
        return digit_boxes(opened, inside, split, scan)
    pieces = [r for r in pieces if not is_outline(r, pieces)]
    # A line across the picture (a margin line, a page's edge) may pass a digit close enough to join it.
    pieces = [
        r for r in pieces if not line_across([r], stroke_width([r], skeleton_length), frame, cropped_tight)
    ]  # fmt: skip
    if not (cropped_tight and at_edge([largest], frame)):
        # Writing cut off by the picture's edge has straight sides there, box or not; a box near the
        # edge that it does not reach is still a box.
        pieces = without_boxes(pieces, skeleton, skeleton_length)
    groups = [without_stray_dots(g) for g in _group(pieces)]
    # Writing is made of strokes: a group whose ink is as thick as it is large is a shadow or a blot.
    groups = [g for g in groups if stroke_width(g, skeleton_length) <= MAX_STROKE_SHARE * long_side_of(g)]
    groups = [g for g in groups if cropped_tight or not small_at_edge(g, frame)]
    # A straight line across the picture, or far from upright, is a ruler's or an edge's, not writing.
    pens = [stroke_width(g, skeleton_length) for g in groups]
    groups = [
        g for g, pen in zip(groups, pens, strict=True) if not ruled_line(g, pen, frame, cropped_tight, scan)
    ]  # fmt: skip
    if not groups:
        return []
    boxes = [box_of(group) for group in groups]
    # A sliver far wider than tall is what is left of a line (or a lone bar): never a digit of its own.
    # Touching digits of a number are wide too, but tall against their stroke width.
    shaped = [
        i for i in range(len(groups))
        if boxes[i].width <= MAX_ASPECT * boxes[i].height
        or boxes[i].height >= NUMBER_STROKES * stroke_width(groups[i], skeleton_length)
    ]  # fmt: skip
    if not shaped:
        return []
    main = max(shaped, key=lambda i: sum(r.area for r in groups[i]))
    top, bottom, height = boxes[main].top, boxes[main].bottom, boxes[main].height
    if height < max(6, MIN_DIGIT_HEIGHT * frame.long_side):  # the largest writing too small: no digit
        return []

    def on_the_row(box: Box) -> bool:
        overlap = min(box.bottom, bottom) - max(box.top, top)
        return (
            MIN_HEIGHT_SHARE * height <= box.height <= MAX_HEIGHT * height
            and overlap >= SAME_ROW * min(box.height, height)
        )  # fmt: skip

    row = sorted((i for i in shaped if on_the_row(boxes[i])), key=lambda i: boxes[i].left)
    # The run of digits around the main one whose gaps stay small: farther writing is something else.
    start = stop = row.index(main)
    while start > 0 and boxes[row[start]].left - boxes[row[start - 1]].right <= MAX_GAP * height:
        start -= 1
    while stop < len(row) - 1 and boxes[row[stop + 1]].left - boxes[row[stop]].right <= MAX_GAP * height:
        stop += 1
    crops = []
    for i in row[start : stop + 1]:
        t, left, b, right = boxes[i]
        where = np.s_[t:b, left:right]
        crop = np.isin(labels[where], [region.label for region in groups[i]])
        # Touching digits are wide but tall against their pen; a flat scribble is not a number.
        tall = b - t >= NUMBER_STROKES * stroke_width(groups[i], skeleton_length)
        crops.extend((split or _split)(crop, where) if tall else [Part(crop, where)])
    return crops


def _split(crop: np.ndarray, where: tuple, height: int | None = None) -> list[Part]:
    """A crop wider than SPLIT_ASPECT heights (touching or overlapping digits of a number) cut in two at
    its deepest valley of ink, each part at least MIN_PART of its height wide, and each part again until
    none is that wide; a crop of one digit as it is. Each part is trimmed to its ink; ``height`` is the
    number's, which its parts keep."""
    rows, cols = where
    ys, xs = np.nonzero(crop)
    if ys.size == 0:
        return []
    t, b, left, right = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop = crop[t:b, left:right]
    where = np.s_[rows.start + t : rows.start + b, cols.start + left : cols.start + right]
    height = height or crop.shape[0]
    width = crop.shape[1]
    margin = int(MIN_PART * height)
    if width <= SPLIT_ASPECT * height or width <= 2 * margin:
        return [Part(crop, where)]
    profile = crop.sum(axis=0)
    cut = margin + int(np.argmin(profile[margin : width - margin]))
    if min(_ink_height(crop[:, :cut]), _ink_height(crop[:, cut:])) < PART_HEIGHT * height:
        return [Part(crop, where)]  # a part as flat as a stroke: a digit's long bar or tail, not a digit
    rows, cols = where
    return [
        *_split(crop[:, :cut], np.s_[rows, cols.start : cols.start + cut], height),
        *_split(crop[:, cut:], np.s_[rows, cols.start + cut : cols.stop], height),
    ]


def read_apart(
    crop: np.ndarray,
    where: tuple,
    strength: np.ndarray,
    judge: Judge,
    reader: NumberReader | None = None,
    number: bool = False,
) -> list[Part]:
    """:func:`_split`'s task done by :func:`mnist_dvc.reading.segment.ways_to_cut`, each part drawn as the
    models will receive it (:func:`mnist_digit`) and trimmed to its ink. With a ``reader``, writing that
    holds several digits is read whole by it (:mod:`mnist_dvc.reading.number_reader`): touching and
    overlapping digits that no cut separates. Several digits: the models' cut gives two or more parts,
    or, in a ``number`` (the user said so: `predict --number`), the reader reads two or more in writing
    at least NUMBER_WIDTH of its height wide. Each part then carries the reader's probabilities."""

    def draw(part: np.ndarray) -> np.ndarray:
        piece, box = _trimmed(part, where)
        return mnist_digit(piece, strength[box])

    ways = ways_to_cut(crop, judge, draw)
    parts = surest(ways)
    # The reader runs only where its answer may count: writing the models cut, or a number's wide piece.
    cut = len(parts) > 1
    if reader is not None and (
        cut or (number and np.ptp(unslanted_x(crop)[crop]) + 1 >= NUMBER_WIDTH * crop.shape[0])
    ):
        reading = reader.read(crop)
        if reading.digits and (cut or len(reading.digits) > 1):
            # The picture of what was read: the surest cut into as many parts as the reader read
            # digits, else (no such cut) the ink shared out by where the reader read each digit.
            count = len(reading.digits)
            masks = ways[count][1] if count in ways else part_masks(crop, reading.centres)
            read = reading.probabilities
            return [Part(*_trimmed(m, where), digit) for m, digit in zip(masks, read, strict=True)]
    return [Part(*_trimmed(part, where)) for part in parts]


def _trimmed(part: np.ndarray, where: tuple) -> tuple[np.ndarray, tuple]:
    """A part of a crop cut to its ink, and where that lies (``where``: the crop's own place)."""
    rows, cols = np.flatnonzero(part.any(axis=1)), np.flatnonzero(part.any(axis=0))
    top, left = where[0].start, where[1].start
    box = np.s_[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return part[box], np.s_[top + rows[0] : top + rows[-1] + 1, left + cols[0] : left + cols[-1] + 1]


def _ink_height(crop: np.ndarray) -> int:
    rows = np.flatnonzero(crop.any(axis=1))
    return int(rows[-1] - rows[0] + 1) if rows.size else 0


def _group(regions: list) -> list[list]:
    """Components that overlap in x and are vertically close belong to one digit; merged groups are
    compared again until nothing changes (a digit in three pieces)."""
    groups = [[region] for region in regions]
    while True:
        boxes = [box_of(group) for group in groups]
        root = union(len(groups), [(i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes))
                                    if _same_digit(boxes[i], boxes[j])])  # fmt: skip
        merged: dict[int, list] = {}
        for i, group in enumerate(groups):
            merged.setdefault(root[i], []).extend(group)
        if len(merged) == len(groups):
            return groups
        groups = list(merged.values())


def _same_digit(a: Box, b: Box) -> bool:
    """Boxes that overlap in x, or nearly (SAME_DIGIT_GAP of the taller one's
    height: a stroke lifted and set down again), less than half a height apart vertically; a flat piece
    (a 5's or a 7's bar, written apart) up to BAR_GAP of a height, above the digit's middle. Pieces side
    by side (overlapping vertically, of similar heights) must overlap in x by SIDE_OVERLAP of the
    narrower one."""
    height = max(a.height, b.height)
    overlap_x = min(a.right, b.right) - max(a.left, b.left)
    flats = [box for box in (a, b) if box.width >= 2 * box.height]
    if len(flats) == 1:
        line, other = flats[0], (b if flats[0] is a else a)
        if line.top >= (other.top + other.bottom) / 2 and line.width >= UNDERLINE * line.height:
            return False  # a straight line below a digit is an underline, not its bar
    gap = max(a.top, b.top) - min(a.bottom, b.bottom)
    low, high = sorted((a.height, b.height))
    side_by_side = -gap >= 0.5 * low and low >= SIDE_HEIGHT * high  # two digits of a number
    if side_by_side and not flats:
        # Neighbours in a slanted number overlap a little in x; a digit's own strokes overlap a lot.
        return overlap_x >= SIDE_OVERLAP * min(a.width, b.width)
    return overlap_x > -SAME_DIGIT_GAP * height and gap <= (BAR_GAP if flats else 0.5) * height
