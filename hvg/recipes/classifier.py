"""The classifier's recipe: Adam on cross-entropy, with small random shifts; its test accuracy.

The classifier is what the fast domain metrics (hvg.metrics) embed images with. Shifting each
training image by up to two pixels in x and y is the light augmentation, and halving the
learning rate every 750 steps the schedule, that take this small network past 99 % test
accuracy on MNIST. The schedule reads the step from Adam's own state, which checkpoints keep,
so a resumed run follows it exactly.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from hvg import distributed
from hvg.checkpoints import load_model
from hvg.data import get_dataloader
from hvg.models.base import device_of
from hvg.models.classifier import Classifier
from hvg.train import LabelledStepFn, Recipe, steps_taken


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
) -> LabelledStepFn:
    """One gradient step on the cross-entropy of a batch of (shifted) images and their labels,
    at the initial learning rate halved once per `halve_every` steps taken."""
    initial = [group["lr"] for group in optimizer.param_groups]

    def step(x: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
        model.train()
        for group, lr in zip(optimizer.param_groups, initial, strict=True):
            group["lr"] = lr * 0.5 ** (steps_taken(optimizer) // halve_every)
        x, labels = x.to(device_of(model)), labels.to(device_of(model))
        logits = model(random_shift(x, shift) if shift else x)
        loss = F.cross_entropy(logits, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        accuracy = (logits.argmax(1) == labels).float().mean()
        return {"loss": loss.item(), "accuracy": accuracy.item()}

    return step


def classifier_recipe(
    model: Classifier, lr: float = 1e-3, shift: int = 2, halve_every: int = 750
) -> Recipe:
    """Adam on cross-entropy, the learning rate halved every `halve_every` steps; the step
    takes (images, labels)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    step = classifier_step(distributed.parallel(model), optimizer, shift, halve_every)
    return Recipe(model, {"adam": optimizer}, step, labels=True)


@torch.no_grad()
def classifier_accuracy(
    model: Classifier | str | Path, dataset: str = "mnist", split: str = "test"
) -> float:
    """The fraction of `split`'s images that `model` (or the checkpoint at that path) labels
    correctly, in eval mode."""
    if not isinstance(model, Classifier):
        model = load_model(model, expect="classifier")
    model.eval()
    size = model.config["image_size"]
    loader = get_dataloader(dataset, size, split, batch_size=1000, shuffle=False)
    correct = sum(
        (model(x.to(device_of(model))).argmax(1).cpu() == y).sum().item() for x, y in loader
    )
    return correct / len(loader.dataset)
