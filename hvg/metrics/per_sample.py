"""Scores of single samples, to look at a model's best and worst images and at what it copies.

FID and precision/recall judge a set. To see *which* samples are good or bad:
- `realism`: Kynkäänniemi et al.'s (2019) realism score, max over real samples of (their k-NN
  radius / distance to the sample). Above 1, the sample lies inside some real sample's ball:
  it looks like data; far below 1, it lies off the real manifold.
- `confidence`: the highest class probability a classifier gives the sample (the per-sample
  ingredient of the Inception Score): low for images between classes.
- `nearest`: the distance to, and index of, each sample's nearest neighbour in a reference
  set. Against the training images, near-zero distances flag memorised copies.
"""

from __future__ import annotations

import torch

from hvg.checks import MetricInputError, check_pair
from hvg.metrics.precision_recall import knn_radii


def nearest(
    reference: torch.Tensor, features: torch.Tensor, chunk: int = 1024
) -> tuple[torch.Tensor, torch.Tensor]:
    """(distance, index) of each row of `features` to its nearest row of `reference`."""
    check_pair(reference, features, at_least=1)
    found = [torch.cdist(rows, reference).min(dim=1) for rows in features.split(chunk)]
    return torch.cat([f.values for f in found]), torch.cat([f.indices for f in found])


def realism(real: torch.Tensor, fake: torch.Tensor, k: int = 3, chunk: int = 1024) -> torch.Tensor:
    """The realism score of each generated sample (M,) against real features (N, D).

    As in the paper, the real balls with the largest half of radii are left out, so that
    outliers among the real samples do not make everything look realistic.
    """
    if not isinstance(k, int) or k < 1:
        raise MetricInputError(f"k must be a positive int, got {k!r}")
    check_pair(real, fake, at_least=k + 1)
    radii = knn_radii(real, k, chunk)
    keep = radii <= radii.median()
    real, radii = real[keep], radii[keep]
    scores = [
        (radii / torch.cdist(rows, real).clamp_min(1e-12)).max(dim=1).values
        for rows in fake.split(chunk)
    ]
    return torch.cat(scores)


def confidence(logits: torch.Tensor) -> torch.Tensor:
    """The largest softmax probability of each row of classifier logits (M,)."""
    if logits.dim() != 2 or logits.shape[1] < 2:
        raise MetricInputError(f"expected logits (M, classes >= 2), got {tuple(logits.shape)}")
    return logits.softmax(dim=1).max(dim=1).values
