"""Each model's training recipe, by registry name, and `train_model`: build, train, checkpoint.

A recipe factory takes a freshly built model (and its hyper-parameters) and returns a
`hvg.train.Recipe`; `train_model` is what `python -m hvg train` and the notebooks' fallback
for missing checkpoints both call.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path

from torch import nn

from hvg import distributed
from hvg.config import seed_everything
from hvg.data import get_dataloader
from hvg.models import MODELS, build_model
from hvg.recipes.classifier import classifier_recipe
from hvg.recipes.dcgan import dcgan_recipe
from hvg.recipes.vae import vae_recipe
from hvg.recipes.vaegan import vaegan_recipe
from hvg.train import History, Recipe, fit

RECIPES: dict[str, Callable[..., Recipe]] = {
    "vae": vae_recipe,
    "dcgan": dcgan_recipe,
    "vaegan": vaegan_recipe,
    "classifier": classifier_recipe,
}


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
    sample_every: int = 0,
    sample_dir: str | Path | None = None,
    keep_every: int = 0,
    keep_dir: str | Path | None = None,
    width: int | None = None,
    options: dict[str, object] | None = None,
    **info: str,
) -> tuple[nn.Module, History]:
    """Build `name` for `dataset` from a seed and train it: the recipe behind the CLI and the
    notebooks' fallback when a shipped checkpoint is missing. `lr`, `latent_dim` and `width`
    default to the model's own; `options` go to the recipe (e.g. VAE-GAN's `gamma`). Trains on
    the GPU when there is one; under torchrun, each process on its shard with `batch_size`
    images a step. Returns (model on the CPU, loss history)."""
    if name not in RECIPES:
        raise ValueError(f"no training recipe for {name!r}: choose one of {', '.join(RECIPES)}")
    if latent_dim is not None and "latent_dim" not in inspect.signature(MODELS[name]).parameters:
        raise ValueError(f"{name} has no latent code: leave out latent_dim (--latent-dim)")
    rank, world = distributed.rank(), distributed.world_size()
    loader = get_dataloader(
        dataset, image_size, "train", batch_size, limit=limit, seed=seed, rank=rank,
        world_size=world,
    )  # fmt: skip
    images, _ = loader.dataset[0]
    seed_everything(seed)
    sizes = {k: v for k, v in {"latent_dim": latent_dim, "width": width}.items() if v is not None}
    model = build_model(name, channels=images.shape[0], image_size=images.shape[-1], **sizes)
    model.to(distributed.device())
    distributed.seed_rank(seed)
    settings = {**({"lr": lr} if lr is not None else {}), **(options or {})}
    recipe = RECIPES[name](model, **settings)
    history = fit(
        recipe,
        loader,
        steps,
        checkpoint,
        every,
        desc=name,
        progress=progress,
        sample_every=sample_every,
        sample_dir=sample_dir,
        keep_every=keep_every,
        keep_dir=keep_dir,
        dataset=dataset,
        **info,
    )
    return model.cpu().eval(), history
