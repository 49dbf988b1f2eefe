"""Run-wide settings: quick mode (HVG_QUICK) and seeding."""

from __future__ import annotations

import os
import random
from typing import TypeVar

import numpy as np
import torch

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def quick_mode() -> bool:
    """True when HVG_QUICK asks for the short CI-sized run (fewer steps, fewer samples)."""
    value = os.environ.get("HVG_QUICK", "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(
        f"HVG_QUICK={os.environ['HVG_QUICK']!r} is not understood: "
        "set HVG_QUICK=1 for quick mode, or unset it (or HVG_QUICK=0) for full mode."
    )


def pick(full: T, quick: T) -> T:
    """Return `quick` in quick mode and `full` otherwise, e.g. `steps = pick(3000, 60)`."""
    return quick if quick_mode() else full


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch so that a run repeats."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
