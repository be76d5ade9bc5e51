"""Ruling lines seen in perspective made parallel again.

A ruled page photographed at an angle, and not warped flat by its outline (it runs off the frame, so its
four corners are not all seen), shows its ruling lines converging: each is straight, but their tilts
differ from the top of the page to the bottom, so no one rotation levels them all and the ruling
step (:func:`mnist_dvc.reading.photo.remove_rules`) would leave parts of them beside the writing. The lines
themselves tell where they meet (their vanishing point); a projective transform that sends that point
to infinity makes them parallel and level, and keeps vertical lines vertical.
"""

from __future__ import annotations

import numpy as np

TILT_STEP = 0.1  # degrees
MIN_LINES = 4  # lines needed to see how their tilts change
LINE_COVER = 0.25  # of the picture's width: a line this long counts (rulings in perspective shorten)
LINE_APART = 6  # pixels: lines closer than this are one
OFF_THE_FIT = 0.3  # degrees: a line whose tilt is this far from the others' trend is not a ruling
MIN_SPREAD = 0.4  # degrees of tilt between the top and the bottom line: less is level enough
FAR = 1.0  # of the picture's width: a vanishing point nearer the picture than this is no page's


def levelling(lines_mask: np.ndarray, max_tilt: float) -> np.ndarray | None:
    """The 3x3 projective transform ((column, row) -> (column, row), homogeneous) that makes the
    straight lines of ``lines_mask`` within ``max_tilt`` degrees of level parallel and level, moved so
    that the picture lands at (0, 0); None when they are parallel already or too few to tell. Columns
    stay columns: a margin line keeps the page's turn (made upright too by a shear, it left more of
    the rulings beside the writing)."""
    from skimage.transform import hough_line, hough_line_peaks

    width = lines_mask.shape[1]
    tilts = np.arange(-max_tilt, max_tilt + TILT_STEP / 2, TILT_STEP)
    accumulator, angles, dists = hough_line(lines_mask, theta=np.deg2rad(90.0 + tilts))
    _, theta, rho = hough_line_peaks(
        accumulator, angles, dists, min_distance=LINE_APART, min_angle=len(angles),
        threshold=LINE_COVER * width, num_peaks=60,
    )  # fmt: skip
    if len(theta) < MIN_LINES:
        return None
    centre = width / 2
    rows = (rho - centre * np.cos(theta)) / np.sin(theta)  # where each line crosses the middle column
    tilt = np.rad2deg(theta) - 90.0
    keep = np.ones(len(tilt), bool)
    for _ in range(3):  # the tilt changes steadily with the row across a pencil of lines; others go
        if keep.sum() < MIN_LINES:
            return None
        trend = np.polyfit(rows[keep], tilt[keep], 1)
        keep = np.abs(np.polyval(trend, rows) - tilt) <= OFF_THE_FIT
    if keep.sum() < MIN_LINES:
        return None
    change, _ = np.polyfit(rows[keep], tilt[keep], 1)  # degrees per row
    if abs(change) * np.ptp(rows[keep]) < MIN_SPREAD:
        return None
    # Near level, line k is row = r_k + s_k (column - centre), its slope s_k = a + b r_k: all meet at
    # the column centre - 1/b, the row -a/b.
    a, b = np.deg2rad(np.polyval(trend, 0.0)), np.deg2rad(change)
    reach = -1.0 / b
    if abs(reach) < FAR * width:
        return None
    row_at = -a / b
    # In coordinates centred on (centre, row_at), w = 1 - x / reach sends the vanishing point (reach, 0)
    # to infinity along x: every line through it becomes a row; x = constant stays a column.
    shift = np.array([[1.0, 0, -centre], [0, 1.0, -row_at], [0, 0, 1.0]])
    send = np.array([[1.0, 0, 0], [0, 1.0, 0], [-1.0 / reach, 0, 1.0]])
    return _at_origin(np.linalg.inv(shift) @ send @ shift, lines_mask.shape)


def _at_origin(matrix: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``matrix`` followed by the shift that puts the transformed picture of ``shape`` at (0, 0)."""
    start = _corners(matrix, shape).min(axis=0)
    return np.array([[1.0, 0, -start[0]], [0, 1.0, -start[1]], [0, 0, 1.0]]) @ matrix


def _corners(matrix: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Where the corners (column, row) of a picture of ``shape`` land under ``matrix``."""
    height, width = shape
    corners = np.array([[0, 0, 1], [width - 1, 0, 1], [width - 1, height - 1, 1], [0, height - 1, 1]], float)
    placed = corners @ matrix.T
    return placed[:, :2] / placed[:, 2:]


def output_shape(matrix: np.ndarray, shape: tuple[int, int]) -> tuple[int, int]:
    """The (rows, columns) that hold a picture of ``shape`` transformed by ``matrix``."""
    far = _corners(matrix, shape).max(axis=0)
    return int(np.ceil(far[1])) + 1, int(np.ceil(far[0])) + 1


def apply(matrix: np.ndarray, picture: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``picture`` (float, 2-D) transformed by ``matrix`` into ``shape``, bilinear, 0 outside."""
    from skimage.transform import ProjectiveTransform, warp

    return warp(picture, ProjectiveTransform(matrix=matrix).inverse, output_shape=shape, order=1,
                preserve_range=True)  # fmt: skip
