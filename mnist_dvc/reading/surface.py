"""The surface that was written on, found in a photo: a sheet on a desk, a sticky note, a board.

A phone photo of a digit often shows more than the page: the desk around it, the page's edge and its
shadow. Taken as a whole, the bright page on a darker desk looks like light ink on a dark board, and the
page's outline becomes the "digit". This module finds the page first, so that the ink step sees only it:

1. :func:`regions`: the picture, small and with its ink smoothed away (a median filter wider than a
   stroke), segmented by colour with Felzenszwalb's graph method: the page, the desk, a note, a shadow
   each become one region.
2. :func:`find_surface`: the region that is a written-on surface: large, solid (its outline, holes
   filled, nearly convex: a desk around a page is not), smooth (paper has no grain), and holding the
   writing when several qualify. A region covering nearly the whole frame means the surface fills it.
3. :func:`flatten`: where the surface's outline is a quadrilateral, it is warped flat (the phone held at
   an angle, the page turned); otherwise (a page running off the frame) it is turned back by its longest
   edge that the picture shows, and cut out. Either way everything outside it, its own edge and
   shadow included, is painted with the surface's colour, with a margin of it all round.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

SMALL_SIDE = 192  # the surface is looked for in a copy this long, so a 12-Mpixel photo costs no more
INK_FILTER = 7  # pixels of that copy: a median this wide removes strokes, keeps a page's edge
SEGMENT_SCALE = 300  # Felzenszwalb's scale: larger, fewer and larger regions
MIN_SEGMENT = 100  # pixels of the small copy: smaller regions join a neighbour
SAME_COLOUR = 12.0  # CIELAB distance: regions closer in mean colour are the same material
SEAMLESS = 4.0  # CIELAB distance: regions this close in colour where they meet are one material...
SEAM_WIDTH = 3  # ...pixels of the small copy: "where they meet" is this far to twice this far from the other
MIN_SEAM = 20  # ...pixels of each, at least: a corner's touch is no seam
FOLD_SHADE = 0.8  # CIELAB lightness: the darker half of a folded page has at least this share of the other's
FOLD_CHROMA = 4.0  # CIELAB distance in hue and saturation (a, b) between the two halves, at most
MIN_PAPER_L = 60.0  # CIELAB lightness: only paper this light is taken for folded (a dark desk is not)
MIN_PHOTO_SIDE = 200  # pixels: a smaller picture is a scan or a crop of the page, not a photo of a desk
MIN_BACKGROUND_BORDER = 0.4  # of the frame's edge: at least this much of it lies outside the surface
MIN_SHARE = 0.04  # of the frame: smaller regions are not a surface
MIN_THICKNESS = 0.15  # of the frame's short side: a surface is at least this wide somewhere inside
FILLS_FRAME = 0.85  # a surface covering this share of the frame is the whole picture
MIN_SOLIDITY = 0.85  # of its outline, holes filled, against its convex hull
ENCLOSED = 0.1  # of a surface's area: no more than this of another material lies within it
HOLES = 0.02  # of a surface's area: holes larger than this must not be of the material around it
QUAD_FIT = 0.12  # the quadrilateral may differ from the outline by this share of its area
EDGE_TOLERANCE = 0.02  # of the small copy's short side: an outline's straight edges, within this
MIN_EDGE = 0.3  # of the small copy's short side: a shorter edge does not set the page's turn
STRAIGHT_SIDE = 0.1  # of the small copy's short side: a straight edge between two objects is this long
MIN_TURN = 1.0  # degrees: a page turned less is cut out as it lies
EDGE_INSET = 0.03  # of the surface's size: its edge and shadow are cut off by this much
MARGIN = 0.15  # of the long side: paper added all round, so the digit never touches the picture's edge


@dataclass
class Surface:
    """A surface found in a picture: its pixels (bool, the picture's shape), its colour (RGB, 0-255) and,
    when its outline is a quadrilateral, its corners (x, y), clockwise from the top left."""

    mask: np.ndarray
    colour: np.ndarray
    corners: np.ndarray | None
    turn: float = 0.0  # degrees (counter-clockwise) it is turned, from its edges, when it has no corners


def as_rgb(picture: np.ndarray) -> np.ndarray:
    """(H, W) gray or (H, W, 3) colour on 0-255 -> (H, W, 3) float32."""
    picture = np.asarray(picture, np.float32)
    return np.repeat(picture[..., None], 3, axis=2) if picture.ndim == 2 else picture[..., :3]


def regions(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The picture's regions of one colour: labels (h, w) from 1 of its small copy, that copy (RGB in
    [0, 1], the ink smoothed away) and its scale against the picture."""
    from scipy.ndimage import median_filter
    from skimage.segmentation import felzenszwalb
    from skimage.transform import resize

    scale = min(1.0, SMALL_SIDE / max(rgb.shape[:2]))
    shape = (max(8, round(rgb.shape[0] * scale)), max(8, round(rgb.shape[1] * scale)))
    small = resize(rgb / 255, shape, order=1, anti_aliasing=scale < 1)
    small = median_filter(small, size=(INK_FILTER, INK_FILTER, 1), mode="nearest")
    labels = felzenszwalb(small, scale=SEGMENT_SCALE, sigma=0.8, min_size=MIN_SEGMENT)
    return labels + 1, small, shape[0] / rgb.shape[0]


def find_surface(rgb: np.ndarray) -> Surface | None:
    """The written-on surface in a picture (H, W, 3), or None when the surface fills the frame (a page
    photographed close, a scan, a drawing) or none stands out."""
    from scipy.ndimage import binary_fill_holes, distance_transform_edt
    from skimage.color import rgb2lab
    from skimage.morphology import convex_hull_image

    if min(rgb.shape[:2]) < MIN_PHOTO_SIDE:
        return None  # a scan, a crop or a drawing: no desk around it
    labels, small, scale = regions(rgb)
    frame = labels.size
    lab = rgb2lab(np.clip(small, 0, 1))
    texture = _texture(rgb, labels.shape)
    materials = _materials(labels, lab)
    candidates = []
    hulls = [convex_hull_image(material) for material, _ in materials]
    for (material, _), hull in zip(materials, hulls, strict=True):
        filled = binary_fill_holes(material)
        # A region around another material, or wrapped round it (a desk around a page, or around a note
        # in a corner of the frame), is never the surface. The paper inside a written loop is the page's
        # own material, and part of it.
        if any(hull[other].mean() > 0.5 for other, _ in materials if other is not material):
            continue
        # Nor is a shape that holds what also lies around it: a thick written loop round the paper.
        if any(
            (filled & other).sum() > ENCLOSED * filled.sum()
            for other, _ in materials
            if other is not material
        ):
            continue
        holes = filled & ~material
        if holes.sum() > HOLES * filled.sum():
            # Holes lighter than the region and of the page's colour around it: it is dark writing (a
            # marker's 8), not a surface (a sheet's holes are its darker ink).
            inner, own = lab[holes].mean(axis=0), lab[material].mean(axis=0)
            if inner[0] > own[0] + SAME_COLOUR and any(
                np.linalg.norm(inner - c) <= SAME_COLOUR for other, c in materials if other is not material
            ):
                continue
        share = filled.sum() / frame
        border = np.concatenate([filled[0], filled[-1], filled[:, 0], filled[:, -1]])
        if share < FILLS_FRAME and border.mean() > 1 - MIN_BACKGROUND_BORDER:
            continue  # what lies around it hardly reaches the frame's edge: not a desk around a page
        if 2 * distance_transform_edt(filled).max() < MIN_THICKNESS * min(filled.shape):
            continue  # too narrow to write on: a thick stroke, a strip of shadow
        solidity = filled.sum() / max(1, hull.sum())
        if solidity < MIN_SOLIDITY:
            continue
        grain = float(np.median(texture[filled]))
        candidates.append((share * solidity / (1 + grain), share, filled))
    if not candidates:
        return None
    _, share, filled = max(candidates, key=lambda c: c[0])
    if share >= FILLS_FRAME:
        # The surface is the whole picture, but for another object (not the surface itself, nor held
        # in its holes) that runs into the frame along a straight edge: a page's corner on the desk, a
        # strip of desk beside the page. Cut out as it lies, the surface leaves that edge and what lies
        # beyond it out. Light and shade meet along soft, curved lines, not so.
        if not any(not (other & filled).any() and _straight_edged(other) for other, _ in materials):
            return None
        corners, turn = None, 0.0
    else:
        corners = quadrilateral(filled)
        if corners is not None:
            corners = snapped(corners / scale, rgb.mean(axis=2), reach=2 / scale)
        turn = edge_turn(filled) if corners is None else 0.0
    mask = _upscale(filled, rgb.shape[:2])
    return Surface(mask, np.median(rgb[mask], axis=0), corners, turn)


def _materials(labels: np.ndarray, lab: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The regions of at least MIN_SHARE of the frame, joined into materials, each as (mask, colour):
    touching regions of one colour where they meet (within SEAMLESS: a page cut in two by a ruling line
    where its light fades), the two halves of a folded page, and regions of one colour (within
    SAME_COLOUR in CIELAB). The strongest evidence joins first, and a join by colour or by a fold is
    refused where it would put together two regions that are neither of one colour nor one paper's two
    shades: otherwise a page's shaded half, a little like a grey or beige desk, chains page and desk
    into one material."""
    from scipy.ndimage import binary_closing, binary_dilation

    sizes = np.bincount(labels.ravel())
    large = list(np.flatnonzero(sizes >= MIN_SHARE * labels.size))
    masks = [labels == label for label in large]
    colours = [lab[mask].mean(axis=0) for mask in masks]
    # Each region's neighbourhood from SEAM_WIDTH to twice that: the colours where two regions meet, past
    # the blur and the shadow of an edge, which would make any edge look seamless.
    close = [binary_dilation(mask, iterations=SEAM_WIDTH) for mask in masks]
    near = [binary_dilation(c, iterations=SEAM_WIDTH) & ~c for c in close]
    links = []  # (strength: 0 seamless, 1 folded, 2 of one colour; colour distance; i; j)
    for i in range(len(large)):
        for j in range(i):
            sides = masks[i] & near[j], masks[j] & near[i]
            distance = float(np.linalg.norm(colours[i] - colours[j]))
            if _seamless(lab, *sides):
                links.append((0, distance, i, j))
            elif _folded(colours[i], colours[j], masks[i], masks[j], *sides):
                links.append((1, distance, i, j))
            elif distance <= SAME_COLOUR:
                links.append((2, distance, i, j))
    root = list(range(len(large)))
    for strength, _, i, j in sorted(links):
        old, new = root[i], root[j]
        if old == new:
            continue
        pairs = [(a, b) for a, r in enumerate(root) if r == old for b, q in enumerate(root) if q == new]
        if strength > 0 and not all(_one_paper(colours[a], colours[b]) for a, b in pairs):
            continue
        root = [new if r == old else r for r in root]
    out = []
    for r in sorted(set(root)):
        parts = [label for label, q in zip(large, root, strict=True) if q == r]
        mask = np.isin(labels, parts)
        if len(parts) > 1:  # the crease or the ruling line between the parts is theirs too
            mask |= binary_closing(mask, iterations=SEAM_WIDTH) & ~np.isin(
                labels, [p for p in large if p not in parts]
            )
        out.append((mask, lab[mask].mean(axis=0)))
    return out


def _one_paper(colour_a: np.ndarray, colour_b: np.ndarray) -> bool:
    """Whether two colours (CIELAB) may be one material: within SAME_COLOUR, or one light paper's two
    shades either side of a fold."""
    return float(np.linalg.norm(colour_a - colour_b)) <= SAME_COLOUR or _fold_shades(colour_a, colour_b)


def _fold_shades(colour_a: np.ndarray, colour_b: np.ndarray) -> bool:
    """Light colours (CIELAB) of the same hue and saturation (FOLD_CHROMA), one only a little darker
    (FOLD_SHADE), as one paper catches the light either side of a crease."""
    dark, light = sorted((float(colour_a[0]), float(colour_b[0])))
    chroma = float(np.linalg.norm(colour_a[1:] - colour_b[1:]))
    return light >= MIN_PAPER_L and dark >= FOLD_SHADE * light and chroma <= FOLD_CHROMA


def _folded(
    colour_a: np.ndarray,
    colour_b: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    side_a: np.ndarray,
    side_b: np.ndarray,
) -> bool:
    """Whether two touching regions ``a`` and ``b`` are the two halves of one folded page: of one
    paper's two shades (:func:`_fold_shades`) and side by side: neither wraps round the other, as a
    desk of a colour like the page's wraps round it."""
    from skimage.morphology import convex_hull_image

    if side_a.sum() < MIN_SEAM or side_b.sum() < MIN_SEAM or not _fold_shades(colour_a, colour_b):
        return False
    return convex_hull_image(a)[b].mean() <= 0.5 and convex_hull_image(b)[a].mean() <= 0.5


def _seamless(lab: np.ndarray, side_a: np.ndarray, side_b: np.ndarray) -> bool:
    """Whether two touching regions have the same colour where they meet (``side_a``, ``side_b``: each
    one's pixels next to the other): one page whose light fades across it, cut by a ruling line or a
    fold, not a page's edge on a desk, which is a step in colour."""
    if side_a.sum() < MIN_SEAM or side_b.sum() < MIN_SEAM:
        return False
    return float(np.linalg.norm(np.median(lab[side_a], axis=0) - np.median(lab[side_b], axis=0))) <= SEAMLESS


def _texture(rgb: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Local grain of the small copy before the ink is smoothed away: the mean absolute difference from a
    3x3 mean, in gray levels (paper: noise only; wood, cloth: their grain)."""
    from scipy.ndimage import uniform_filter
    from skimage.transform import resize

    gray = resize(rgb.mean(axis=2), shape, order=1, anti_aliasing=True)
    return uniform_filter(np.abs(gray - uniform_filter(gray, 3)), 5)


def _upscale(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    from skimage.transform import resize

    return resize(mask.astype(np.float32), shape, order=1) > 0.5


def _cross(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The z of the cross product of 2-D vectors (NumPy 2 deprecates np.cross on 2-D vectors)."""
    return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]


def _straight_edged(mask: np.ndarray) -> bool:
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


def flatten(rgb: np.ndarray, surface: Surface) -> tuple[np.ndarray, np.ndarray]:
    """The surface alone, as a picture of its own (warped flat when its corners are known), and the area
    (bool) that holds it. Everything else, and MARGIN all round, is the surface's own paper, continued
    smoothly from its edge inwards (a page lit unevenly stays so), with the picture's grain."""
    from scipy.ndimage import distance_transform_edt
    from skimage.transform import ProjectiveTransform, warp

    if surface.corners is not None:
        tl, tr, br, bl = surface.corners
        width = round((np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2)
        height = round((np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2)
        target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], float)
        transform = ProjectiveTransform.from_estimate(target, surface.corners)
        flat = warp(rgb, transform, output_shape=(height, width), order=1, preserve_range=True)
        # A corner beyond the frame (the page runs off it) has nothing of the picture there.
        seen = warp(np.ones(rgb.shape[:2], np.float32), transform, output_shape=(height, width), order=0)
        inside = seen > 0.5
    else:
        mask = surface.mask
        if abs(surface.turn) >= MIN_TURN:  # level the page's edges, and so its lines of writing
            from skimage.transform import rotate

            rgb = rotate(rgb, -surface.turn, resize=True, order=1, preserve_range=True).astype(np.float32)
            mask = rotate(mask.astype(np.float32), -surface.turn, resize=True, order=0) > 0.5
        rows, cols = np.nonzero(mask)
        box = np.s_[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
        flat, inside = rgb[box].copy(), mask[box]
    inset = max(1, round(EDGE_INSET * min(flat.shape[:2])))
    inside = distance_transform_edt(np.pad(inside, 1))[1:-1, 1:-1] > inset
    flat, inside = pad(flat, inside, surface.colour)
    return _continued(flat, inside), inside


def _continued(rgb: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """``rgb`` with what lies outside ``inside`` replaced by the paper's brightness nearest to it, taken
    from a copy too coarse to hold strokes and blurred, plus the picture's grain."""
    from scipy.ndimage import distance_transform_edt, gaussian_filter
    from skimage.measure import block_reduce
    from skimage.transform import resize

    factor = max(1, min(rgb.shape[:2]) // 48)
    coarse = block_reduce(rgb, (factor, factor, 1), np.mean)
    known = block_reduce(inside, (factor, factor), np.min)
    if not known.any():
        return rgb
    _, (rows, cols) = distance_transform_edt(~known, return_indices=True)
    coarse = gaussian_filter(coarse[rows, cols], sigma=(1, 1, 0))
    field = resize(coarse, (coarse.shape[0] * factor, coarse.shape[1] * factor), order=1, preserve_range=True)
    field = np.pad(field, [(0, max(0, n - m)) for n, m in zip(rgb.shape, field.shape, strict=True)], "edge")
    field = field[: rgb.shape[0], : rgb.shape[1]].astype(np.float32)
    grain = np.random.default_rng(0).standard_normal(rgb.shape[:2]).astype(np.float32) * _noise(rgb, inside)
    out = rgb.copy()
    out[~inside] = field[~inside] + grain[~inside, None]
    return out


def pad(rgb: np.ndarray, inside: np.ndarray, colour: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``rgb`` with MARGIN of ``colour`` all round, and the area that holds the picture. The margin has
    the picture's own grain (its noise, measured where the picture is), so that the paper's statistics,
    which set the ink's threshold, stay those of the picture."""
    margin = max(2, round(MARGIN * max(rgb.shape[:2])))
    out = np.empty((rgb.shape[0] + 2 * margin, rgb.shape[1] + 2 * margin, 3), np.float32)
    out[:] = colour
    area = np.pad(inside, margin)
    grain = np.random.default_rng(0).standard_normal(out.shape[:2]).astype(np.float32) * _noise(rgb, inside)
    out[~area] += grain[~area, None]
    out[margin:-margin, margin:-margin][inside] = rgb[inside]
    return out, area


def _noise(rgb: np.ndarray, inside: np.ndarray) -> float:
    """The picture's pixel noise: the spread (robust) of its brightness about a 3x3 median."""
    from scipy.ndimage import median_filter
    from scipy.stats import median_abs_deviation

    gray = rgb.mean(axis=2)
    residue = (gray - median_filter(gray, 3))[inside]
    return float(median_abs_deviation(residue, scale="normal")) if residue.size else 0.0


def border_colour(rgb: np.ndarray) -> np.ndarray:
    """The median colour of the picture's outermost pixels: its paper, even where a digit cropped tight
    runs into the edge (a stroke crosses the border at a few places only)."""
    ring = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    return np.median(ring, axis=0)
