"""Fréchet distance between two feature sets (FID when the features are Inception's).

FID fits a Gaussian to each set of features and measures
    ||mu_1 - mu_2||^2 + tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2)).
Everything is in float64: the covariances of 2048-d features have eigenvalues spread over many
orders of magnitude, and float32 sums lose the small ones. tr (S_1 S_2)^(1/2) is computed as
the trace of the square root of the symmetric matrix S_1^(1/2) S_2 S_1^(1/2), which has the
same eigenvalues, with symmetric eigendecompositions: no complex round-off to discard, unlike
scipy.linalg.sqrtm of the non-symmetric S_1 S_2.

torchmetrics' FrechetInceptionDistance keeps running sums inside a metric object fed with
images; here the real features come from a cache on disk (hvg.metrics.cache) and also serve
precision and recall, so the distance is computed from features directly. The tests check it
against torchmetrics' FID fed the same features, and against scipy.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import torch

from hvg.checks import check_pair


def feature_statistics(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (D,) and unbiased covariance (D, D) of features (N, D), in float64."""
    x = features.double()
    mean = x.mean(0)
    centred = x - mean
    return mean, centred.T @ centred / (len(x) - 1)


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run torch on one thread inside the block, then restore its thread count.

    MKL's symmetric eigensolver gains little from a second thread and, on a busy CPU, loses
    badly to threads waiting for each other: on the shared 2-core machine, eigh of a 2048x2048
    covariance took 36 s on two threads and 1.6 s on one (128x128: 0.9 s and 1 ms).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _sqrt_psd(matrix: torch.Tensor) -> torch.Tensor:
    """The symmetric square root of a symmetric positive semi-definite matrix."""
    values, vectors = torch.linalg.eigh(matrix)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T


def frechet_distance(
    mu1: torch.Tensor, sigma1: torch.Tensor, mu2: torch.Tensor, sigma2: torch.Tensor
) -> float:
    """The Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2), in float64."""
    mu1, sigma1, mu2, sigma2 = (t.double() for t in (mu1, sigma1, mu2, sigma2))
    with _one_thread():
        root1 = _sqrt_psd(sigma1)
        middle = root1 @ sigma2 @ root1
        eigenvalues = torch.linalg.eigvalsh((middle + middle.T) / 2)
    trace_sqrt = eigenvalues.clamp(min=0).sqrt().sum()
    diff = mu1 - mu2
    return float(diff @ diff + sigma1.trace() + sigma2.trace() - 2 * trace_sqrt)


def fid(real: torch.Tensor, fake: torch.Tensor) -> float:
    """Fréchet distance between real features (N, D) and generated features (M, D).

    Fewer samples than dimensions leave the covariance singular and the distance biased
    upwards (it shrinks as N grows in any case): compare FIDs only at the same N, and use at
    least D samples (2048 for Inception; 10,000 is the course's standard).
    """
    check_pair(real, fake)
    smallest = min(len(real), len(fake))
    if smallest < real.shape[1]:
        warnings.warn(
            f"FID from {smallest} samples of {real.shape[1]}-d features: the covariance is "
            "singular and FID is strongly biased upwards. Use at least as many samples as "
            f"dimensions ({real.shape[1]}); compare FIDs only at the same sample count.",
            stacklevel=2,
        )
    return frechet_distance(*feature_statistics(real), *feature_statistics(fake))
