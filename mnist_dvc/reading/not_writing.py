"""What is ink but not writing: boxes drawn around digits, ruled and straight lines, marks at the picture's
edge."""

from __future__ import annotations

import numpy as np

from mnist_dvc.reading.measures import Box, box_of, height_of, long_side_of, stroke_width

SPECK = 0.04  # a component smaller than this share of the largest one is a speck (noise, dust)

FAINT = 0.5  # of the strongest piece's ink: a piece whose ink is fainter is shading or a ghost

DOT_SHARE, DOT_SIZE = 0.15, 0.2  # a piece beyond a digit's strokes with less ink, and smaller: a dot

LINE_BAND = 0.5  # a straight line's ink spreads across it by at most this many pen widths (std)...

LONG_LINE, ONE_LEAN = 0.6, 60.0  # ...and it is this share of the long side long, or leans this far

LONG_LEAN = 40.0  # degrees from upright: a straight stroke leaning this far and LONG_LINE long is a line

LINE_REACH = 0.1  # of the short side: a line whose ends come this near the edges runs across the picture

OUTLINE_FILL, OUTLINE_HOLE = 0.88, 0.6  # filled, a rectangle's outline fills its box; it is mostly hole

BOX_FILL = 0.8  # ...or this much of it, when it is drawn around other writing

MIDDLE = 0.6  # of a box's inner area, about its centre: a box drawn in one stroke leaves it empty

ALONG_BOX, HELD = 0.1, 0.5  # of a piece's ink within a box: at most, a side of it; at least, held in it

SIDE_CUT = 1.5  # pen widths either side of a box's side: its ink, cut from a digit that touches it

HELD_SPAN = 0.5  # of the area within a box's sides: a digit written in it, touching it, spans this much

TIGHT_CROP = 0.06  # of the short side: a digit this close to the picture's edge was cropped tight

EDGE_MARK = 0.15  # of the short side: smaller marks at the picture's edge are not writing

ALONG_EDGE = 0.5  # of a piece's extent along an edge: ink touching the edge that much of it lies along it


def without_boxes(pieces: list, skeleton: np.ndarray, skeleton_length: np.ndarray) -> list:
    """The pieces without a box's outline (:mod:`mnist_dvc.reading.outlines`): a piece that is one, drawn in
    one stroke, and the pieces that together are one, drawn in several, its corners left open; what
    lies within a box's sides (the digit it holds) stays."""
    from mnist_dvc.reading.outlines import SIDE_GAP, box_inside, within

    def outline(group: list) -> np.ndarray | None:
        points = np.concatenate([r.coords for r in group])
        centre = points[skeleton[points[:, 0], points[:, 1]]].astype(float)
        gap = SIDE_GAP if len(group) > 1 else 0.0  # a box in pieces: a side can be cut by the rulings step
        return box_inside(points.astype(float), centre, stroke_width(group, skeleton_length), gap=gap)

    def one_box(region) -> bool:  # its own ink along its sides, none across its middle (an "8"'s waist)
        inner = outline([region])
        if inner is None:
            return False
        middle = inner.mean(axis=0) + MIDDLE * (inner - inner.mean(axis=0))
        return not within(region.coords[skeleton[tuple(region.coords.T)]], middle).any()

    kept = [r for r in pieces if not one_box(r)]
    inner = outline(kept) if len(kept) > 1 else None
    if inner is None:
        return kept
    # The box's own strokes lie along its sides, outside the area within them; what it holds lies in
    # that area. A piece partly in it (a "0" that begins a number) says the pieces are no box.
    inside = [float(within(r.coords, inner).mean()) for r in kept]
    if any(ALONG_BOX < share < HELD for share in inside):
        return kept
    return [r for r, share in zip(kept, inside, strict=True) if share >= HELD]


