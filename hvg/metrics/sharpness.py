"""Sharpness: how much fine detail images hold, whatever they show.

The variance of the Laplacian (Pech-Pacheco et al. 2000, a standard focus measure): the
Laplacian responds to edges and strokes and is flat on smooth regions, so blur lowers its
variance. It needs no reference image, so it rates samples as well as reconstructions;
compare it with the same measure of real images, which sets what "sharp" means for the data.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from hvg.checks import check_images

LAPLACIAN = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


def sharpness(images: torch.Tensor) -> float:
    """Mean over images (and channels) of the variance of the Laplacian, in [0, 1] units."""
    check_images(images, "images")
    x = (images.double() + 1) / 2
    kernel = LAPLACIAN.to(x).expand(x.shape[1], 1, 3, 3)
    response = F.conv2d(x, kernel, groups=x.shape[1])  # valid part only: no border effects
    return response.flatten(2).var(dim=2).mean().item()
