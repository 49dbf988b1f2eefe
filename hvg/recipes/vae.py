"""The VAE's recipe, Adam on the negative ELBO; the conditional VAE's too, labels and all."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from hvg.losses import LIKELIHOODS, vae_loss
from hvg.models.base import device_of
from hvg.models.conditional import ConditionalVAE
from hvg.models.vae import VAE
from hvg.recipes.base import Batch, Recipe, StepFn, option, unpack


@dataclass(frozen=True)
class VAEOptions:
    """Adam's learning rate, the KL's weight (beta = 1 is the true ELBO), the likelihood."""

    lr: float = option(1e-3, "learning rate")
    beta: float = option(1.0, "weight of the KL term")
    likelihood: str = option(
        "bernoulli",
        "the decoder's likelihood: Bernoulli pixels, or a Gaussian with the "
        "optimal shared scale (the sigma-VAE)",
        choices=LIKELIHOODS,
    )


def vae_step(
    model: VAE | ConditionalVAE,
    optimizer: torch.optim.Optimizer,
    beta: float = 1.0,
    likelihood: str = "bernoulli",
) -> StepFn:
    """One gradient step on the negative ELBO of a batch (each image with its label, for the
    conditional VAE)."""

    def step(batch: Batch) -> dict[str, float]:
        model.train()
        x, labels = unpack(batch, device_of(model))
        logits, mu, logvar = model(x) if labels is None else model(x, labels)
        losses = vae_loss(logits, x, mu, logvar, beta, likelihood)
        optimizer.zero_grad(set_to_none=True)
        losses["loss"].backward()
        optimizer.step()
        return {k: v.item() for k, v in losses.items()}

    return step


def vae_recipe(model: VAE | ConditionalVAE, **options: float) -> Recipe:
    """Adam on the negative ELBO (`VAEOptions`)."""
    settings = VAEOptions(**options)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
    step = vae_step(model, optimizer, settings.beta, settings.likelihood)
    return Recipe(model, {"adam": optimizer}, step)
