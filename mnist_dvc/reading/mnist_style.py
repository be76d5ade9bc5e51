"""One digit's ink to 28x28 the way MNIST was made: scaled or redrawn with MNIST's pen, centred by mass."""

from __future__ import annotations

import numpy as np

SCAN_GROW, SCAN_FLOOR = 0.1, 0.1  # a tight crop's ink: this far round its box, from this share of its darkest

BOX, SIDE = 20, 28  # MNIST: the digit fits a 20x20 box inside the 28x28 image

# MNIST's pen: ink mass per pixel of skeleton is 2.85 pixels (median of the first 3,000 training digits).
# Drawn OVERSAMPLE times larger with a disk of radius PEN_RADIUS and averaged back: (2 * 5 + 1) / 4 = 2.75.
OVERSAMPLE, PEN_RADIUS = 4, 5

KEEP_PEN = (0.12, 0.25)  # a pen this wide (of the digit's long side; MNIST's: 2.85 / 20) is kept as is

FILLED = 2.0  # ink this many times deeper than its strokes is a loop the pen filled in
SPUR = 0.3  # skeleton branches this many stroke widths long or shorter, ending free, are spurs


def scan_digit(
    strength: np.ndarray, box: tuple, frame: tuple[int, int, int, int], floor: float = SCAN_FLOOR
) -> np.ndarray:
    """A digit cropped tight (a scanned form's cell, a small scan) -> 28x28 in [0, 1]: as MNIST was made
    from its scans, its ink as it is, every shade above ``floor`` of its darkest, cropped to that ink
    (within the picture, around the digit's box), fitted into 20x20 and centred by mass. A small blurred
    scan's shades hold loops and strokes' ends that any threshold loses."""
    from PIL import Image

    rows, cols = box
    grow = round(SCAN_GROW * max(rows.stop - rows.start, cols.stop - cols.start))
    area = np.s_[
        max(frame[0], rows.start - grow) : min(frame[2], rows.stop + grow),
        max(frame[1], cols.start - grow) : min(frame[3], cols.stop + grow),
    ]
    ink = np.clip(strength[area] / max(float(strength[box].max()), 1e-6), 0, 1).astype(np.float32)
    ink[ink < floor] = 0
    ys, xs = np.nonzero(ink)
    ink = ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    h, w = ink.shape
    factor = BOX / max(h, w)
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return centre_by_mass(
        np.clip(np.asarray(Image.fromarray(ink).resize(size, Image.Resampling.LANCZOS)), 0, 1)
    )


