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
from hvg.recipes.denoise import denoiser_recipe, denoising_ae_recipe, denoising_vae_recipe
from hvg.recipes.fusion import progressive_recipe
from hvg.recipes.vae import vae_recipe
from hvg.recipes.vaegan import vaegan_recipe
from hvg.train import History, Recipe, fit

RECIPES: dict[str, Callable[..., Recipe]] = {
    "vae": vae_recipe,
    "dcgan": dcgan_recipe,
    "vaegan": vaegan_recipe,
    "classifier": classifier_recipe,
    "fusion-early": vaegan_recipe,
    "fusion-late": vaegan_recipe,
    "fusion-progressive": progressive_recipe,
    "denoiser": denoiser_recipe,
    "denoiser-vae": denoising_vae_recipe,
    "denoiser-ae": denoising_ae_recipe,
}


def _check_sizes(name: str, sizes: dict[str, int]) -> None:
    """Refuse a size the model does not have, naming the ones it has."""
    takes = [p for p in inspect.signature(MODELS[name]).parameters if p not in DATA_SIZES]
    for size in sizes:
        if size not in takes:
            flag = "--" + size.replace("_", "-")
            raise ValueError(f"{name} has no {size} ({flag}): its sizes are {', '.join(takes)}")


DATA_SIZES = ("channels", "image_size")  # set by the data set, not by hand


def train_model(
    name: str,
    dataset: str = "mnist",
    steps: int = 10_000,
    seed: int = 0,
    batch_size: int = 128,
    lr: float | None = None,
    image_size: int | None = None,
    limit: int | None = None,
    checkpoint: str | Path | None = None,
    every: int = 500,
    progress: bool = True,
    sample_every: int = 0,
    sample_dir: str | Path | None = None,
    keep_every: int = 0,
    keep_dir: str | Path | None = None,
    sizes: dict[str, int] | None = None,
    options: dict[str, object] | None = None,
    **info: str,
) -> tuple[nn.Module, History]:
    """Build `name` for `dataset` from a seed and train it: the recipe behind the CLI and the
    notebooks' fallback when a shipped checkpoint is missing. `sizes` go to the model (e.g.
    `latent_dim`, `width`) and `options` to the recipe (e.g. the VAE-GAN's `gamma`); `lr` and
    both default to the model's own. Trains on the GPU when there is one; under torchrun, each
    process on its shard with `batch_size` images a step. Returns (model on the CPU, loss
    history)."""
    if name not in RECIPES:
        raise ValueError(f"no training recipe for {name!r}: choose one of {', '.join(RECIPES)}")
    _check_sizes(name, sizes or {})
    rank, world = distributed.rank(), distributed.world_size()
    loader = get_dataloader(
        dataset, image_size, "train", batch_size, limit=limit, seed=seed, rank=rank,
        world_size=world,
    )  # fmt: skip
    images, _ = loader.dataset[0]
    seed_everything(seed)
    model = build_model(
        name, channels=images.shape[0], image_size=images.shape[-1], **(sizes or {})
    )
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