def box_sides(region, skeleton: np.ndarray, skeleton_length: np.ndarray) -> np.ndarray | None:
    """A box and the digit written in it touching its sides, one piece of ink: which of the piece's pixels
    (``region.coords``) are not the digit (the box's sides, and what is left of them within), to be taken
    out; None for any other piece. The digit is the ink within the sides that reaches into the box's
    middle (MIDDLE of its area), and it spans HELD_SPAN of the box's height, as a digit written in a box
    does: the waist of a square "8" is no digit of its own, and an empty box is :func:`without_boxes`'."""
    from skimage.measure import label

    from mnist_dvc.reading.outlines import box_insides, within

    coords = region.coords
    centre, pen = coords[skeleton[tuple(coords.T)]].astype(float), stroke_width([region], skeleton_length)
    # The sides are cut away SIDE_CUT pen widths either side of their centre lines (a "0" written against
    # a side keeps its loop); the box's middle is measured in the area past their band.
    areas = box_insides(coords.astype(float), centre, pen, (None, SIDE_CUT * pen))
    if areas is None:
        return None
    inner, cut = areas
    middle = within(coords, inner.mean(axis=0) + MIDDLE * (inner - inner.mean(axis=0)))
    held = within(coords, cut)
    if not (held & middle).any():
        return None
    # The held ink's own pieces, once the sides are gone; those that reach the middle are the digit.
    top, left = coords.min(axis=0)
    pieces = np.zeros(tuple(coords.max(axis=0) - (top, left) + 1), bool)
    pieces[tuple((coords[held] - (top, left)).T)] = True
    labels = label(pieces, connectivity=2)[tuple((coords - (top, left)).T)]
    digit = held & np.isin(labels, np.unique(labels[held & middle]))
    upright = max((inner[1] - inner[0], inner[3] - inner[0]), key=lambda side: abs(side[0]))
    length = float(np.linalg.norm(upright))
    span = float(np.ptp(coords[digit] @ (upright / length))) / max(length, 1.0)
    return ~digit if span >= HELD_SPAN else None


def without_stray_dots(group: list) -> list:
    """The group without dots beyond its strokes: a small, compact piece (under DOT_SHARE of the group's
    ink, under DOT_SIZE of its height across) whose removal shortens the group by more than a tenth: chalk
    dust or a speck above or below a digit. A stroke's own broken pieces lie along it and shorten nothing,
    and a 5's separate bar is long, not compact."""
    while len(group) > 1:
        total, full = sum(r.area for r in group), height_of(group)
        rest = {id(r): [q for q in group if q is not r] for r in group}
        strays = [
            r for r in group
            if r.area < DOT_SHARE * total and max(np.ptp(r.coords, axis=0)) < DOT_SIZE * full
            and height_of(rest[id(r)]) < 0.9 * full
        ]  # fmt: skip
        if not strays:
            return group
        group = rest[id(min(strays, key=lambda r: r.area))]
    return group


def ruled_line(group: list, pen: float, frame: Box, tight: bool = False, scan: bool = False) -> bool:
    """A straight line that no hand writes as a digit: straight (its ink within a band of LINE_BAND pen
    widths, or of that share of its length), and either far from upright (a "1" leans less than
    ONE_LEAN degrees), or long and leaning (LONG_LINE of the picture's long side, LONG_LEAN from upright:
    a ruler's line or a pen lying on the page, where a "1" that long is written upright; not in a
    ``scan``, a crop that the digit fills), or running across the picture (:func:`line_across`). A long
    "1" drawn on a canvas ends inside it."""
    line = _straight(group, pen)
    if line is None:
        return False
    lean, ends, length = line
    long_and_leaning = lean > LONG_LEAN and length >= LONG_LINE * frame.long_side and not (tight or scan)
    return lean > ONE_LEAN or long_and_leaning or _across(ends, length, frame, tight)


def line_across(group: list, pen: float, frame: Box, tight: bool = False) -> bool:
    """A straight line across the picture: LONG_LINE of its long side, both ends near its edges (a
    table's or a page's edge, a line drawn with a ruler), or from one edge to the opposite one (a crease,
    a margin line), however it leans; unless the picture is ``tight`` round it (a "1" cropped tight).
    Such a piece is dropped before the pieces are grouped, so that it cannot join the digit it passes."""
    line = _straight(group, pen)
    return line is not None and _across(*line[1:], frame, tight)


def _straight(group: list, pen: float) -> tuple[float, np.ndarray, float] | None:
    """A straight group's lean from upright (degrees), its two ends and its length; None if it is not
    straight (its ink within a band of LINE_BAND pen widths, or of that share of its length)."""
    coords = np.concatenate([r.coords for r in group]).astype(float)
    centred = coords - coords.mean(axis=0)
    values, vectors = np.linalg.eigh(np.cov(centred.T))
    across = np.sqrt(max(float(values[0]), 0.0))
    length = float(np.ptp(centred @ vectors[:, 1]))
    if across > max(LINE_BAND * pen, LINE_BAND * length / 10):
        return None
    lean = np.degrees(np.arccos(min(1.0, abs(float(vectors[0, 1])))))  # from the vertical (rows axis)
    return lean, coords[np.argsort(centred @ vectors[:, 1])[[0, -1]]], length


def _across(ends: np.ndarray, length: float, frame: Box, tight: bool) -> bool:
    near = LINE_REACH * frame.short_side
    # Both ends near the edges, and not only near one and the same edge: a "1" written beside a note's
    # edge, its ends short of the corners, runs along that edge, not across the picture.
    first, last = (_edges_near((*end, *end), frame, near) for end in ends)
    across_picture = bool(first and last and first != last)
    # From one edge to the opposite one: a crease or an edge across a page, however wide the page.
    reached = _edges_near((*ends.min(axis=0), *ends.max(axis=0)), frame, near)
    edge_to_edge = {"top", "bottom"} <= reached or {"left", "right"} <= reached
    return ((length >= LONG_LINE * frame.long_side and across_picture) or edge_to_edge) and not tight


