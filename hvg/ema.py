"""An exponential moving average of a network's weights (Yazici et al. 2019, "The unusual
effectiveness of averaging in GAN training").

A GAN's generator never settles: each step answers the discriminator's last move, so its
weights circle around a good point instead of stopping there. Their running average sits
nearer that point, and samples from it are better, at no training cost: the average is never
trained, only updated after each step. The course's models that take `ema=N` keep one over
about the last N steps (decay 1 - 1/N) and generate with it.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


def check_horizon(ema: int) -> int:
    """`ema` if it is a valid horizon: 0 (no average) or an int of at least 2 steps."""
    if isinstance(ema, bool) or not isinstance(ema, int) or ema < 0 or ema == 1:
        raise ValueError(
            f"ema must be 0 (no average) or the number of steps to average over, at least 2 "
            f"(1000 is usual), got {ema!r}"
        )
    return ema


def averaged_copy(network: nn.Module) -> nn.Module:
    """A frozen copy of `network`, to hold its average: no optimizer ever sees its weights."""
    average = copy.deepcopy(network)
    average.requires_grad_(False)
    return average


@torch.no_grad()
def update_average(average: nn.Module, network: nn.Module, horizon: int) -> None:
    """Move each weight of `average` 1/horizon of the way to `network`'s; copy its buffers
    (batch norm's running statistics), which are averages already."""
    for mine, theirs in zip(average.parameters(), network.parameters(), strict=True):
        mine.lerp_(theirs, 1.0 / horizon)
    for mine, theirs in zip(average.buffers(), network.buffers(), strict=True):
        mine.copy_(theirs)
