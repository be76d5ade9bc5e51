"""A picture of handwriting (a phone photo, a scan, a drawing) -> the MNIST-style digits in it, left to right.

MNIST's digits are white strokes of one pen width on black, fitted into 20x20 and centred by centre of mass
in 28x28. A photo of a notebook page is far from that: uneven light, ruling lines, JPEG noise, a thin
ballpoint or a fat marker, a small digit somewhere on a large page. Each step below removes one of those
differences, with scikit-image doing the image processing:

1. :func:`ink.working_copy`: bounded size, so a 12-Mpixel photo and a 28x28 scan cost about the same.
2. :func:`ink.ink_strength`: the paper's (or board's) own brightness, estimated by a morphological closing
   (opening) wider than any stroke, is subtracted, which removes shadows and uneven light. Dark ink on
   light paper or light chalk on a dark board: whichever leaves the sparser residue, unless told.
3. :func:`ink.ink_mask`: a hysteresis threshold relative to the ink's contrast and above the picture's
   noise.
4. :func:`rulings.remove_rules`: long thin straight lines that run across the picture (ruled, squared
   and margin lines) are found after straightening the picture (Hough transform), and removed except
   where a stroke crosses them; pieces far fainter than the strongest writing (a fold's shaded band, a
   ghost of erased writing) go too (:func:`not_writing.without_faint`).
5. :func:`pieces.digit_boxes`: connected components, specks dropped, grouped into digits along the line
   of writing, left to right; touching digits cut apart where the models read them best, when they are
   given (:mod:`mnist_dvc.reading.segment`); ink that is not writing (boxes, lines, marks at the edge)
   is left out (:mod:`mnist_dvc.reading.not_writing`). No group large enough: no digit.
6. :func:`mnist_style.redraw`: each digit's skeleton redrawn with MNIST's pen, fitted into 20x20, centred
   by mass."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from mnist_dvc.reading.ink import ink_gray, ink_mask, ink_strength, noise_floor, stands_out, working_copy
from mnist_dvc.reading.measures import frame_of
from mnist_dvc.reading.mnist_style import KEEP_PEN, SCAN_FLOOR, SIDE, mnist_digit, pen_share, scan_digit
from mnist_dvc.reading.not_writing import at_edge_box, without_faint
from mnist_dvc.reading.number_reader import NumberReader
from mnist_dvc.reading.pieces import digit_boxes, read_apart
from mnist_dvc.reading.rulings import remove_rules
from mnist_dvc.reading.segment import Judge

SCAN_HALO = 0.4  # of a scan's darkest: fainter shades, measured against its one paper, are its blur's halo

INKS = ("auto", "dark", "light")


@dataclass
class Found:
    """What :func:`find_digits` saw: the digits (N, 28, 28) in [0, 1], left to right (N = 0: no digit)."""

    digits: np.ndarray
    ink: str  # "dark" (ink on paper) or "light" (chalk on a board), as decided or forced
    # (N, 10): the number reader's probabilities for the digits it read, NaN rows where the models read
    read: np.ndarray | None = None


def find_digits(
    picture: np.ndarray,
    ink: str = "auto",
    judge: Judge | None = None,
    reader: NumberReader | None = None,
    number: bool = False,
) -> Found:
    """A picture (H, W) gray or (H, W, 3) colour on 0-255 -> the handwritten digits in it, MNIST-style.
    With a ``judge`` (the models' log-probabilities for digits), touching digits are cut apart where
    it reads them best (:mod:`mnist_dvc.reading.segment`), and with a ``reader`` as well, writing of
    several digits is read whole by it (:func:`pieces.read_apart`; more readily in a ``number``: the
    user said it holds one); without either, touching digits are cut at the deepest valley of their ink."""
    from mnist_dvc.reading.flatten import flatten, pad
    from mnist_dvc.reading.surface import MIN_PHOTO_SIDE, as_rgb, border_colour, find_surface

    if ink not in INKS:
        raise ValueError(f"ink must be one of {INKS}, got {ink!r}")
    rgb = as_rgb(working_copy(picture))
    surface = find_surface(rgb)
    if surface is not None:
        rgb, inside = flatten(rgb, surface)
        paper = surface.colour
    scan = surface is None and min(rgb.shape[:2]) < MIN_PHOTO_SIDE
    if surface is None:  # the surface fills the frame
        paper, inside = border_colour(rgb), np.ones(rgb.shape[:2], bool)
        if scan:
            # A scan or a crop: the paper goes on past it, so a digit cropped tight, whose strokes run
            # into the edge, gets paper all round, as a photo's digit has.
            rgb, inside = pad(rgb, inside, paper)
    gray = ink_gray(rgb, paper)
    strength, ink = ink_strength(gray, ink)
    mask, grid_floor = ink_mask(strength), None
    if mask is None and not scan:
        # A dense grid (squared paper) can cover most of a photographed page: then the picture's median
        # is the grid's, and nothing stands out of it. The paper is measured from its lightest pixels
        # instead, the grid goes with the rulings, and what is left must stand out of the grid as
        # writing does. (A scan is a crop, too small to hold such a grid.)
        grid_floor = noise_floor(strength, lightest=True)
        mask = ink_mask(strength, floor=grid_floor)
    if mask is None:
        return Found(np.zeros((0, SIDE, SIDE), np.float32), ink)
    mask, strength, inside = remove_rules(mask, strength, inside, straighten=not scan, grid_floor=grid_floor)
    if grid_floor is not None and not stands_out(mask, strength, grid_floor):
        return Found(np.zeros((0, SIDE, SIDE), np.float32), ink)
    mask = without_faint(mask, strength)
    frame = frame_of(mask.shape, inside)
    split = (
        None
        if judge is None
        else partial(read_apart, strength=strength, judge=judge, reader=reader, number=number)
    )
    found = digit_boxes(mask, inside, split, scan)
    # A lone digit cropped tight is read from its shades, as MNIST's scans were; in a photo, a hairline
    # pen's shades are too thin to read, and a digit written near the page's edge is redrawn. A scan's
    # shades are measured against its one paper, not a closing, which its broad strokes would partly
    # fill; its blur's halo, which the closing took away, is then left out by SCAN_HALO.
    lone_scan = scan and len(found) == 1  # only a lone digit is read from its shades
    shades, floor = (
        (ink_strength(gray, ink, scan=True)[0], SCAN_HALO) if lone_scan else (strength, SCAN_FLOOR)
    )
    digits = [
        scan_digit(shades, box, frame, floor)
        if len(found) == 1 and at_edge_box(box, frame) and (scan or pen_share(crop) >= KEEP_PEN[0])
        else mnist_digit(crop, strength[box])
        for crop, box, _ in found
    ]  # fmt: skip
    if not digits:
        return Found(np.zeros((0, SIDE, SIDE), np.float32), ink)
    read = np.array([np.full(10, np.nan) if part.read is None else part.read for part in found], np.float32)
    return Found(np.stack(digits), ink, read if any(part.read is not None for part in found) else None)
