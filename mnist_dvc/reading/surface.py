"""The surface that was written on, found in a photo: a sheet on a desk, a sticky note, a board.

A phone photo of a digit often shows more than the page: the desk around it, the page's edge and its
shadow. Taken as a whole, the bright page on a darker desk looks like light ink on a dark board, and the
page's outline becomes the "digit". This module finds the page first, so that the ink step sees only it:

1. :func:`regions`: the picture, small and with its ink smoothed away (a median filter wider than a
   stroke), segmented by colour with Felzenszwalb's graph method: the page, the desk, a note, a shadow
   each become one region.
2. :func:`find_surface`: the region that is a written-on surface: large, solid (its outline, holes
   filled, nearly convex: a desk around a page is not) and smooth (paper has little grain; wood and
   cloth have much). A region covering nearly the whole frame means the surface fills it.
   A small one (a note far off) is looked for again in a crop around it, where it is seen larger.
   The outline's geometry (its corners, its turn) is :mod:`mnist_dvc.reading.page_outline`'s.
3. :func:`mnist_dvc.reading.flatten.flatten`: where the surface's outline is a quadrilateral, it is
   warped flat (the phone held at an angle, the page turned); otherwise (a page running off the frame)
   it is turned back by its longest edge that the picture shows, and cut out. Either way everything
   outside it, its own edge and shadow included, is painted with the surface's colour, with a margin of
   it all round.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnist_dvc.reading.materials import SAME_COLOUR, materials_of

SMALL_SIDE = 192  # the surface is looked for in a copy this long, so a 12-Mpixel photo costs no more
INK_FILTER = 7  # pixels of that copy: a median this wide removes strokes, keeps a page's edge
SEGMENT_SCALE = 300  # Felzenszwalb's scale: larger, fewer and larger regions
MIN_SEGMENT = 100  # pixels of the small copy: smaller regions join a neighbour
MIN_PHOTO_SIDE = 200  # pixels: a smaller picture is a scan or a crop of the page, not a photo of a desk
MIN_BACKGROUND_BORDER = 0.4  # of the frame's edge: at least this much of it lies outside the surface
MIN_THICKNESS = 0.15  # of the frame's short side: a surface is at least this wide somewhere inside
FILLS_FRAME = 0.85  # a surface covering this share of the frame is the whole picture
MIN_SOLIDITY = 0.85  # of its outline, holes filled, against its convex hull
ENCLOSED = 0.1  # of a surface's area: no more than this of another material lies within it
WRITING_HOLES = 0.3  # of a narrow material's filled shape: a loop in a fat marker holds this much
HOLES = 0.02  # of a surface's area: holes larger than this must not be of the material around it
SMALL_SURFACE = 0.1  # of the frame: a surface this small is looked for again in a crop around it...
AROUND = 0.5  # ...with this much of its size all round: the desk it lies on


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
    if min(rgb.shape[:2]) < MIN_PHOTO_SIDE:
        return None  # a scan, a crop or a drawing: no desk around it
    found = _find(rgb)
    if found is not None and found.mask.mean() < SMALL_SURFACE:
        # A note far off in the frame is a few pixels of the small copy, its outline too coarse for its
        # corners: looked at again, close, it is a sheet on a desk like any other.
        return _closer(rgb, found) or found
    return found


def _closer(rgb: np.ndarray, surface: Surface) -> Surface | None:
    """``surface`` found again in a crop of ``rgb`` around it (AROUND), where the small copy sees it
    larger; None when it is not found there."""
    rows, cols = np.nonzero(surface.mask)
    grow_y, grow_x = (round(AROUND * (np.ptp(a) + 1)) for a in (rows, cols))
    top, left = max(0, rows.min() - grow_y), max(0, cols.min() - grow_x)
    bottom, right = min(rgb.shape[0], rows.max() + 1 + grow_y), min(rgb.shape[1], cols.max() + 1 + grow_x)
    found = _find(rgb[top:bottom, left:right])
    if found is None:
        return None
    mask = np.zeros(rgb.shape[:2], bool)
    mask[top:bottom, left:right] = found.mask
    corners = None if found.corners is None else found.corners + np.array([left, top], float)
    return Surface(mask, found.colour, corners, found.turn)


def _find(rgb: np.ndarray) -> Surface | None:
    """:func:`find_surface`'s search, in a picture of any size."""
    from scipy.ndimage import binary_fill_holes
    from skimage.color import rgb2lab
    from skimage.morphology import convex_hull_image

    from mnist_dvc.reading.page_outline import edge_turn, quadrilateral, snapped, straight_edged

    labels, small, scale = regions(rgb)
    frame = labels.size
    lab = rgb2lab(np.clip(small, 0, 1))
    texture = _texture(rgb, labels.shape)
    materials = materials_of(labels, lab)
    candidates = []
    hulls = [convex_hull_image(material) for material, _ in materials]
    # Writing in a bold marker can be a material of its own: it is no page that a desk lies around, and
    # a page holding it is not rejected for that below.
    filleds = [binary_fill_holes(material) for material, _ in materials]
    writing = [_writing(material, filled) for (material, _), filled in zip(materials, filleds, strict=True)]
    for (material, _), hull, filled in zip(materials, hulls, filleds, strict=True):
        others = [o for (o, _), w in zip(materials, writing, strict=True) if not w and o is not material]
        # A region around another material, or wrapped round it (a desk around a page, or around a note
        # in a corner of the frame), is never the surface. The paper inside a written loop is the page's
        # own material, and part of it.
        if any(hull[other].mean() > 0.5 for other in others):
            continue
        # Nor is a shape that holds what also lies around it: a thick written loop round the paper.
        if any((filled & other).sum() > ENCLOSED * filled.sum() for other in others):
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
        if not _wide(filled):
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
        if not any(not (other & filled).any() and straight_edged(other) for other, _ in materials):
            return None
        corners, turn = None, 0.0
    else:
        corners = quadrilateral(filled)
        if corners is not None:
            corners = snapped(corners / scale, rgb.mean(axis=2), reach=2 / scale)
        turn = edge_turn(filled) if corners is None else 0.0
    mask = _upscale(filled, rgb.shape[:2])
    return Surface(mask, np.median(rgb[mask], axis=0), corners, turn)


def _writing(material: np.ndarray, filled: np.ndarray) -> bool:
    """Whether a material (``filled``: with its holes filled) is writing in a fat marker: too narrow to
    write on, and either holding nothing or, a loop, holding WRITING_HOLES of its filled shape. A small
    note is narrow only where the digit on it is, and that digit's strokes are a small part of it."""
    if _wide(material):
        return False
    holes = (filled & ~material).sum()
    return holes == 0 or holes >= WRITING_HOLES * filled.sum()


def _wide(filled: np.ndarray) -> bool:
    """Whether a shape is wide enough to write on somewhere inside (MIN_THICKNESS of the short side)."""
    from scipy.ndimage import distance_transform_edt

    return 2 * distance_transform_edt(filled).max() >= MIN_THICKNESS * min(filled.shape)


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


def border_colour(rgb: np.ndarray) -> np.ndarray:
    """The median colour of the picture's outermost pixels: its paper, even where a digit cropped tight
    runs into the edge (a stroke crosses the border at a few places only)."""
    ring = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    return np.median(ring, axis=0)
