"""Light, per-image random affine augmentation applied to a whole batch at once.

torchvision's v2 ``RandomAffine`` draws one transform per call, so on a batch tensor every image would
get the same shift; drawing one matrix per image and warping them all with a single
``affine_grid``/``grid_sample`` call keeps the variety and costs a few milliseconds per batch.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from mnist_dvc.models.affine import MAX_DEGREES, MAX_SCALE, MAX_SHIFT_PX

MAX_SHIFT = MAX_SHIFT_PX / 28.0  # as a fraction of the image side


def random_affine(images: torch.Tensor, strength: float, background: float, generator: torch.Generator):
    """Rotate, scale and shift each image of ``images`` (N, 1, H, W) independently.

    ``background`` is the value of a blank pixel after normalization: areas moved into view get it,
    rather than 0, which after standardization would be a grey, not the paper's white.
    """
    n = images.shape[0]

    def uniform(limit: float) -> torch.Tensor:
        return (torch.rand(n, generator=generator) * 2 - 1) * limit * strength

    angle = uniform(math.radians(MAX_DEGREES))
    scale = 1 + uniform(MAX_SCALE)
    shift_x, shift_y = uniform(2 * MAX_SHIFT), uniform(2 * MAX_SHIFT)  # grid coordinates span [-1, 1]
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift_x], 1), torch.stack([sin, cos, shift_y], 1)], 1)
    grid = F.affine_grid(theta.to(images.device, images.dtype), list(images.shape), align_corners=False)
    warped = F.grid_sample(
        images - background, grid, mode="bilinear", padding_mode="zeros", align_corners=False
    )
    return warped + background
