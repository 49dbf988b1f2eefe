"""The fusion models' recipes: the VAE-GAN's Algorithm 1, and progressive fusion's schedule.

Early and late fusion train exactly as the Larsen VAE-GAN does (hvg.recipes.vaegan), so a
comparison isolates the architecture. Progressive fusion keeps the VAE-GAN's networks and
changes the objective over time: for the first `start` steps the encoder and decoder learn a
plain VAE (a Gaussian likelihood on pixels, plus the KL term), which trains stably and fast;
then, over `ramp` steps, the VAE-GAN's objective (the learned similarity and the adversarial
term) takes over linearly, and from `start + ramp` on the model is the VAE-GAN. The
discriminator learns from the first step, so its features are worth matching when they start
to count. The schedule reads the step from the encoder's optimizer state, which checkpoints
keep, so a resumed run follows it exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from hvg.models.base import device_of
from hvg.models.vaegan import VAEGAN
from hvg.recipes.base import Batch, Recipe, StepFn, option, steps_taken, unpack
from hvg.recipes.vaegan import (
    Grads,
    Terms,
    VAEGANOptions,
    algorithm_1,
    gradient_terms,
    gradients,
    update,
    vaegan_losses,
    vaegan_optimizers,
)

Schedule = Callable[[int], float]  # optimizer steps taken -> the VAE-GAN objective's share


def linear_ramp(start: int, ramp: int) -> Schedule:
    """0 until step `start`, then rising linearly to 1 at step `start + ramp`, then 1."""
    if not isinstance(start, int) or start < 0 or not isinstance(ramp, int) or ramp < 1:
        raise ValueError(f"need start >= 0 and ramp >= 1 steps, got start={start}, ramp={ramp}")
    return lambda step: min(1.0, max(0.0, (step - start) / ramp))


@dataclass(frozen=True)
class ProgressiveOptions(VAEGANOptions):
    """The VAE-GAN's options, and when its objective takes over from the plain VAE's."""

    PRESETS: ClassVar[dict[str, dict[str, Any]]] = {
        "paper": {},  # the VAE-GAN's paper defaults, with this recipe's default hand-over
        "shipped": {**VAEGANOptions.PRESETS["shipped"], "start": 500, "ramp": 2_000},
    }  # the shipped model: the VAE-GAN's shipped options, the hand-over of schedule_for(5_000)

    start: int = option(
        1_000,
        "steps of plain VAE before the VAE-GAN's objective starts to count",
        flag="--fusion-start",
    )
    ramp: int = option(
        3_000,
        "steps over which the VAE-GAN's objective takes over, linearly",
        flag="--fusion-ramp",
    )


def handover(
    model: VAEGAN,
    losses: dict[str, torch.Tensor],
    terms: Terms,
    share: float,
    options: VAEGANOptions,
) -> Grads:
    """Algorithm 1's encoder and decoder objectives weighted by `share`, the plain VAE's
    (the Gaussian likelihood on pixels) by 1 - share; the KL term and the discriminator's
    objective as in Algorithm 1."""
    pixel_enc, pixel_dec = gradients(losses["pixel"], model.encoder, model.decoder)
    enc = zip(terms.prior_enc, terms.llike_enc, pixel_enc, strict=True)
    dec = zip(terms.llike_dec, terms.fool_dec, pixel_dec, strict=True)
    return {
        "encoder": [options.beta * a + share * b + (1 - share) * p for a, b, p in enc],
        "decoder": [share * (options.gamma * a + b) + (1 - share) * p for a, b, p in dec],
        "discriminator": terms.gan_dis,
    }


def progressive_step(
    model: VAEGAN,
    optimizers: dict[str, torch.optim.Optimizer],
    options: VAEGANOptions,
    schedule: Schedule,
) -> StepFn:
    """Algorithm 1 once `schedule` says the hand-over is done; until then, `handover`'s blend.
    The share is read from the encoder's optimizer state, which checkpoints keep."""

    def step(batch: Batch) -> dict[str, float]:
        model.train()
        share = schedule(steps_taken(optimizers["encoder"]))
        x, _ = unpack(batch, device_of(model))
        losses = vaegan_losses(model, x, options)
        terms = gradient_terms(model, losses, options)
        if share < 1:
            grads = handover(model, losses, terms, share, options)
        else:
            grads = algorithm_1(terms, options)
        pixel = losses["pixel"].item()
        return update(model, optimizers, grads, losses, options, pixel=pixel, share=share)

    return step


def progressive_recipe(model: VAEGAN, **options: object) -> Recipe:
    """The VAE-GAN recipe with a plain VAE's objective handing over to it (see the module);
    `options` are `ProgressiveOptions` fields."""
    settings = ProgressiveOptions(**options)  # type: ignore[arg-type]
    optimizers = vaegan_optimizers(model, settings)
    step = progressive_step(model, optimizers, settings, linear_ramp(settings.start, settings.ramp))
    return Recipe(model, optimizers, step)


def schedule_for(steps: int) -> dict[str, int]:
    """Progressive fusion's hand-over scaled to a budget of `steps`: the plain VAE alone for
    the first 10 %, the VAE-GAN's objective ramping in over the next 40 %, then alone."""
    if not isinstance(steps, int) or steps < 10:
        raise ValueError(f"need a budget of at least 10 steps, got {steps!r}")
    return {"start": steps // 10, "ramp": 4 * steps // 10}
