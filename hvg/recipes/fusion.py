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

from hvg.models.fusion import ProgressiveFusion
from hvg.recipes.vaegan import Schedule, vaegan_recipe
from hvg.train import Recipe


def linear_ramp(start: int, ramp: int) -> Schedule:
    """0 until step `start`, then rising linearly to 1 at step `start + ramp`, then 1."""
    if not isinstance(start, int) or start < 0 or not isinstance(ramp, int) or ramp < 1:
        raise ValueError(f"need start >= 0 and ramp >= 1 steps, got start={start}, ramp={ramp}")
    return lambda step: min(1.0, max(0.0, (step - start) / ramp))


def progressive_recipe(
    model: ProgressiveFusion,
    lr: float = 3e-4,
    start: int = 1_000,
    ramp: int = 3_000,
    **options: object,
) -> Recipe:
    """The VAE-GAN recipe with a plain VAE's objective handing over to it (see the module)."""
    return vaegan_recipe(model, lr, schedule=linear_ramp(start, ramp), **options)


def schedule_for(steps: int) -> dict[str, int]:
    """Progressive fusion's hand-over scaled to a budget of `steps`: the plain VAE alone for
    the first 10 %, the VAE-GAN's objective ramping in over the next 40 %, then alone."""
    if not isinstance(steps, int) or steps < 10:
        raise ValueError(f"need a budget of at least 10 steps, got {steps!r}")
    return {"start": steps // 10, "ramp": 4 * steps // 10}
