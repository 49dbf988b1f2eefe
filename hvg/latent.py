"""Moving through a latent space: straight lines and great circles between two codes."""

from __future__ import annotations

import torch


def interpolate(
    z0: torch.Tensor, z1: torch.Tensor, t: float, spherical: bool = False
) -> torch.Tensor:
    """The point a fraction t of the way from z0 to z1.

    Linear interpolation cuts through the middle of the Gaussian prior, where codes have an
    unusually small norm; spherical interpolation (slerp) keeps the norm, so it stays where
    the prior puts its mass (White 2016, "Sampling generative networks").
    """
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"t must be in [0, 1], got {t}")
    if not spherical:
        return (1 - t) * z0 + t * z1
    cos = torch.dot(z0.flatten(), z1.flatten()) / (z0.norm() * z1.norm()).clamp_min(1e-12)
    omega = torch.arccos(cos.clamp(-1.0, 1.0))
    if omega.abs() < 1e-6:
        return (1 - t) * z0 + t * z1
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)
