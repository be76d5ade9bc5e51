"""The measures of ink that the steps of :mod:`mnist_dvc.reading.photo` share: a box round it, a group of
its pieces' box, height, width and pen, the picture's own frame, and union-find to join pieces."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Box(NamedTuple):
    """Where some ink lies, in pixels: rows ``top`` to ``bottom - 1``, columns ``left`` to ``right - 1``
    (skimage's bbox order)."""

    top: int
    left: int
    bottom: int
    right: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def short_side(self) -> int:
        return min(self.height, self.width)

    @property
    def long_side(self) -> int:
        return max(self.height, self.width)


def box_of(group: list) -> Box:
    """The box around every component (skimage region) of the group."""
    boxes = np.array([r.bbox for r in group])
    return Box(int(boxes[:, 0].min()), int(boxes[:, 1].min()), int(boxes[:, 2].max()), int(boxes[:, 3].max()))


def height_of(group: list) -> int:
    return box_of(group).height


def long_side_of(group: list) -> int:
    return box_of(group).long_side


def stroke_width(group: list, skeleton_length: np.ndarray) -> float:
    """Mean stroke width of a group of components: ink area per pixel of centre line."""
    return sum(r.area for r in group) / max(1, sum(int(skeleton_length[r.label]) for r in group))


def frame_of(shape: tuple[int, int], inside: np.ndarray | None) -> Box:
    """The box of the picture's own area within the mask (all of it by default)."""
    if inside is None:
        return Box(0, 0, shape[0], shape[1])
    rows, cols = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
    return Box(int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1)


def union(n: int, pairs: list[tuple[int, int]]) -> list[int]:
    """Union-find: each of ``n`` items -> the representative of its connected set."""
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs:
        parent[find(i)] = find(j)
    return [find(i) for i in range(n)]
