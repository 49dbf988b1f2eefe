"""Training recipes for the three denoisers (hvg.models.denoiser): corrupted in, clean out.

Each step corrupts its batch afresh with `hvg.noise.training_noise` (a random kind and level
per image, from torch's global generator, which checkpoints save), so the models never see
the same noisy image twice and a resumed run draws the same noise as an uninterrupted one.

- `denoiser_recipe`: the VAE-GAN's Algorithm 1 unchanged (hvg.recipes.vaegan), except that
  the encoder sees the noisy image; the feature-wise reconstruction loss compares the
  discriminator's features of the output with those of the *clean* image.
- `denoising_vae_recipe`: the negative ELBO, Bernoulli likelihood of the clean image (as the
  course's VAE, notebook 01) given the noisy one.
- `denoising_ae_recipe`: the squared pixel error against the clean image: what PSNR rewards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from hvg.losses import kl_normal
from hvg.models.base import device_of
from hvg.models.denoiser import Denoiser, DenoisingAutoencoder, DenoisingVAE
from hvg.noise import training_noise
from hvg.recipes.base import Batch, Recipe, StepFn, option, unpack
from hvg.recipes.vaegan import vaegan_recipe

Losses = Callable[[nn.Module, torch.Tensor, torch.Tensor], dict[str, torch.Tensor]]


def denoiser_recipe(model: Denoiser, **options: object) -> Recipe:
    """The VAE-GAN's recipe (RMSProp 3e-4, `VAEGANOptions`) with noisy inputs."""
    return vaegan_recipe(model, inputs=training_noise, **options)


def bernoulli_nll_images(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """-log p(target | output) per image, mean over the batch: pixels in [-1, 1] read as the
    probabilities (output + 1) / 2 of Bernoulli variables with means (target + 1) / 2."""
    p = ((output + 1) / 2).clamp(1e-6, 1 - 1e-6)
    nll = F.binary_cross_entropy(p, (target + 1) / 2, reduction="none")
    return nll.flatten(1).sum(dim=1).mean()


def _step(model: nn.Module, optimizer: torch.optim.Optimizer, losses_of: Losses) -> StepFn:
    """One Adam step on `losses_of(noisy, clean)["loss"]`, noise drawn for this batch."""

    def step(batch: Batch) -> dict[str, float]:
        model.train()
        clean, _ = unpack(batch, device_of(model))
        losses = losses_of(model, training_noise(clean), clean)
        optimizer.zero_grad(set_to_none=True)
        losses["loss"].backward()
        optimizer.step()
        return {k: v.item() for k, v in losses.items()}

    return step


def _vae_losses(beta: float) -> Losses:
    """The negative ELBO (Bernoulli likelihood of the clean image, beta-weighted KL)."""

    def losses(net: nn.Module, noisy: torch.Tensor, clean: torch.Tensor) -> dict:
        output, mu, logvar = net(noisy)
        recon, kl = bernoulli_nll_images(output, clean), kl_normal(mu, logvar).mean()
        return {"loss": recon + beta * kl, "recon": recon, "kl": kl}

    return losses


def _ae_losses(net: nn.Module, noisy: torch.Tensor, clean: torch.Tensor) -> dict:
    """The mean squared pixel error against the clean image."""
    mse = (net(noisy) - clean).pow(2).mean()
    return {"loss": mse, "mse": mse}


@dataclass(frozen=True)
class DenoisingAEOptions:
    """Adam's learning rate."""

    lr: float = option(1e-3, "learning rate")


@dataclass(frozen=True)
class DenoisingVAEOptions(DenoisingAEOptions):
    """Adam's learning rate and the KL's weight."""

    beta: float = option(1.0, "weight of the KL term")


def denoising_vae_recipe(model: DenoisingVAE, **options: float) -> Recipe:
    """Adam on the negative ELBO of the clean image given the noisy one
    (`DenoisingVAEOptions`)."""
    settings = DenoisingVAEOptions(**options)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
    step = _step(model, optimizer, _vae_losses(settings.beta))
    return Recipe(model, {"adam": optimizer}, step)


def denoising_ae_recipe(model: DenoisingAutoencoder, **options: float) -> Recipe:
    """Adam on the mean squared pixel error against the clean image (`DenoisingAEOptions`)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=DenoisingAEOptions(**options).lr)
    return Recipe(model, {"adam": optimizer}, _step(model, optimizer, _ae_losses))
