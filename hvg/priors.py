"""Sampling from where the codes are: an ex-post density on a trained model's latent space.

A VAE's decoder learns to decode the codes its encoder produces. Those codes (the aggregate
posterior q(z) = E_x q(z|x)) do not fill N(0, I): they leave holes, regions the prior samples
often and the decoder never saw, which decode to blobs. Ghosh et al. (2020, "From variational
to deterministic autoencoders") fit a density to the encoder's codes after training, an
"ex-post" Gaussian mixture, and sample from it instead: the same decoder, better samples.

`GaussianMixture.fit` is plain EM with full covariances, in float64, seeded. `expost_prior`
fits one to the posterior means of the training images before `hvg.data.VALIDATION_START`;
`ExPostPrior` wraps the model so that `sample(n)` (and hence `hvg.metrics.evaluate`) draws
its codes from the mixture.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from hvg.data import VALIDATION_START, load_dataset
from hvg.models.base import device_of


class GaussianMixture:
    """K Gaussians with full covariances: weights (K,), means (K, D), covariances (K, D, D)."""

    def __init__(self, weights: torch.Tensor, means: torch.Tensor, covariances: torch.Tensor):
        self.weights, self.means, self.covariances = weights, means, covariances
        self.chol = torch.linalg.cholesky(covariances)

    @classmethod
    def fit(
        cls, codes: torch.Tensor, k: int, seed: int = 0, iterations: int = 200, tol: float = 1e-4
    ) -> GaussianMixture:
        """EM from k codes drawn at random (seeded) as the means and the codes' covariance as
        every covariance; stops when the mean log-likelihood (nats a code) gains less than `tol`."""
        if not isinstance(k, int) or k < 1 or k > len(codes):
            raise ValueError(f"k must be an int from 1 to the number of codes, got {k!r}")
        x = codes.detach().double().cpu()
        n, d = x.shape
        ridge = 1e-6 * torch.eye(d, dtype=x.dtype)
        start = torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:k]
        mixture = cls(
            torch.full((k,), 1 / k, dtype=x.dtype),
            x[start].clone(),
            (torch.cov(x.T) + ridge).expand(k, d, d).clone(),
        )
        previous = -math.inf
        for _ in range(iterations):
            log_r = mixture._joint(x)  # E step: log p(x, component)
            likelihood = torch.logsumexp(log_r, dim=1)
            r = (log_r - likelihood[:, None]).exp()
            counts = r.sum(0) + 1e-10  # M step
            means = (r.T @ x) / counts[:, None]
            second = torch.stack([(x * r[:, j : j + 1]).T @ x for j in range(k)])
            cov = second / counts[:, None, None] - means[:, :, None] * means[:, None, :]
            mixture = cls(counts / n, means, cov + ridge)
            current = likelihood.mean().item()
            if current - previous < tol:
                break
            previous = current
        return mixture

    def _joint(self, x: torch.Tensor) -> torch.Tensor:
        """log [weight_k N(x; mean_k, cov_k)] for each code and component, (N, K)."""
        d = x.shape[1]
        diff = x[None] - self.means[:, None]  # (K, N, D)
        solved = torch.linalg.solve_triangular(self.chol, diff.transpose(1, 2), upper=False)
        mahalanobis = solved.pow(2).sum(1)  # (K, N)
        log_det = 2 * self.chol.diagonal(dim1=1, dim2=2).log().sum(1)
        log_normal = -0.5 * (mahalanobis + log_det[:, None] + d * math.log(2 * math.pi))
        return (log_normal + self.weights.log()[:, None]).T

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log q(z) of each code (N,): to choose K on held-out codes."""
        return torch.logsumexp(self._joint(z.detach().double().cpu()), dim=1)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n codes (n, D), float32: a component by weight, then a draw from its Gaussian."""
        component = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        noise = torch.randn(n, self.means.shape[1], dtype=self.means.dtype, generator=generator)
        z = self.means[component] + (self.chol[component] @ noise[:, :, None]).squeeze(-1)
        return z.float()


@torch.no_grad()
def training_codes(
    model: nn.Module, dataset: str = "mnist", start: int = 0, stop: int = VALIDATION_START
) -> torch.Tensor:
    """The posterior means `model.encode` gives training images start..stop-1 (eval mode)."""
    images = load_dataset(dataset, "train").tensors[0][start:stop]
    model.eval()
    return torch.cat([model.encode(b.to(device_of(model))).cpu() for b in images.split(1000)])


class ExPostPrior(nn.Module):
    """A trained model whose `sample` decodes codes from a fitted density instead of N(0, I)."""

    def __init__(self, model: nn.Module, mixture: GaussianMixture):
        super().__init__()
        self.model, self.mixture = model, mixture
        self.config = model.config
        self.train(model.training)  # so that restoring this wrapper's mode restores the model's

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n images decoded from n codes of the mixture."""
        z = self.mixture.sample(n, generator)
        return self.model.decode(z.to(device_of(self.model)))


def expost_prior(
    model: nn.Module, k: int = 10, dataset: str = "mnist", seed: int = 0
) -> ExPostPrior:
    """`model` with a k-component Gaussian mixture fitted to its training codes (Ghosh et al.
    2020); the validation images (VALIDATION_START on) stay out, to choose k with."""
    return ExPostPrior(model, GaussianMixture.fit(training_codes(model, dataset), k, seed))
