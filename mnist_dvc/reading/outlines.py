"""Boxes drawn by hand: ink that runs round a rectangle, which no digit does.

A box drawn around a digit, a form's field or a rectangle drawn on its own is no digit, but the models
read its outline as a "0", its sides as "1"s and its corners as "7"s, surely. A hand-drawn box is rarely a
closed outline: its corners overshoot or are left open, its sides bow, and the phone sees it askew. What
stays is that its ink lies along the four sides of its smallest enclosing rectangle, each side covered
along most of its length. A "0" is round (its ink leaves the rectangle's corners), a "1" or a "7" covers
one or two sides, and two "1"s side by side cover two.
"""

from __future__ import annotations

import numpy as np

SIDE_BAND = 0.04  # of the rectangle's long side, beyond half a pen: ink this near a side runs along it
BEYOND = (1, 99)  # percentiles of the ink across the rectangle: its sides (an overshot corner is beyond)
SIDE_COVER = 0.6  # of each side's length: the ink seen from outside runs straight along it, every side
CORNER = 0.15  # of the short side: centre line this near both sides of a corner is in it
FULL_SIDE = 0.9  # of each side's length: sides this straight make a box even with one corner open,
THIN_PENS = 10.0  # if both sides are at least this many pen widths long
MIN_SIDE_PENS = 4.0  # both sides at least this many pen widths: thinner is a stroke, not a box
SIDE_GAP = 0.35  # of a side's length: in a box of several pieces, a gap this short in a side's straight
# stretch does not end it (a side lost partly to a ruling line, or left broken by a pen that skipped)


def box_inside(
    points: np.ndarray, centre: np.ndarray, pen: float, inset: float | None = None, gap: float = 0.0
) -> np.ndarray | None:
    """Where ink at ``points`` ((N, 2) row, column; ``centre``: its skeleton's), drawn ``pen`` pixels
    wide, runs round a box: the corners (4, 2) of the area within its sides, ``inset`` pixels in from
    their centre lines (by default, past the band in which a side's ink runs); None where it does not.
    ``gap``: the share of a side's length that a gap in it may have (SIDE_GAP, for a box in pieces)."""
    areas = box_insides(points, centre, pen, (inset,), gap)
    return None if areas is None else areas[0]


def box_insides(
    points: np.ndarray, centre: np.ndarray, pen: float, insets: tuple[float | None, ...], gap: float = 0.0
) -> list[np.ndarray] | None:
    """:func:`box_inside`'s area for each of ``insets``, from one fit of the box."""
    corners = enclosing_rectangle(points) if len(points) >= 8 and len(centre) >= 8 else None
    if corners is None:
        return None
    # The pen's centre line, in the rectangle's own axes (u along one side, v along the other); the
    # box's sides are where most of it lies, not its extremes: an overshot corner reaches beyond them.
    first, second = corners[1] - corners[0], corners[3] - corners[0]
    first, second = first / np.linalg.norm(first), second / np.linalg.norm(second)
    u, v = centre @ first, centre @ second
    (u0, u1), (v0, v1) = np.percentile(u, BEYOND), np.percentile(v, BEYOND)
    length, width = u1 - u0, v1 - v0
    if min(length, width) < MIN_SIDE_PENS * pen:
        return None
    band = pen / 2 + SIDE_BAND * max(length, width)
    # Each side, seen from outside: the outermost centre line along it, fitted by a straight line (a
    # side seen in perspective leans a little); the share of the side where that line is the ink's.
    sides = [(u - u0, v - v0, length, width), (u - u0, v1 - v, length, width),
             (v - v0, u - u0, width, length), (v - v0, u1 - u, width, length)]  # fmt: skip
    cover = min(_side_cover(*side, band, pen, gap) for side in sides)
    if cover < SIDE_COVER:
        return None
    # A box has corners: a "0" round enough to lie along all four sides still leaves them empty. One
    # corner may be left open where every side runs straight nearly all its length, which no "0" does
    # (unless its pen is so thick against its size that any curve lies within the band).
    reach = CORNER * min(length, width)
    near_u = [u < u0 + reach, u > u1 - reach]
    near_v = [v < v0 + reach, v > v1 - reach]
    one_open = cover >= FULL_SIDE and min(length, width) >= THIN_PENS * pen
    if sum((a & b).any() for a in near_u for b in near_v) < (3 if one_open else 4):
        return None
    areas = []
    for inset in (band if inset is None else inset for inset in insets):
        (a0, a1), (b0, b1) = (u0 + inset, u1 - inset), (v0 + inset, v1 - inset)
        areas.append(np.array([a * first + b * second for a, b in ((a0, b0), (a1, b0), (a1, b1), (a0, b1))]))
    return areas


