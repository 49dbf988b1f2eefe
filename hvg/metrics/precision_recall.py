"""Precision and recall of a generative model (Kynkäänniemi et al. 2019), and their F1.

Each set of features approximates its manifold by balls: one around every sample, reaching to
its k-th nearest neighbour in the same set (k = 3, as in the paper). Precision is the fraction
of generated samples inside the real manifold (are the samples realistic?); recall the
fraction of real samples inside the generated manifold (is the data covered?). FID mixes the
two; these tell a blurry model (low precision) from a mode-collapsed one (low recall).

Distances are computed with torch.cdist in chunks of rows, so 10,000 x 10,000 pairs never sit
in memory at once. The one matrix of generated-to-real distances serves both measures.
"""

from __future__ import annotations

import torch

from hvg.checks import MetricInputError, check_pair


def knn_radii(features: torch.Tensor, k: int = 3, chunk: int = 1024) -> torch.Tensor:
    """Each sample's distance to its k-th nearest neighbour among the others (N,)."""
    radii = [
        # k + 1: each row's smallest distance is the sample's own, zero
        torch.cdist(rows, features).topk(k + 1, dim=1, largest=False).values[:, k]
        for rows in features.split(chunk)
    ]
    return torch.cat(radii)


def f1_score(precision: float, recall: float) -> float:
    """The harmonic mean of precision and recall (0 when both are 0)."""
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def precision_recall(
    real: torch.Tensor, fake: torch.Tensor, k: int = 3, chunk: int = 1024
) -> dict[str, float]:
    """{"precision", "recall", "f1"} of generated features (M, D) against real ones (N, D).

    Real and generated sets should be the same size: the radii, and so both measures, depend
    on the sampling density.
    """
    if not isinstance(k, int) or k < 1:
        raise MetricInputError(f"k must be a positive int, got {k!r}")
    check_pair(real, fake, at_least=k + 1)
    real_radii, fake_radii = knn_radii(real, k, chunk), knn_radii(fake, k, chunk)
    precise = torch.zeros(len(fake), dtype=torch.bool)
    covered = torch.zeros(len(real), dtype=torch.bool)
    for start in range(0, len(fake), chunk):
        rows = slice(start, start + chunk)
        distances = torch.cdist(fake[rows], real)  # (chunk, N)
        precise[rows] = (distances <= real_radii).any(1)
        covered |= (distances <= fake_radii[rows, None]).any(0)
    precision, recall = precise.float().mean().item(), covered.float().mean().item()
    return {"precision": precision, "recall": recall, "f1": f1_score(precision, recall)}
