"""Loss terms, each per image and averaged over the batch, so their sizes compare across runs."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def kl_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag(exp(logvar))) || N(0, I)) in closed form, summed over latent dims: (B,)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=1)


def bernoulli_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x|z) of images x in [-1, 1] under Bernoulli(sigmoid(logits)), summed per image."""
    target = (x + 1) / 2
    nll = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    return nll.flatten(1).sum(dim=1)


def optimal_gaussian_nll(mean: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log N(x; mean, s^2 I) per image, s^2 the batch's mean squared error (its maximum-
    likelihood value, held fixed in the gradient): the optimal sigma-VAE's decoder (Rybkin et
    al. 2021), which weights reconstruction by how well the decoder already does."""
    error = (x - mean).pow(2).flatten(1)
    var = error.mean().detach().clamp_min(1e-6)
    return 0.5 * (error.sum(dim=1) / var + error.shape[1] * torch.log(2 * math.pi * var))


LIKELIHOODS = ("bernoulli", "gaussian")


def vae_loss(
    logits: torch.Tensor,
    x: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    beta: float = 1.0,
    likelihood: str = "bernoulli",
) -> dict[str, torch.Tensor]:
    """Negative ELBO = reconstruction + beta * KL, batch means; beta = 1 is the true ELBO.

    likelihood: "bernoulli" on the pixels, or "gaussian" around the decoded mean (tanh(logits /
    2), what `decode` returns) with the optimal shared scale (`optimal_gaussian_nll`).
    """
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")
    if likelihood == "bernoulli":
        recon = bernoulli_nll(logits, x).mean()
    else:
        recon = optimal_gaussian_nll(torch.tanh(logits / 2), x).mean()
    kl = kl_normal(mu, logvar).mean()
    return {"loss": recon + beta * kl, "recon": recon, "kl": kl}


def discriminator_loss(real_logits: torch.Tensor, *fake_logits: torch.Tensor) -> torch.Tensor:
    """-[log D(x) + sum_i log(1 - D(fake_i))]: the discriminator's side of the minimax game.

    One batch of fakes for a GAN; the VAE-GAN passes two (reconstructions, prior samples).
    """
    loss = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    for fake in fake_logits:
        loss = loss + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
    return loss


def generator_loss(*fake_logits: torch.Tensor) -> torch.Tensor:
    """-sum_i log D(fake_i): the non-saturating generator loss (strong gradients when D wins)."""
    return sum(F.binary_cross_entropy_with_logits(f, torch.ones_like(f)) for f in fake_logits)


def minimax_generator_loss(*fake_logits: torch.Tensor) -> torch.Tensor:
    """sum_i log(1 - D(fake_i)) = -softplus(logit): the original game's generator loss, which
    saturates (its gradient vanishes) exactly when D confidently rejects the fakes."""
    return sum(-F.softplus(f).mean() for f in fake_logits)


def gaussian_nll(target: torch.Tensor, mean: torch.Tensor) -> torch.Tensor:
    """-log N(target; mean, I) per item, up to a constant: half the squared error, summed over
    everything but the batch, then averaged over it (pixels, or a discriminator's features)."""
    return 0.5 * (target - mean).pow(2).flatten(1).sum(dim=1).mean()
