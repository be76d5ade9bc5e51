"""The outline of a surface found in a photo (:mod:`mnist_dvc.reading.surface`): the quadrilateral a page
is, its corners on the picture's own edges, the turn of a page that runs off the frame, and a straight
edge between two objects."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

QUAD_FIT = 0.12  # the quadrilateral may differ from the outline by this share of its area
EDGE_TOLERANCE = 0.02  # of the small copy's short side: an outline's straight edges, within this
MIN_EDGE = 0.3  # of the small copy's short side: a shorter edge does not set the page's turn
STRAIGHT_SIDE = 0.1  # of the small copy's short side: a straight edge between two objects is this long


def _cross(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The z of the cross product of 2-D vectors (NumPy 2 deprecates np.cross on 2-D vectors)."""
    return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]


def straight_edged(mask: np.ndarray) -> bool:
    """Whether ``mask`` runs into the frame and meets the rest of the picture along at most three straight
    edges (within EDGE_TOLERANCE, each at least STRAIGHT_SIDE of the short side, together 90% of the
    way and at least MIN_EDGE long): a page's edge or corner."""
    from skimage.measure import approximate_polygon

    outline = _outline(mask)
    framed = _on_frame(outline, mask.shape)
    if not framed.any() or framed.all():
        return False
    start = -int(np.argmax(framed))  # the loop from a point on the frame
    outline, framed = np.roll(outline, start, axis=0), np.roll(framed, start)
    runs = np.flatnonzero(np.diff(framed.astype(int)) == -1)
    if len(runs) != 1:  # one stretch of edge inside the frame
        return False
    after, back = outline[runs[0] + 1 :], framed[runs[0] + 1 :]
    edge = after[: int(np.argmax(back)) if back.any() else len(after)]  # up to the frame, or the loop's end
    short = min(mask.shape)
    if len(edge) < 2:
        return False
    sides = np.linalg.norm(
        np.diff(approximate_polygon(edge, tolerance=EDGE_TOLERANCE * short), axis=0), axis=1
    )
    straight = sides[sides >= STRAIGHT_SIDE * short]
    return len(straight) <= 3 and straight.sum() >= 0.9 * sides.sum() and sides.sum() >= MIN_EDGE * short


def quadrilateral(mask: np.ndarray) -> np.ndarray | None:
    """The corners (x, y) of the quadrilateral that ``mask`` is, clockwise from the top left, or None
    when it is not one (a page running off the frame, a round shape).

    The convex hull's corners are reduced to the four that keep most of its area; each side is then the
    straight line fitted (RANSAC) to the outline's points along it, and the corners where they meet, so
    that corners rounded by the smoothing are found where the page's edges meet."""
    from skimage.draw import polygon

    outline = _outline(mask)
    points = _hull(outline)
    while len(points) > 4:  # drop the corner whose removal loses the least area
        prev, nxt = np.roll(points, 1, axis=0), np.roll(points, -1, axis=0)
        loss = np.abs(_cross(points - prev, nxt - prev)) / 2
        points = np.delete(points, int(loss.argmin()), axis=0)
    if len(points) < 4:
        return None
    points = _refined(points, outline, mask.shape)
    if points is None:
        return None
    rr, cc = polygon(points[:, 1], points[:, 0], mask.shape)
    quad = np.zeros_like(mask)
    quad[rr, cc] = True
    if (quad ^ mask).sum() > QUAD_FIT * mask.sum():
        return None
    return _clockwise_from_top_left(points)


def _refined(corners: np.ndarray, outline: np.ndarray, shape: tuple[int, int]) -> np.ndarray | None:
    """Corners where lines fitted to the outline between each pair of neighbouring ``corners`` meet: a
    corner beyond the frame (a page running off it) is where its two sides would meet. None when a side
    is the frame's own edge."""
    lines = []
    for a, b in zip(corners, np.roll(corners, -1, axis=0), strict=True):
        side = b - a
        length = np.linalg.norm(side)
        along = (outline - a) @ side / length**2  # 0 at a, 1 at b
        across = np.abs(_cross(side, outline - a)) / length
        near = outline[(along > 0.15) & (along < 0.85) & (across < 0.1 * length)]
        if len(near) < 5 or _on_frame(near, shape).mean() > 0.5:
            return None  # a side along the frame's edge: the surface runs off the picture there
        lines.append(_line(near))
    return _meeting_points(lines, corners)


def _outline(mask: np.ndarray) -> np.ndarray:
    """The points (x, y) of the longest contour round ``mask``, the frame's edge included."""
    from skimage.measure import find_contours

    return max(find_contours(np.pad(mask, 1).astype(np.float32), 0.5), key=len)[:, ::-1] - 1


