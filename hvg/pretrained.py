"""Shipped models: load the checkpoint if the course ships it, otherwise train it here.

The fallback trains with `hvg.recipes.train_model`, the recipe behind `python -m hvg train`, so
a model trained on a laptop and a shipped one come from the same code.
"""

from __future__ import annotations

from pathlib import Path

from torch import nn

from hvg.checkpoints import CHECKPOINT_DIR, load_history, load_model, pretrained_path
from hvg.config import pick
from hvg.recipes import train_model
from hvg.train import History

# The steps each shipped checkpoint was trained for (checkpoints/README.md has the commands).
SHIPPED_STEPS = {"vae": 10_000, "dcgan": 8_000, "classifier": 3_000}


def load_pretrained(
    name: str, dataset: str = "mnist", directory: Path = CHECKPOINT_DIR
) -> tuple[nn.Module, History]:
    """The shipped checkpoint of `name` if present; else a fresh one, trained here and now."""
    path = pretrained_path(name, dataset, directory)
    if path.exists():
        print(f"Loaded the shipped checkpoint {path.parent.name}/{path.name}.")
        return load_model(path, expect=name), load_history(path)
    steps = pick(full=SHIPPED_STEPS.get(name, 10_000), quick=200)
    print(f"No shipped checkpoint at {path}: training {name} on {dataset} for {steps} steps.")
    return train_model(name, dataset, steps)
