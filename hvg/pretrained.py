"""Shipped models: load the checkpoint if the course ships it, otherwise train it the same way.

`train_model` is the one recipe behind both the CLI (`python -m hvg train`) and the notebooks'
fallback, so a checkpoint trained on a laptop and a shipped one come from the same code.
"""

from __future__ import annotations

from torch import nn

from hvg.checkpoints import load_history, load_model, pretrained_path
from hvg.config import pick, seed_everything
from hvg.data import get_dataloader
from hvg.models import build_model
from hvg.train import History, train_vae


def train_model(
    name: str,
    dataset: str = "mnist",
    steps: int = 10_000,
    seed: int = 0,
    batch_size: int = 128,
    lr: float = 1e-3,
    latent_dim: int = 16,
    image_size: int | None = None,
    progress: bool = True,
) -> tuple[nn.Module, History]:
    """Build `name` for `dataset` and train it from a seed; returns (model, loss history)."""
    if name != "vae":
        raise ValueError(f"no training recipe for {name!r} yet: choose 'vae'")
    loader = get_dataloader(dataset, image_size, "train", batch_size, seed=seed)
    images, _ = next(iter(loader))
    seed_everything(seed)
    model = build_model(
        name, channels=images.shape[1], image_size=images.shape[-1], latent_dim=latent_dim
    )
    history = train_vae(model, loader, steps, lr=lr, seed=seed, progress=progress)
    return model, history


def load_pretrained(name: str, dataset: str = "mnist") -> tuple[nn.Module, History]:
    """The shipped checkpoint of `name` if present; else a fresh one, trained here and now."""
    path = pretrained_path(name, dataset)
    if path.exists():
        print(f"Loaded the shipped checkpoint {path.parent.name}/{path.name}.")
        return load_model(path, expect=name), load_history(path)
    steps = pick(full=10_000, quick=200)
    print(f"No shipped checkpoint at {path}: training {name} on {dataset} for {steps} steps.")
    return train_model(name, dataset, steps)
