"""Train a model by its registry name: build it for a data set from a seed, train, checkpoint.

`train_model` is what `python -m hvg train` runs, what the notebooks fall back on when a
shipped checkpoint is missing (hvg.pretrained), and what the bench scripts train with: one
code path from a name and a `TrainConfig` to a trained model.
"""

from __future__ import annotations

import dataclasses

from torch import nn
from torch.utils.data import DataLoader

from hvg import distributed
from hvg.config import seed_everything
from hvg.data import get_dataloader
from hvg.models import VAE
from hvg.recipes.vae import vae_recipe
from hvg.registry import entry
from hvg.train import History, TrainConfig, fit


def check_sizes(name: str, sizes: dict[str, object]) -> None:
    """Refuse a size the model does not have, naming the ones it has."""
    takes = list(entry(name).sizes())
    for size in sizes:
        if size not in takes:
            flag = "--" + size.replace("_", "-")
            raise ValueError(f"{name} has no {size} ({flag}): its sizes are {', '.join(takes)}")


def train_model(name: str, config: TrainConfig | None = None) -> tuple[nn.Module, History]:
    """Build `name` for `config.dataset` from `config.seed` and train it with its recipe. Trains
    on the GPU when there is one; under torchrun, each process on its shard with
    `config.batch_size` images a step. Returns (model on the CPU, loss history)."""
    config = config or TrainConfig()
    if config.desc is None:
        config = dataclasses.replace(config, desc=name)
    registered = entry(name)
    check_sizes(name, config.sizes)
    rank, world = distributed.rank(), distributed.world_size()
    loader = get_dataloader(
        config.dataset, config.image_size, "train", config.batch_size, limit=config.limit,
        seed=config.seed, rank=rank, world_size=world,
    )  # fmt: skip
    images, _ = loader.dataset[0]
    seed_everything(config.seed)
    model = registered.model(channels=images.shape[0], image_size=images.shape[-1], **config.sizes)
    model.to(distributed.device())
    distributed.seed_rank(config.seed)
    recipe = registered.recipe(model, **config.options)
    history = fit(recipe, loader, config)
    return model.cpu().eval(), history


def train_vae(
    model: VAE, loader: DataLoader, steps: int, seed: int = 0, progress: bool = True, **options
) -> History:
    """Train a VAE you built with Adam for `steps` batches of `loader`, seeded so that the run
    repeats; `options` are `VAEOptions` fields (lr, beta)."""
    seed_everything(seed)
    config = TrainConfig(steps=steps, seed=seed, desc="VAE", progress=progress)
    history = fit(vae_recipe(model, **options), loader, config)
    model.eval()
    return history
