"""The training loop: any model's step function, run for N steps with a progress bar.

`fit` knows nothing about a particular model: a step function takes one batch, updates the
model and returns its losses as floats. `vae_step` is the VAE's; other models add theirs.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator

import torch
from torch import nn
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from hvg.config import seed_everything
from hvg.losses import vae_loss
from hvg.models.vae import VAE

StepFn = Callable[[torch.Tensor], dict[str, float]]
History = list[dict[str, float]]


class NonFiniteLossError(RuntimeError):
    """A loss became NaN or infinite: training stops instead of silently wrecking the weights."""


def device_of(model: nn.Module) -> torch.device:
    """The device a model's parameters live on."""
    return next(model.parameters()).device


def batches(loader: DataLoader) -> Iterator[torch.Tensor]:
    """Images from `loader`, epoch after epoch from epoch 0, without end.

    A sampler with `set_epoch` (hvg's EpochSampler, DistributedSampler) is told each epoch,
    so the order of the data depends on the seed alone, not on earlier use of the loader.
    """
    if len(loader) == 0:
        raise ValueError("the data loader is empty: lower batch_size or raise limit")
    for epoch in itertools.count():
        if hasattr(loader.sampler, "set_epoch"):
            loader.sampler.set_epoch(epoch)
        for images, *_ in loader:
            yield images


def fit(
    step: StepFn, loader: DataLoader, steps: int, desc: str = "training", progress: bool = True
) -> History:
    """Run `step` on `steps` batches; return one dict of losses per step (with its step number).

    Ctrl-C (or the notebook's stop button) ends training early and keeps what was learned:
    the history so far is returned and the model keeps its weights.
    """
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    history: History = []
    data = batches(loader)
    bar = tqdm(range(1, steps + 1), desc=desc, disable=not progress)
    try:
        for i in bar:
            losses = step(next(data))
            for name, value in losses.items():
                if not math.isfinite(value):
                    raise NonFiniteLossError(
                        f"loss {name!r} is {value} at step {i}: lower the learning rate, "
                        "or check the inputs are scaled to [-1, 1]"
                    )
            history.append({"step": float(i), **losses})
            bar.set_postfix({k: f"{v:.3g}" for k, v in losses.items()}, refresh=False)
    except KeyboardInterrupt:
        print(f"Interrupted after {len(history)} of {steps} steps; the model keeps its weights.")
    finally:
        bar.close()
    return history


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
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = fit(vae_step(model, optimizer, beta), loader, steps, "VAE", progress)
    model.eval()
    return history