def edge_turn(mask: np.ndarray) -> float:
    """How far (degrees, counter-clockwise, within 45 of level) the longest straight edge of ``mask``
    that the picture shows (not the frame's own) is turned from level or upright: a page that runs off
    the frame is written along its edges, so turning it back levels its lines of writing. 0 when no edge
    is long enough."""
    from skimage.measure import approximate_polygon

    outline = _outline(mask)
    polygon = approximate_polygon(outline, tolerance=EDGE_TOLERANCE * min(mask.shape))
    best, turn = MIN_EDGE * min(mask.shape), 0.0
    for a, b in pairwise(polygon):
        length = float(np.linalg.norm(b - a))
        if length > best and _on_frame(np.linspace(a, b, 9), mask.shape).mean() < 0.5:
            angle = float(np.degrees(np.arctan2(-(b[1] - a[1]), b[0] - a[0])))  # y runs down
            best, turn = length, (angle + 45) % 90 - 45
    return turn


def _on_frame(points: np.ndarray, shape: tuple[int, int], margin: float = 1.5) -> np.ndarray:
    """Which points (x, y) lie on the frame's edge, within ``margin``."""
    x, y = points[:, 0], points[:, 1]
    return (x < margin) | (y < margin) | (x > shape[1] - 1 - margin) | (y > shape[0] - 1 - margin)


def snapped(corners: np.ndarray, gray: np.ndarray, reach: float) -> np.ndarray | None:
    """The corners moved onto the picture's own edges: along each side, the strongest step of brightness
    within ``reach`` pixels across it (the small copy places an edge only to a pixel or two of itself),
    a line fitted to those steps (RANSAC), and the corners where the lines meet."""
    from scipy.ndimage import gaussian_filter, map_coordinates

    smooth = gaussian_filter(gray, 1.0)
    centre = corners.mean(axis=0)
    offsets = np.arange(-reach, reach + 0.5, 0.5)
    lines = []
    for a, b in zip(corners, np.roll(corners, -1, axis=0), strict=True):
        side = b - a
        normal = np.array([side[1], -side[0]]) / np.linalg.norm(side)
        if normal @ ((a + b) / 2 - centre) < 0:
            normal = -normal  # outwards
        along = a + np.linspace(0.15, 0.85, 48)[:, None] * side
        along = along[~_on_frame(along, gray.shape, margin=reach + 2)]  # only what the picture shows
        if len(along) < 8:
            return None
        samples = along[:, None, :] + offsets[None, :, None] * normal  # (points, offsets, xy)
        profile = map_coordinates(smooth, [samples[..., 1], samples[..., 0]], order=1, mode="nearest")
        step = np.abs(np.diff(profile, axis=1))
        edge = offsets[:-1] + 0.25 + 0 * step
        found = along + edge[np.arange(len(along)), step.argmax(axis=1)][:, None] * normal
        lines.append(_line(found))
    return _meeting_points(lines, corners)


def _line(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(origin, direction) of the straight line through most of ``points`` (RANSAC)."""
    from skimage.measure import LineModelND, ransac

    model, _ = ransac(points, LineModelND, min_samples=2, residual_threshold=1.0, max_trials=50, rng=0)
    return model.origin, model.direction


def _meeting_points(lines: list, corners: np.ndarray) -> np.ndarray | None:
    """Where each side's line meets the next one's: the corners; None if they land far from ``corners``
    (two sides nearly parallel, a line fitted to something else)."""
    refined = []
    for (p, u), (q, v) in zip([lines[-1], *lines[:-1]], lines, strict=True):
        matrix = np.array([u, -v]).T
        if abs(np.linalg.det(matrix)) < 1e-6:
            return None
        t, _ = np.linalg.solve(matrix, q - p)
        refined.append(p + t * u)
    refined = np.array(refined)
    return refined if np.abs(refined - corners).max() < 0.1 * np.ptp(corners, axis=0).max() else None


def _hull(points: np.ndarray) -> np.ndarray:
    from scipy.spatial import ConvexHull

    hull = ConvexHull(points)
    return points[hull.vertices]  # counter-clockwise in (x, y) with y down: clockwise on screen


def _clockwise_from_top_left(points: np.ndarray) -> np.ndarray:
    """Order four corners clockwise on screen, starting with the one that makes the top edge the most
    level (a page turned less than 45 degrees keeps its top up)."""
    centre = points.mean(axis=0)
    angles = np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])
    points = points[np.argsort(angles)]  # clockwise on screen (y down), from the left
    best = min(range(4), key=lambda i: _top_tilt(np.roll(points, -i, axis=0)))
    return np.roll(points, -best, axis=0)


def _top_tilt(points: np.ndarray) -> float:
    """How far from level the edge from corner 0 to corner 1 is, which must run left to right."""
    dx, dy = points[1] - points[0]
    return abs(np.arctan2(dy, dx)) if dx > 0 else np.inf
