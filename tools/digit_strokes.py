"""Digits drawn as strokes, as a person draws them on a pad: ten shapes, each turned, slanted, scaled and
shifted at random, with a hand's wobble. The browser test and bench.web draw them on the page through
Selenium's pointer actions."""

from __future__ import annotations

import numpy as np

Point = tuple[float, float]


def _line(*points: Point) -> list[Point]:
    return list(points)


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 16) -> list[Point]:
    """Points on an ellipse from ``start`` to ``end`` degrees (0 = right, 90 = down)."""
    angles = np.radians(np.linspace(start, end, n))
    return [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in angles]


# Each digit's strokes in a unit square (x right, y down).
SHAPES: dict[int, list[list[Point]]] = {
    0: [_arc(0.5, 0.5, 0.28, 0.42, -90, 270, 28)],
    1: [_line((0.38, 0.24), (0.52, 0.1), (0.52, 0.9))],
    2: [_arc(0.5, 0.32, 0.25, 0.22, 200, 360, 10) + _line((0.72, 0.42), (0.25, 0.9), (0.8, 0.9))],
    3: [_arc(0.47, 0.3, 0.25, 0.2, 210, 450, 14) + _arc(0.47, 0.7, 0.28, 0.2, 270, 510, 14)],
    4: [_line((0.62, 0.92), (0.62, 0.1), (0.2, 0.65), (0.82, 0.65))],
    5: [_line((0.74, 0.1), (0.32, 0.1), (0.28, 0.46)) + _arc(0.48, 0.66, 0.27, 0.23, 235, 500, 14)],
    6: [
        _line((0.68, 0.1))
        + _arc(0.7, 0.62, 0.42, 0.52, 240, 180, 8)
        + _arc(0.5, 0.7, 0.22, 0.2, 180, 540, 18)
    ],
    7: [_line((0.22, 0.12), (0.78, 0.12), (0.42, 0.92))],
    8: [_arc(0.5, 0.28, 0.2, 0.18, 90, 450, 18) + _arc(0.5, 0.7, 0.26, 0.22, -90, 270, 20)],
    9: [_arc(0.48, 0.3, 0.22, 0.2, 0, 360, 18) + _line((0.7, 0.3), (0.64, 0.92))],
}


def digit_strokes(digit: int, rng: np.random.Generator, size: int = 280) -> list[list[Point]]:
    """``digit``'s strokes in a ``size`` x ``size`` pad, in pad pixels, drawn by a slightly different hand
    each time (``rng``)."""
    turn = np.radians(rng.uniform(-8, 8))
    slant = rng.uniform(-0.15, 0.15)
    scale = rng.uniform(0.55, 0.75) * size
    centre = np.array([size / 2, size / 2]) + rng.uniform(-0.06, 0.06, 2) * size
    rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    out = []
    for stroke in SHAPES[digit]:
        unit = np.array(stroke) - 0.5
        unit[:, 0] -= slant * unit[:, 1]  # a slanted hand leans the top to the right
        points = unit @ rotation.T * scale + centre + rng.normal(0, 0.006 * size, unit.shape)
        out.append([(float(x), float(y)) for x, y in np.clip(points, 0.05 * size, 0.95 * size)])
    return out