def mnist_digit(crop: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """One digit (its bool crop, and the ink strength there) -> 28x28 in [0, 1].

    A pen close to MNIST's own (KEEP_PEN, as a share of the digit's size: a scan of a digit, a drawing
    with a felt pen) is kept as written, only scaled: redrawing would change a digit the models already
    read as it is. A hairline ballpoint, chalk or a fat marker is redrawn with MNIST's pen."""
    if KEEP_PEN[0] <= pen_share(crop) <= KEEP_PEN[1]:
        return scale_ink(crop, strength)
    return redraw(crop)


def pen_share(crop: np.ndarray) -> float:
    """A digit's pen width (its ink over its skeleton's length) as a share of its long side."""
    from skimage.morphology import skeletonize

    return float(crop.sum() / max(1, skeletonize(crop).sum()) / max(crop.shape))


def scale_ink(crop: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """The digit's own ink (strength within its components and their edge), scaled to fit 20x20
    (anti-aliased, aspect kept) and centred by mass: how MNIST itself was made from its scans."""
    from PIL import Image
    from skimage.morphology import dilation, disk

    ink = np.where(dilation(crop, disk(1)), strength, 0).astype(np.float32)
    ink = np.clip(ink / max(float(np.percentile(strength[crop], 90)), 1e-6), 0, 1)
    h, w = ink.shape
    factor = BOX / max(h, w)
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return centre_by_mass(
        np.clip(np.asarray(Image.fromarray(ink).resize(size, Image.Resampling.LANCZOS)), 0, 1)
    )


def redraw(crop: np.ndarray) -> np.ndarray:
    """One digit's ink (bool crop) -> 28x28 in [0, 1]: its skeleton drawn with MNIST's pen, fitted into
    20x20 (aspect kept) and placed so that its centre of mass is at the centre, as MNIST was made.

    The skeleton itself is fitted to the box (the ink's outline is wider by the old pen), so a fat
    marker's digit keeps its proportions."""
    from skimage.measure import block_reduce
    from skimage.morphology import dilation, disk
    from skimage.transform import resize

    h, w = crop.shape
    inner = BOX * OVERSAMPLE - 2 * PEN_RADIUS  # the skeleton's box, so the drawn stroke fits BOX
    factor = inner / max(h, w)
    shape = (max(1, round(h * factor)), max(1, round(w * factor)))
    # Shrinking averages a thin line away: keep any pixel it touched. Enlarging: a smooth outline.
    scaled = resize(crop.astype(np.float32), shape, order=1, anti_aliasing=factor < 1)
    skeleton = stroke_skeleton(scaled > (0.15 if factor < 1 else 0.5))
    if not skeleton.any():  # a dot: its centre
        skeleton[shape[0] // 2, shape[1] // 2] = True
    rows, cols = np.nonzero(skeleton)
    extent = max(np.ptp(rows), np.ptp(cols))
    lines = draw_skeleton(skeleton, (inner - 1) / extent if extent else 1.0, PEN_RADIUS + 1)
    stroke = dilation(lines, disk(PEN_RADIUS)).astype(np.float32)
    rows, cols = np.nonzero(stroke)
    stroke = stroke[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    pad = [(0, -s % OVERSAMPLE) for s in stroke.shape]
    small = block_reduce(np.pad(stroke, pad), (OVERSAMPLE, OVERSAMPLE), np.mean)
    return centre_by_mass(small)


def draw_skeleton(skeleton: np.ndarray, factor: float, margin: int) -> np.ndarray:
    """The skeleton's pixels scaled by ``factor`` from its top-left corner, each joined to its neighbours
    by a straight line (so enlarging leaves no gaps), on a canvas with ``margin`` pixels all round."""
    ys, xs = np.nonzero(skeleton)
    top, left = ys.min(), xs.min()
    height, width = round(np.ptp(ys) * factor) + 1, round(np.ptp(xs) * factor) + 1
    canvas = np.zeros((height + 2 * margin, width + 2 * margin), bool)
    steps = np.linspace(0, 1, int(np.ceil(factor * 1.5)) + 1)[:, None]
    for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1), (1, -1)):
        y2, x2 = ys + dy, xs + dx
        inside = (y2 < skeleton.shape[0]) & (x2 >= 0) & (x2 < skeleton.shape[1])
        joined = np.zeros_like(inside)
        joined[inside] = skeleton[y2[inside], x2[inside]]
        y = ys[joined] + dy * steps  # points along each join, (steps, joins)
        x = xs[joined] + dx * steps
        canvas[
            np.rint((y - top) * factor).astype(int) + margin,
            np.rint((x - left) * factor).astype(int) + margin,
        ] = True
    return canvas


def stroke_skeleton(mask: np.ndarray) -> np.ndarray:
    """The centre line of the strokes of ``mask``, without the spurs its edge's roughness grows; a loop
    that a fat pen filled in is drawn as its rim.

    The strokes' depth is the distance to the background, its median along the skeleton their half
    width. Where the ink is more than FILLED times deeper, a loop was closed by the pen: the skeleton of
    a solid blob is one line through it, which redraws a "9" with a filled head as a "7". Its deep middle
    is taken out first, so that the skeleton runs round it. A spur is a branch from an end point to a
    junction no longer than SPUR stroke widths: what a bump on the ink's edge grows. A longer one, even
    short beside the pen, is a stroke (a fat "2"'s base), so it stays.
    """
    from scipy.ndimage import convolve, distance_transform_edt
    from skimage.measure import label
    from skimage.morphology import remove_small_objects, skeletonize

    skeleton = skeletonize(mask)
    if not skeleton.any():
        return skeleton
    depth = distance_transform_edt(mask)
    half_width = float(np.median(depth[skeleton]))
    filled = remove_small_objects(depth > FILLED * half_width, max_size=max(2, int(half_width**2)))
    if filled.any():
        skeleton = skeletonize(mask & ~filled)
    neighbours = convolve(
        skeleton.astype(np.uint8), np.array([[1, 1, 1], [1, 0, 1], [1, 1, 1]]), mode="constant"
    )
    junctions = skeleton & (neighbours >= 3)
    ends = skeleton & (neighbours == 1)
    branches = label(skeleton & ~junctions, connectivity=2)
    near_junction = convolve(junctions.astype(np.uint8), np.ones((3, 3), np.uint8), mode="constant") > 0
    sizes = np.bincount(branches.ravel())
    short = [b for b in np.unique(branches[ends]) if b and sizes[b] <= SPUR * 2 * half_width]
    spurs = [b for b in short if near_junction[branches == b].any()]
    return skeleton & ~np.isin(branches, spurs)


def centre_by_mass(box: np.ndarray) -> np.ndarray:
    """Place ``box`` (at most 28x28) in 28x28 so its centre of mass lands on the centre, inside the image."""
    hb, wb = box.shape
    total = box.sum()
    cy = (box.sum(axis=1) * np.arange(hb)).sum() / total
    cx = (box.sum(axis=0) * np.arange(wb)).sum() / total
    top = int(np.clip(round(SIDE / 2 - 0.5 - cy), 0, SIDE - hb))
    left = int(np.clip(round(SIDE / 2 - 0.5 - cx), 0, SIDE - wb))
    digit = np.zeros((SIDE, SIDE), np.float32)
    digit[top : top + hb, left : left + wb] = box
    return digit
