"""Run-wide settings: quick mode (HVG_QUICK), offline mode (HVG_OFFLINE) and seeding."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch

T = TypeVar("T")

# The clone hvg is installed from (pip install -e): data/, checkpoints/, bench/, notebooks/.
REPOSITORY = Path(__file__).resolve().parents[1]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def env_flag(name: str) -> bool:
    """The on/off environment variable `name` (1/true/yes/on, or 0/false/no/off or unset);
    any other value is an error, so that a typo never silently means "off"."""
    value = os.environ.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(
        f"{name}={os.environ[name]!r} is not understood: set {name}=1 to turn it on, or "
        f"unset it (or {name}=0) to turn it off."
    )


def quick_mode() -> bool:
    """True when HVG_QUICK asks for the short CI-sized run (fewer steps, fewer samples);
    unset (or HVG_QUICK=0) is the full course."""
    return env_flag("HVG_QUICK")


def offline() -> bool:
    """True when HVG_OFFLINE forbids downloads (data sets, the standard Inception weights)."""
    return env_flag("HVG_OFFLINE")


def pick(full: T, quick: T) -> T:
    """Return `quick` in quick mode and `full` otherwise, e.g. `steps = pick(3000, 60)`."""
    return quick if quick_mode() else full


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch so that a run repeats."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
