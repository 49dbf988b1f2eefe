"""DCGAN's recipe: alternate discriminator and generator steps, Adam with beta1 = 0.5.

The conditional GAN (hvg.models.conditional) trains with the same step: its batches carry
labels, D judges (image, label) pairs and G draws the batch's classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from hvg.losses import discriminator_loss, generator_loss, minimax_generator_loss
from hvg.models.base import device_of
from hvg.models.conditional import ConditionalGAN
from hvg.models.dcgan import DCGAN
from hvg.recipes.base import Batch, Recipe, StepFn, option, unpack


@dataclass(frozen=True)
class DCGANOptions:
    """Adam's learning rate, the discriminator's multiple of it, and which generator loss."""

    lr: float = option(2e-4, "learning rate")
    minimax: bool = option(False, "the generator minimises log(1 - D(G(z))), the original game")
    d_lr_scale: float = option(
        1.0, "the discriminator's learning rate as a multiple of --lr (TTUR, Heusel et al. 2017)"
    )

    def __post_init__(self) -> None:
        if not self.lr >= 0:  # 0 measures gradients without moving anything
            raise ValueError(f"lr must be 0 or more, got {self.lr!r}")
        if not self.d_lr_scale > 0:
            raise ValueError(f"d_lr_scale must be positive, got {self.d_lr_scale!r}")


def dcgan_step(
    model: DCGAN | ConditionalGAN,
    d_optimizer: torch.optim.Optimizer,
    g_optimizer: torch.optim.Optimizer,
    minimax: bool = False,
) -> StepFn:
    """One discriminator step, then one generator step on the same fakes.

    The generator minimises -log D(G(z)) (non-saturating); `minimax=True` makes it minimise
    log(1 - D(G(z))) instead, the original game, whose gradient vanishes while D wins: the step
    reports the generator's gradient norm (`g_grad`) to show it. With labels in the batch (the
    conditional GAN), G draws the batch's classes, so fakes come in the data's proportions, and
    D judges each image with its label.

    D runs forward twice, on real images and on detached fakes, rather than once on both
    concatenated: one batch of both would change what batch norm normalises with.
    """

    def step(batch: Batch) -> dict[str, float]:
        model.train()
        x, labels = unpack(batch, device_of(model))
        y = () if labels is None else (labels,)
        z = torch.randn(len(x), model.latent_dim, device=x.device)
        fake = model.generator(z if labels is None else model.with_labels(z, labels))
        d = model.discriminator
        real_logits, fake_logits = d(x, *y), d(fake.detach(), *y)
        loss_d = discriminator_loss(real_logits, fake_logits)
        d_optimizer.zero_grad(set_to_none=True)
        loss_d.backward()
        d_optimizer.step()
        g_loss = minimax_generator_loss if minimax else generator_loss
        loss_g = g_loss(d(fake, *y))
        g_optimizer.zero_grad(set_to_none=True)
        loss_g.backward()
        g_grad = gradient_norm(model.generator)
        g_optimizer.step()
        model.update_average()
        return {**game_report(loss_d, loss_g, real_logits, fake_logits), "g_grad": g_grad}

    return step


def game_report(
    loss_d: torch.Tensor, loss_g: torch.Tensor, real_logits: torch.Tensor, fake_logits: torch.Tensor
) -> dict[str, float]:
    """What a GAN step reports: both losses and D's accuracy on real images and on fakes."""
    return {
        "loss_d": loss_d.item(),
        "loss_g": loss_g.item(),
        "d_real": (real_logits > 0).float().mean().item(),
        "d_fake": (fake_logits < 0).float().mean().item(),
    }


def gradient_norm(module: nn.Module) -> float:
    """The L2 norm of all of a module's gradients together: how hard its last loss pushes it."""
    grads = [p.grad.detach().flatten() for p in module.parameters() if p.grad is not None]
    return torch.linalg.vector_norm(torch.cat(grads)).item() if grads else 0.0


def gan_optimizers(
    model: nn.Module, lr: float, d_lr_scale: float = 1.0
) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    """(discriminator's, generator's) Adam with beta1 = 0.5, as in the DCGAN paper; the
    discriminator's learning rate is `d_lr_scale` times the generator's (TTUR when not 1)."""
    d_params = model.discriminator.parameters()
    d_opt = torch.optim.Adam(d_params, lr=lr * d_lr_scale, betas=(0.5, 0.999))
    g_opt = torch.optim.Adam(model.generator.parameters(), lr=lr, betas=(0.5, 0.999))
    return d_opt, g_opt


def dcgan_recipe(model: DCGAN | ConditionalGAN, **options: object) -> Recipe:
    """Adam with beta1 = 0.5 for both networks, as in the DCGAN paper (`DCGANOptions`)."""
    settings = DCGANOptions(**options)  # type: ignore[arg-type]
    d_opt, g_opt = gan_optimizers(model, settings.lr, settings.d_lr_scale)
    step = dcgan_step(model, d_opt, g_opt, settings.minimax)
    return Recipe(model, {"discriminator": d_opt, "generator": g_opt}, step)
