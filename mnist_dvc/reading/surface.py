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
WRITING_HOLES = 0.3  # of a narrow material's filled shape: a loop in a fat marker holds this much
HOLES = 0.02  # of a surface's area: holes larger than this must not be of the material around it


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
    from scipy.ndimage import binary_fill_holes
    from skimage.color import rgb2lab
    from skimage.morphology import convex_hull_image

    from mnist_dvc.reading.page_outline import edge_turn, quadrilateral, snapped, straight_edged

    if min(rgb.shape[:2]) < MIN_PHOTO_SIDE:
        return None  # a scan, a crop or a drawing: no desk around it
    labels, small, scale = regions(rgb)
    frame = labels.size
    lab = rgb2lab(np.clip(small, 0, 1))
    texture = _texture(rgb, labels.shape)
    materials = _materials(labels, lab)
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


def border_colour(rgb: np.ndarray) -> np.ndarray:
    """The median colour of the picture's outermost pixels: its paper, even where a digit cropped tight
    runs into the edge (a stroke crosses the border at a few places only)."""
    ring = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    return np.median(ring, axis=0)
