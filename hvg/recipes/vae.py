"""The VAE's recipe: Adam on the negative ELBO."""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader

from hvg.config import seed_everything
from hvg.distributed import parallel
from hvg.losses import vae_loss
from hvg.models.base import device_of
from hvg.models.vae import VAE
from hvg.train import History, Recipe, StepFn, fit


def vae_step(model: VAE, optimizer: torch.optim.Optimizer, beta: float = 1.0) -> StepFn:
    """One gradient step on the negative ELBO of a batch."""

    def step(x: torch.Tensor) -> dict[str, float]:
        model.train()
        x = x.to(device_of(model))
        logits, mu, logvar = model(x)
        losses = vae_loss(logits, x, mu, logvar, beta)
        optimizer.zero_grad(set_to_none=True)
        losses["loss"].backward()
        optimizer.step()
        return {k: v.item() for k, v in losses.items()}

    return step


def vae_recipe(model: VAE, lr: float = 1e-3, beta: float = 1.0) -> Recipe:
    """Adam on the negative ELBO; the step runs the model as `parallel` wraps it (torchrun)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    return Recipe(model, {"adam": optimizer}, vae_step(parallel(model), optimizer, beta))


def train_vae(
    model: VAE,
    loader: DataLoader,
    steps: int,
    lr: float = 1e-3,
    beta: float = 1.0,
    seed: int = 0,
    progress: bool = True,
) -> History:
    """Train a VAE with Adam for `steps` batches, seeded so that the run repeats."""
    seed_everything(seed)
    history = fit(vae_recipe(model, lr, beta), loader, steps, desc="VAE", progress=progress)
    model.eval()
    return history
