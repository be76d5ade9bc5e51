"""The materials of a photo: its large regions of one colour, joined where they are one thing - a page
cut in two by a ruling line where its light fades, the two halves of a folded page, regions of one colour.
:mod:`mnist_dvc.reading.surface` picks the written-on surface among them."""

from __future__ import annotations

import numpy as np

SAME_COLOUR = 12.0  # CIELAB distance: regions closer in mean colour are the same material
SEAMLESS = 4.0  # CIELAB distance: regions this close in colour where they meet are one material...
SEAM_WIDTH = 3  # ...pixels of the small copy: "where they meet" is this far to twice this far from the other
MIN_SEAM = 20  # ...pixels of each, at least: a corner's touch is no seam
FOLD_SHADE = 0.8  # CIELAB lightness: the darker half of a folded page has at least this share of the other's
FOLD_CHROMA = 4.0  # CIELAB distance in hue and saturation (a, b) between the two halves, at most
MIN_PAPER_L = 60.0  # CIELAB lightness: only paper this light is taken for folded (a dark desk is not)
MIN_SHARE = 0.04  # of the frame: smaller regions are not a surface, nor joined into one


def materials_of(labels: np.ndarray, lab: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
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
