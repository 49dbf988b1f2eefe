"""Train a model by its registry name: build it for a data set from a seed, train, checkpoint.

`train_model` is what `python -m hvg train` runs, what the notebooks fall back on when a
shipped checkpoint is missing (hvg.course.pretrained), and what the bench scripts train with: one
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
from hvg.recipes.base import flag_of
from hvg.recipes.vae import vae_recipe
from hvg.registry import REGISTRY, build_model, entry
from hvg.train import History, TrainConfig, fit


def check_sizes(name: str, sizes: dict[str, object]) -> None:
    """Refuse a size the model does not have, naming the ones it has."""
    takes = list(entry(name).sizes())
    for size in sizes:
        if size not in takes:
            flag = "--" + size.replace("_", "-")
            raise ValueError(f"{name} has no {size} ({flag}): its sizes are {', '.join(takes)}")


def check_options(name: str, options: dict[str, object]) -> None:
    """Refuse an option the model's recipe does not take, naming the models whose recipes
    take it, or (an option of no recipe) the options this one has."""
    takes = entry(name).defaults()
    for option in options:
        if option in takes:
            continue
        specs = {f.name: f for e in REGISTRY.values() for f in dataclasses.fields(e.options)}
        if option not in specs:
            flag = "--" + option.replace("_", "-")
            raise ValueError(
                f"{name} has no option {option} ({flag}): its options are {', '.join(takes)}"
            )
        models = ", ".join(m for m, e in REGISTRY.items() if option in e.defaults())
        raise ValueError(f"{flag_of(specs[option])} applies to {models} only, not {name}")


def train_model(name: str, config: TrainConfig | None = None) -> tuple[nn.Module, History]:
    """Build `name` for `config.dataset` from `config.seed` and train it with its recipe. Trains
    on the GPU when there is one; under torchrun, each process on its shard with
    `config.batch_size` images a step. Returns (model on the CPU, loss history). A size or an
    option the model does not take is refused with the message the CLI gives."""
    config = config or TrainConfig()
    if config.desc is None:
        config = dataclasses.replace(config, desc=name)
    registered = entry(name)
    check_sizes(name, config.sizes)
    check_options(name, config.options)
    rank, world = distributed.rank(), distributed.world_size()
    loader = get_dataloader(
        config.dataset,
        config.image_size,
        "train",
        config.batch_size,
        limit=config.limit,
        seed=config.seed,
        rank=rank,
        world_size=world,
    )
    images, _ = loader.dataset[0]
    seed_everything(config.seed)
    model = build_model(name, channels=images.shape[0], image_size=images.shape[-1], **config.sizes)
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
