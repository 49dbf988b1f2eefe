"""Kernel Inception Distance (Binkowski et al. 2018): an unbiased distance between feature sets.

FID fits a Gaussian to each set, and its estimate is biased: it shrinks as n grows, so FIDs
at different n can't be compared, and at small n the bias dominates. KID is the squared
maximum mean discrepancy under the cubic kernel k(a, b) = (a.b / D + 1)^3, whose estimate is
unbiased at any n: averaged over random subsets, it has the same expectation at n = 500 as at
n = 10,000. The kernel and the estimator are torchmetrics' (`torchmetrics.image.kid`); the
subsets are drawn from a seeded generator, so a score repeats.
"""

from __future__ import annotations

import torch
from torchmetrics.image.kid import poly_mmd

from hvg.checks import MetricInputError, check_pair


def kid(
    real: torch.Tensor,
    fake: torch.Tensor,
    subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """(mean, standard deviation) of the unbiased MMD^2 over `subsets` random subsets of
    `subset_size` real and generated features each (fewer if a set is smaller)."""
    check_pair(real, fake)
    if not isinstance(subsets, int) or subsets < 1:
        raise MetricInputError(f"subsets must be a positive int, got {subsets!r}")
    if not isinstance(subset_size, int) or subset_size < 2:
        raise MetricInputError(f"subset_size must be an int of at least 2, got {subset_size!r}")
    m = min(subset_size, len(real), len(fake))
    generator = torch.Generator().manual_seed(seed)
    real, fake = real.double(), fake.double()
    values = torch.stack(
        [
            poly_mmd(
                real[torch.randperm(len(real), generator=generator)[:m]],
                fake[torch.randperm(len(fake), generator=generator)[:m]],
            )
            for _ in range(subsets)
        ]
    )
    std = values.std().item() if subsets > 1 else 0.0
    return values.mean().item(), std
