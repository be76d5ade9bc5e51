"""The surface alone (:mod:`mnist_dvc.reading.surface`), as a picture of its own: warped flat or turned
back, everything around it painted with its own paper."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from mnist_dvc.reading.surface import Surface

MIN_TURN = 1.0  # degrees: a page turned less is cut out as it lies
EDGE_INSET = 0.03  # of the surface's size: its edge and shadow are cut off by this much
MARGIN = 0.15  # of the long side: paper added all round, so the digit never touches the picture's edge


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

    from mnist_dvc.reading.ink import noise_spread

    gray = rgb.mean(axis=2)
    return noise_spread((gray - median_filter(gray, 3))[inside])
