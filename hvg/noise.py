"""Corruptions for denoising: additive Gaussian noise, salt and pepper, and occlusion.

Every kind takes a `level` in [0, 1] on the [0, 1] pixel scale that denoising papers use:
Gaussian noise's standard deviation, the fraction of pixels salt and pepper hits, or the
fraction of the image a square occludes. Noisy images are clipped back to the valid range, so
a corrupted image is still an image (it can be saved as uint8, shown, or filtered). All draws
come from a `torch.Generator` when given one (seeded, reproducible), else from torch's global
generator, which training checkpoints save.
"""

from __future__ import annotations

import torch

KINDS = ("gaussian", "salt-pepper", "mask")
LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)  # the sweep's levels; training draws in between
MASK_FILL = 0.0  # occluded squares are mid-grey ([-1, 1] scale): visibly missing, not a stroke


def _levels(level: float | torch.Tensor, n: int) -> torch.Tensor:
    """`level` as one value per image, (n, 1, 1, 1), checked to lie in [0, 1]."""
    levels = torch.as_tensor(level, dtype=torch.float32).flatten()
    if levels.numel() == 1:
        levels = levels.expand(n)
    if levels.numel() != n:
        raise ValueError(f"give one level, or one per image ({n}), not {levels.numel()}")
    if not ((levels >= 0) & (levels <= 1)).all():
        raise ValueError(
            f"noise levels must lie in [0, 1] (the [0, 1] pixel scale), got {levels.tolist()}"
        )
    return levels.view(n, 1, 1, 1)


def gaussian(
    x: torch.Tensor, sigma: torch.Tensor, generator: torch.Generator | None
) -> torch.Tensor:
    """x + sigma * N(0, 1) on the [0, 1] scale (twice that on the course's [-1, 1]), clipped."""
    noise = torch.randn(x.shape, generator=generator).to(x)
    return (x + 2 * sigma.to(x) * noise).clamp(-1, 1)


def salt_pepper(
    x: torch.Tensor, amount: torch.Tensor, generator: torch.Generator | None
) -> torch.Tensor:
    """Each pixel, with probability `amount`, turns black or white (even odds)."""
    hit = torch.rand(x.shape, generator=generator).to(x) < amount.to(x)
    white = torch.rand(x.shape, generator=generator).to(x) < 0.5
    return torch.where(hit, torch.where(white, 1.0, -1.0).to(x), x)


def mask(x: torch.Tensor, area: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """One square per image, covering `area` of it, at a random place, filled with mid-grey."""
    n, _, h, w = x.shape
    side = (area.flatten().sqrt() * min(h, w)).round().long()
    top = (torch.rand(n, generator=generator) * (h - side + 1)).long()
    left = (torch.rand(n, generator=generator) * (w - side + 1)).long()
    rows = torch.arange(h).view(1, h, 1)
    cols = torch.arange(w).view(1, 1, w)
    inside = (
        (rows >= top.view(n, 1, 1))
        & (rows < (top + side).view(n, 1, 1))
        & (cols >= left.view(n, 1, 1))
        & (cols < (left + side).view(n, 1, 1))
    )
    return torch.where(inside[:, None].to(x.device), torch.full_like(x, MASK_FILL), x)


CORRUPTIONS = {"gaussian": gaussian, "salt-pepper": salt_pepper, "mask": mask}


def corrupt(
    images: torch.Tensor,
    kind: str = "gaussian",
    level: float | torch.Tensor = 0.5,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Corrupted copies of images (B, C, H, W) in [-1, 1]: `kind` at `level` (one, or one per
    image), drawn from `generator` (seeded: the same corruption every time)."""
    if kind not in CORRUPTIONS:
        raise ValueError(f"unknown noise kind {kind!r}: choose one of {', '.join(KINDS)}")
    if images.ndim != 4 or not images.is_floating_point():
        raise ValueError(
            f"corrupt takes float images (B, C, H, W) in [-1, 1], got {images.dtype} of shape "
            f"{tuple(images.shape)}"
        )
    return CORRUPTIONS[kind](images, _levels(level, len(images)), generator)


def training_noise(
    images: torch.Tensor, low: float = LEVELS[0], high: float = LEVELS[-1]
) -> torch.Tensor:
    """What the denoisers learn from: each image gets a kind at random and a level uniform in
    [low, high], so one model covers every kind and level of the sweep."""
    n = len(images)
    kinds = torch.randint(len(KINDS), (n,))
    levels = low + (high - low) * torch.rand(n)
    out = images.clone()
    for k, kind in enumerate(KINDS):
        chosen = kinds == k
        if chosen.any():
            out[chosen] = corrupt(images[chosen], kind, levels[chosen])
    return out
