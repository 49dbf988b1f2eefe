"""The training engine: any model's step function, run for N steps, checkpointed and resumable.

`fit` knows nothing about a particular model. A `Recipe` bundles a model, its optimizers and a
step function that takes one batch, updates the model and returns its losses as floats.
`vae_recipe` is the VAE's; other models add theirs. With a checkpoint path, `fit` saves the
whole training state every few steps and resumes from it, so an interrupted run (Ctrl-C, a
crash, a killed process) continues exactly where it stopped.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from hvg.checkpoints import resume, save_model
from hvg.config import seed_everything
from hvg.data import get_dataloader
from hvg.losses import discriminator_loss, generator_loss, minimax_generator_loss, vae_loss
from hvg.models import build_model
from hvg.models.base import device_of
from hvg.models.dcgan import DCGAN
from hvg.models.vae import VAE

StepFn = Callable[[torch.Tensor], dict[str, float]]
History = list[dict[str, float]]


@dataclass
class Recipe:
    """What training needs besides data: the model, its optimizers (by name), one step."""

    model: nn.Module
    optimizers: dict[str, torch.optim.Optimizer]
    step: StepFn


class NonFiniteLossError(RuntimeError):
    """A loss became NaN or infinite: training stops instead of silently wrecking the weights."""


def batches(loader: DataLoader, start: int = 0) -> Iterator[torch.Tensor]:
    """Images from `loader`, epoch after epoch without end, beginning after `start` batches.

    A sampler with `set_epoch` (hvg's EpochSampler, DistributedSampler) is told each epoch, so
    the order of the data depends on the seed and the step alone: a resumed run sees the same
    batches as one that never stopped.
    """
    if len(loader) == 0:
        raise ValueError("the data loader is empty: lower batch_size or raise limit")
    first_epoch, skip = divmod(start, len(loader))
    for epoch in itertools.count(first_epoch):
        if hasattr(loader.sampler, "set_epoch"):
            loader.sampler.set_epoch(epoch)
        for images, *_ in itertools.islice(loader, skip if epoch == first_epoch else 0, None):
            yield images


def _check_finite(losses: dict[str, float], step: int, checkpoint: Path | None, saved: int) -> None:
    """Stop with a message that says which loss, when, and what to try."""
    for name, value in losses.items():
        if not math.isfinite(value):
            kept = (
                f" The last good checkpoint, {checkpoint} (step {saved}), is kept."
                if (checkpoint and saved)
                else ""
            )
            raise NonFiniteLossError(
                f"loss {name!r} is {value} at step {step}: lower the learning rate, or check "
                f"the inputs are scaled to [-1, 1].{kept}"
            )


def fit(
    recipe: Recipe,
    loader: DataLoader,
    steps: int,
    checkpoint: str | Path | None = None,
    every: int = 500,
    desc: str = "training",
    progress: bool = True,
    samples: dict[int, torch.Tensor] | None = None,
    sample_every: int = 0,
    **info: str,
) -> History:
    """Train `recipe` until step `steps`; return one dict of losses per step.

    With `checkpoint`, the training state is saved there every `every` steps, at the end, and
    on Ctrl-C; if the file exists, training resumes from it. `info` goes into its metadata.
    With `samples` and `sample_every`, 16 images from the same 16 codes are stored in
    `samples[step]` every `sample_every` steps, to watch the model learn.
    """
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    if not isinstance(every, int) or every < 1:
        raise ValueError(f"every must be a positive int, got {every!r}")
    checkpoint = Path(checkpoint) if checkpoint is not None else None
    start, history = 0, []
    if checkpoint is not None and checkpoint.exists():
        start, history = resume(checkpoint, recipe.model, recipe.optimizers)
        print(f"Resuming from {checkpoint} at step {start}.")

    def save(step: int) -> None:
        if checkpoint is not None:
            save_model(recipe.model, checkpoint, history, recipe.optimizers, step, **info)

    data = batches(loader, start)
    bar = tqdm(
        range(start + 1, steps + 1), desc=desc, initial=start, total=steps, disable=not progress
    )
    saved = start
    try:
        for i in bar:
            losses = recipe.step(next(data))
            _check_finite(losses, i, checkpoint, saved)
            history.append({"step": float(i), **losses})
            bar.set_postfix({k: f"{v:.3g}" for k, v in losses.items()}, refresh=False)
            if i % every == 0 or i == steps:
                save(i)
                saved = i
            if samples is not None and sample_every and i % sample_every == 0:
                samples[i] = snapshot(recipe.model)
    except KeyboardInterrupt:
        done = int(history[-1]["step"]) if history else start
        save(done)
        where = f"; saved to {checkpoint}, run again to resume" if checkpoint else ""
        print(f"Interrupted at step {done} of {steps}{where}. The model keeps its weights.")
    finally:
        bar.close()
    return history


def snapshot(model: nn.Module, n: int = 16) -> torch.Tensor:
    """n samples from fixed codes (seed 0), in eval mode: the training state is untouched."""
    model.eval()
    images = model.sample(n, generator=torch.Generator().manual_seed(0)).cpu()
    model.train()
    return images


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
    """Adam on the negative ELBO."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    return Recipe(model, {"adam": optimizer}, vae_step(model, optimizer, beta))


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


def dcgan_step(
    model: DCGAN,
    d_optimizer: torch.optim.Optimizer,
    g_optimizer: torch.optim.Optimizer,
    minimax: bool = False,
) -> StepFn:
    """One discriminator step, then one generator step on the same fakes.

    The generator minimises -log D(G(z)) (non-saturating); `minimax=True` makes it minimise
    log(1 - D(G(z))) instead, the original game, whose gradient vanishes while D wins.
    """
    g, d = model.generator, model.discriminator

    def step(x: torch.Tensor) -> dict[str, float]:
        model.train()
        x = x.to(device_of(model))
        fake = g(torch.randn(len(x), model.latent_dim, device=x.device))
        real_logits, fake_logits = d(x), d(fake.detach())
        loss_d = discriminator_loss(real_logits, fake_logits)
        d_optimizer.zero_grad(set_to_none=True)
        loss_d.backward()
        d_optimizer.step()
        g_loss = minimax_generator_loss if minimax else generator_loss
        loss_g = g_loss(d(fake))
        g_optimizer.zero_grad(set_to_none=True)
        loss_g.backward()
        g_optimizer.step()
        return {
            "loss_d": loss_d.item(),
            "loss_g": loss_g.item(),
            "d_real": (real_logits > 0).float().mean().item(),  # accuracy on real images
            "d_fake": (fake_logits < 0).float().mean().item(),  # accuracy on fakes
        }

    return step


def dcgan_recipe(model: DCGAN, lr: float = 2e-4, minimax: bool = False) -> Recipe:
    """Adam with beta1 = 0.5 for both networks, as in the DCGAN paper."""
    d_opt = torch.optim.Adam(model.discriminator.parameters(), lr=lr, betas=(0.5, 0.999))
    g_opt = torch.optim.Adam(model.generator.parameters(), lr=lr, betas=(0.5, 0.999))
    step = dcgan_step(model, d_opt, g_opt, minimax)
    return Recipe(model, {"discriminator": d_opt, "generator": g_opt}, step)


RECIPES: dict[str, Callable[..., Recipe]] = {"vae": vae_recipe, "dcgan": dcgan_recipe}


def train_model(
    name: str,
    dataset: str = "mnist",
    steps: int = 10_000,
    seed: int = 0,
    batch_size: int = 128,
    lr: float | None = None,
    latent_dim: int | None = None,
    image_size: int | None = None,
    limit: int | None = None,
    checkpoint: str | Path | None = None,
    every: int = 500,
    progress: bool = True,
    **info: str,
) -> tuple[nn.Module, History]:
    """Build `name` for `dataset` from a seed and train it: the recipe behind the CLI and the
    notebooks' fallback when a shipped checkpoint is missing. `lr` and `latent_dim` default to
    the model's own. Returns (model, loss history)."""
    if name not in RECIPES:
        raise ValueError(f"no training recipe for {name!r}: choose one of {', '.join(RECIPES)}")
    loader = get_dataloader(dataset, image_size, "train", batch_size, limit=limit, seed=seed)
    images, _ = loader.dataset[0]
    seed_everything(seed)
    sizes = {"latent_dim": latent_dim} if latent_dim is not None else {}
    model = build_model(name, channels=images.shape[0], image_size=images.shape[-1], **sizes)
    recipe = RECIPES[name](model, **({"lr": lr} if lr is not None else {}))
    history = fit(
        recipe,
        loader,
        steps,
        checkpoint,
        every,
        desc=name,
        progress=progress,
        dataset=dataset,
        **info,
    )
    return model.eval(), history