def within(points: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """Which ``points`` ((N, 2) row, column) lie within the quadrilateral ``corners``."""
    from skimage.measure import points_in_poly

    return points_in_poly(points, corners)


def enclosing_rectangle(points: np.ndarray) -> np.ndarray | None:
    """The corners (4, 2) of the smallest-area rectangle around ``points``, in order round it: one of its
    sides lies along an edge of the points' convex hull (rotating calipers). None for collinear points."""
    from scipy.spatial import ConvexHull, QhullError

    try:
        hull = points[ConvexHull(points).vertices].astype(float)
    except QhullError:
        return None
    best = None
    for a, b in zip(hull, np.roll(hull, -1, axis=0), strict=True):
        edge = b - a
        if not edge.any():
            continue
        axis = edge / np.linalg.norm(edge)
        normal = np.array([-axis[1], axis[0]])
        u, v = hull @ axis, hull @ normal
        area = np.ptp(u) * np.ptp(v)
        if best is None or area < best[0]:
            best = (area, axis, normal, u.min(), u.max(), v.min(), v.max())
    _, axis, normal, u0, u1, v0, v1 = best
    return np.array([u * axis + v * normal for u, v in ((u0, v0), (u1, v0), (u1, v1), (u0, v1))])


def _side_cover(
    along: np.ndarray, inward: np.ndarray, extent: float, depth: float, band: float, pen: float, gap: float
) -> float:
    """The share of a side ``extent`` long along which the outermost ink (``inward``: its distance in
    from the side, ``along``: its place along it) lies within ``band`` of one straight line, over gaps
    of up to ``gap`` of its length."""
    bins = max(2, int(extent / max(pen, 1.0)))
    near = inward < depth / 3
    if near.sum() < 2:
        return 0.0
    place = np.clip((along[near] / extent * bins).astype(int), 0, bins - 1)
    outermost = np.full(bins, np.inf)
    np.minimum.at(outermost, place, inward[near])
    seen = np.flatnonzero(np.isfinite(outermost))
    if seen.size < 2:
        return 0.0
    line = np.polyfit(seen, outermost[seen], 1)
    for _ in range(2):  # refitted to the bins on the line: a corner's overshoot or gap pulls it less
        on = np.abs(np.polyval(line, seen) - outermost[seen]) <= band
        if on.sum() >= 2:
            line = np.polyfit(seen[on], outermost[seen[on]], 1)
    on = np.zeros(bins + 2, bool)
    on[seen + 1] = np.abs(np.polyval(line, seen) - outermost[seen]) <= band
    # The longest straight stretch: a digit's curves touch a line here and there, a box's side runs along it.
    # In a box of several pieces a short gap does not end it: where a side lay along a ruling line, the
    # rulings step took that part. (In one piece, a "3"'s open side has such gaps too.)
    if gap_bins := int(gap * bins):
        from scipy.ndimage import binary_closing

        on = binary_closing(on, np.ones(gap_bins + 1, bool)) | on
    edges = np.diff(on.astype(np.int8))
    return float((np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).max(initial=0) / bins)
