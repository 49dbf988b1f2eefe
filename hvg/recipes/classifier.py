"""The classifier's recipe: Adam on cross-entropy, with small random shifts.

The classifier is what the fast domain metrics (hvg.metrics) embed images with. Shifting each
training image by up to two pixels in x and y is the light augmentation, and halving the
learning rate every 750 steps the schedule, that take this small network past 99 % test
accuracy on MNIST. The schedule reads the step from Adam's own state, which checkpoints keep,
so a resumed run follows it exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from hvg.models.base import device_of
from hvg.models.classifier import Classifier
from hvg.recipes.base import Batch, Recipe, StepFn, option, steps_taken, unpack


def random_shift(x: torch.Tensor, pixels: int) -> torch.Tensor:
    """Move each image by its own whole-pixel offset in [-pixels, pixels] (x and y); the edge
    pixels fill the space uncovered (the background, for digits)."""
    n, _, h, w = x.shape
    shift = torch.randint(-pixels, pixels + 1, (n, 2)).to(x)
    theta = torch.zeros(n, 2, 3, dtype=x.dtype, device=x.device)
    theta[:, 0, 0] = theta[:, 1, 1] = 1
    theta[:, 0, 2], theta[:, 1, 2] = 2 * shift[:, 0] / w, 2 * shift[:, 1] / h
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="nearest", padding_mode="border", align_corners=False)


def classifier_step(
    model: Classifier | nn.Module,
    optimizer: torch.optim.Optimizer,
    shift: int = 2,
    halve_every: int = 750,
) -> StepFn:
    """One gradient step on the cross-entropy of a batch of (shifted) images and their labels,
    at the initial learning rate halved once per `halve_every` steps taken."""
    initial = [group["lr"] for group in optimizer.param_groups]

    def step(batch: Batch) -> dict[str, float]:
        model.train()
        for group, lr in zip(optimizer.param_groups, initial, strict=True):
            group["lr"] = lr * 0.5 ** (steps_taken(optimizer) // halve_every)
        x, labels = unpack(batch, device_of(model))
        logits = model(random_shift(x, shift) if shift else x)
        loss = F.cross_entropy(logits, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        accuracy = (logits.argmax(1) == labels).float().mean()
        return {"loss": loss.item(), "accuracy": accuracy.item()}

    return step


@dataclass(frozen=True)
class ClassifierOptions:
    """Adam's initial learning rate, its halving period and the random shifts' reach."""

    lr: float = option(1e-3, "learning rate (halved every --halve-every steps)")
    shift: int = option(2, "random shifts of up to this many pixels in x and y (0: none)")
    halve_every: int = option(750, "steps between halvings of the learning rate")


def classifier_recipe(model: Classifier, **options: float) -> Recipe:
    """Adam on cross-entropy, the learning rate halved every `halve_every` steps
    (`ClassifierOptions`)."""
    settings = ClassifierOptions(**options)  # type: ignore[arg-type]
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
    step = classifier_step(model, optimizer, settings.shift, settings.halve_every)
    return Recipe(model, {"adam": optimizer}, step)
