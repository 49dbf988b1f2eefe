"""Shipped models: load the checkpoint if the course ships it, otherwise train it here.

The fallback trains with `hvg.run.train_model`, the recipe behind `python -m hvg train`, so
a model trained on a laptop and a shipped one come from the same code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch import nn

from hvg.checkpoints import CHECKPOINT_DIR, load_history, load_model, pretrained_path
from hvg.config import pick
from hvg.recipes.base import preset
from hvg.recipes.fusion import ProgressiveOptions
from hvg.recipes.vaegan import VAEGANOptions
from hvg.run import train_model
from hvg.train import History, TrainConfig

# How each shipped checkpoint was trained: its `TrainConfig` settings, which the commands in
# checkpoints/README.md spell out (the tests check each file's recorded command against them);
# the recipe options are the presets of the options dataclasses (VAEGANOptions.PRESETS...).
# A file is named after its model, or after a variant of it, whose entry names the model.
HYBRID = preset(VAEGANOptions, "shipped")  # the shipped VAE-GAN's, shared by the fusion models
SHIPPED: dict[str, dict[str, Any]] = {
    "vae": {"steps": 10_000},
    "dcgan": {"steps": 16_000},
    "classifier": {"steps": 3_000},
    "vaegan": {"steps": 10_000, "batch_size": 64, "options": HYBRID},
    "fusion-early": {"steps": 5_000, "batch_size": 64, "options": HYBRID},
    "fusion-late": {"steps": 5_000, "batch_size": 64, "options": HYBRID},
    "fusion-progressive": {
        "steps": 5_000,
        "batch_size": 64,
        "options": preset(ProgressiveOptions, "shipped"),
    },
    "denoiser": {"steps": 4_000, "batch_size": 64, "options": preset(VAEGANOptions, "denoiser")},
    "denoiser-pixel": {
        "model": "denoiser",
        "steps": 4_000,
        "batch_size": 64,
        "options": preset(VAEGANOptions, "denoiser-pixel"),
    },
    "denoiser-vae": {"steps": 4_000, "batch_size": 64},
    "denoiser-ae": {"steps": 4_000, "batch_size": 64},
    "cvaegan": {"steps": 5_000, "batch_size": 64, "options": preset(VAEGANOptions, "conditional")},
}


def load_pretrained(
    name: str, dataset: str = "mnist", directory: Path = CHECKPOINT_DIR
) -> tuple[nn.Module, History]:
    """The shipped checkpoint `name` (a model, or a variant in SHIPPED) if present; else a
    fresh one, trained here and now with the same settings (fewer steps in quick mode)."""
    path = pretrained_path(name, dataset, directory)
    settings = {**SHIPPED.get(name, {"steps": 10_000})}
    model = settings.pop("model", name)
    if path.exists():
        print(f"Loaded the shipped checkpoint {path.parent.name}/{path.name}.")
        return load_model(path, expect=model), load_history(path)
    settings["steps"] = pick(full=settings["steps"], quick=200)
    print(
        f"No shipped checkpoint at {path}: training {name} on {dataset} for "
        f"{settings['steps']} steps."
    )
    return train_model(model, TrainConfig(dataset=dataset, **settings))
