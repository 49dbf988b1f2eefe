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

from hvg.config import seed_everything
from hvg.data import get_dataloader
from hvg.models import MODELS, build_model
from hvg.recipes.classifier import classifier_recipe
from hvg.recipes.dcgan import dcgan_recipe
from hvg.recipes.vae import vae_recipe
from hvg.train import History, Recipe, fit

RECIPES: dict[str, Callable[..., Recipe]] = {
    "vae": vae_recipe,
    "dcgan": dcgan_recipe,
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
    **info: str,
) -> tuple[nn.Module, History]:
    """Build `name` for `dataset` from a seed and train it: the recipe behind the CLI and the
    notebooks' fallback when a shipped checkpoint is missing. `lr` and `latent_dim` default to
    the model's own. Returns (model, loss history)."""
    if name not in RECIPES:
        raise ValueError(f"no training recipe for {name!r}: choose one of {', '.join(RECIPES)}")
    if latent_dim is not None and "latent_dim" not in inspect.signature(MODELS[name]).parameters:
        raise ValueError(f"{name} has no latent code: leave out latent_dim (--latent-dim)")
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
