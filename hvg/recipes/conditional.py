"""Recipes of the conditional models: their parents' recipes, with each image's label passed on.

Each step takes (images, labels) (`Recipe(labels=True)`), so `fit` hands it both. The losses
and optimizers are those of the unconditional parent: the negative ELBO with Adam for the
conditional VAE; DCGAN's alternating steps with Adam (beta1 0.5) for the conditional GAN, its
fakes drawn as the real batch's classes; Algorithm 1 (hvg.recipes.vaegan) for the conditional
VAE-GAN.
"""

from __future__ import annotations

import torch

from hvg.distributed import no_sync, parallel
from hvg.losses import discriminator_loss, generator_loss, minimax_generator_loss, vae_loss
from hvg.models.base import device_of
from hvg.models.conditional import ConditionalGAN, ConditionalVAE, ConditionalVAEGAN, one_hot
from hvg.recipes.base import LabelledStepFn, Recipe
from hvg.recipes.dcgan import DCGANOptions, game_report, gan_optimizers
from hvg.recipes.vae import VAEOptions
from hvg.recipes.vaegan import VAEGANOptions, vaegan_optimizers, vaegan_step


def cvae_step(
    model: ConditionalVAE, optimizer: torch.optim.Optimizer, beta: float, likelihood: str
) -> LabelledStepFn:
    """One gradient step on the negative ELBO of a batch, each image given its label."""
    run = parallel(model)

    def step(x: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
        model.train()
        x, labels = x.to(device_of(model)), labels.to(device_of(model))
        logits, mu, logvar = run(x, labels)
        losses = vae_loss(logits, x, mu, logvar, beta, likelihood)
        optimizer.zero_grad(set_to_none=True)
        losses["loss"].backward()
        optimizer.step()
        return {k: v.item() for k, v in losses.items()}

    return step


def cvae_recipe(model: ConditionalVAE, **options: float) -> Recipe:
    """Adam on the negative ELBO, as the VAE's recipe (`VAEOptions`)."""
    settings = VAEOptions(**options)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
    step = cvae_step(model, optimizer, settings.beta, settings.likelihood)
    return Recipe(model, {"adam": optimizer}, step, True)


def cgan_step(
    model: ConditionalGAN,
    d_optimizer: torch.optim.Optimizer,
    g_optimizer: torch.optim.Optimizer,
    minimax: bool = False,
) -> LabelledStepFn:
    """DCGAN's step (hvg.recipes.dcgan) with labels: D judges (x, y) pairs, G draws the batch's
    classes, so fakes come in the data's class proportions."""
    g, d = parallel(model.generator), parallel(model.discriminator)

    def step(x: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
        model.train()
        x, labels = x.to(device_of(model)), labels.to(device_of(model))
        z = torch.randn(len(x), model.latent_dim, device=x.device)
        fake = g(torch.cat([z, one_hot(labels, model.num_classes).to(z)], dim=1))
        real_logits, fake_logits = d(x, labels), d(fake.detach(), labels)
        loss_d = discriminator_loss(real_logits, fake_logits)
        d_optimizer.zero_grad(set_to_none=True)
        loss_d.backward()
        d_optimizer.step()
        g_loss = minimax_generator_loss if minimax else generator_loss
        with no_sync(d):
            loss_g = g_loss(d(fake, labels))
        g_optimizer.zero_grad(set_to_none=True)
        loss_g.backward()
        g_optimizer.step()
        return game_report(loss_d, loss_g, real_logits, fake_logits)

    return step


def cgan_recipe(model: ConditionalGAN, **options: object) -> Recipe:
    """Adam with beta1 = 0.5 for both networks, as DCGAN's recipe (`DCGANOptions`)."""
    settings = DCGANOptions(**options)  # type: ignore[arg-type]
    d_opt, g_opt = gan_optimizers(model, settings.lr, settings.d_lr_scale)
    step = cgan_step(model, d_opt, g_opt, settings.minimax)
    return Recipe(model, {"discriminator": d_opt, "generator": g_opt}, step, True)


def cvaegan_recipe(model: ConditionalVAEGAN, **options: object) -> Recipe:
    """Algorithm 1 with labels, the VAE-GAN's optimizers and `VAEGANOptions`."""
    settings = VAEGANOptions(**options)  # type: ignore[arg-type]
    optimizers = vaegan_optimizers(model, settings)
    return Recipe(model, optimizers, vaegan_step(model, optimizers, settings), True)