def _edges_near(box: tuple, frame: Box, reach: float) -> set[str]:
    """Which of the picture's edges (``frame``: top, left, bottom, right) ``box`` (top, left, bottom,
    right; a point is a box with no size) reaches within ``reach`` pixels of."""
    top, left, bottom, right = box
    near = (
        top <= frame.top + reach,
        left <= frame.left + reach,
        bottom >= frame.bottom - reach,
        right >= frame.right - reach,
    )
    return {edge for edge, close in zip(("top", "left", "bottom", "right"), near, strict=True) if close}


def is_outline(region, pieces: list) -> bool:
    """A rectangle's outline (a box drawn around a digit, a form's field, a page's or a note's edge): a
    thin closed line that, filled, is nearly its whole bounding box (OUTLINE_FILL; a written 0 is round
    and leaves the box's corners out: an ellipse fills 79% of it), or, around another piece of writing,
    BOX_FILL of it (a box drawn by hand, seen at an angle)."""
    filled = region.area_filled
    if region.area > (1 - OUTLINE_HOLE) * filled:
        return False
    top, left, bottom, right = region.bbox
    around = any(
        top < p.centroid[0] < bottom and left < p.centroid[1] < right for p in pieces if p is not region
    )
    return filled >= (BOX_FILL if around else OUTLINE_FILL) * region.area_bbox


def _box_at_edge(box: tuple, frame: Box, reach: float) -> bool:
    """Whether ``box`` (top, left, bottom, right) reaches within ``reach`` pixels of the picture's edge
    (``frame``: top, left, bottom, right)."""
    return bool(_edges_near(box, frame, reach))


def at_edge(group: list, frame: Box, reach: float = 2) -> bool:
    """Within ``reach`` pixels of the picture's edge (``frame``: top, left, bottom, right)."""
    return _box_at_edge(box_of(group), frame, reach)


def at_edge_box(where: tuple, frame: Box) -> bool:
    """Whether a crop (a pair of slices) reaches within TIGHT_CROP of the picture's edge."""
    rows, cols = where
    reach = TIGHT_CROP * frame.short_side
    return _box_at_edge(Box(rows.start, cols.start, rows.stop, cols.stop), frame, reach)


def small_at_edge(group: list, frame: Box) -> bool:
    """Touching the picture's edge, and smaller than EDGE_MARK of its short side."""
    return at_edge(group, frame) and long_side_of(group) < EDGE_MARK * frame.short_side


def along_edge(region, frame: Box, reach: float = 2) -> bool:
    """Ink lying along the picture's edge: at least as long along it as it reaches in from it, and
    touching it over ALONG_EDGE of that length: the light or shade of the edge (a board's or a page's
    border, vignetting), not writing. A stroke that runs off the edge (a "1" cut by the bottom edge)
    reaches in farther than it is wide; a digit cut off by the edge touches it at a stroke or two."""
    rows, cols = region.coords.T
    top, left, bottom, right = region.bbox
    height, width = bottom - top, right - left
    sides = (  # (pixels at the edge, their position along it, the extent along it and across it)
        (rows <= frame.top + reach, cols, width, height),
        (rows >= frame.bottom - 1 - reach, cols, width, height),
        (cols <= frame.left + reach, rows, height, width),
        (cols >= frame.right - 1 - reach, rows, height, width),
    )
    return any(
        length >= across and np.unique(along[touching]).size >= ALONG_EDGE * length
        for touching, along, length, across in sides
        if touching.any()
    )


def without_faint(mask: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """``mask`` less its pieces whose ink is under FAINT of the strongest piece's (each piece's ink: the
    90th percentile of its ``strength``): a fold's shaded band, the ghost of erased writing, a smear. One
    pen writes about equally strongly throughout, and a stroke's core is as strong as the pen; shading
    only passes the threshold where the hysteresis carries it. Specks (SPECK of the largest piece) do not
    set the reference: a speck of dirt can be darker than any ink."""
    from scipy import ndimage
    from skimage.measure import label

    labels = label(mask, connectivity=2)
    ids = np.arange(1, labels.max() + 1)
    if ids.size < 2:
        return mask
    areas = ndimage.sum_labels(mask, labels, ids)
    ink = ndimage.labeled_comprehension(strength, labels, ids, lambda v: np.percentile(v, 90), float, 0.0)
    reference = ink[areas >= SPECK * areas.max()].max()
    return mask & ~np.isin(labels, ids[ink < FAINT * reference])
