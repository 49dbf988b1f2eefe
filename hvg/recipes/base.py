"""What every recipe returns, and how recipes declare their options.

A `Recipe` bundles what training needs besides data: the model, its optimizers (by name) and
one step function that takes a batch, updates the model and returns its losses as floats.
Each recipe's keyword arguments are the fields of its options dataclass (`VAEOptions`,
`VAEGANOptions`...), whose defaults are the recipe's; a field made with `option(...)` is also
a flag of `python -m hvg train`, with its help (hvg.cli reads them from the registry).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

StepFn = Callable[[torch.Tensor], dict[str, float]]
LabelledStepFn = Callable[[torch.Tensor, torch.Tensor], dict[str, float]]


@dataclass
class Recipe:
    """What training needs besides data: the model, its optimizers (by name), one step.

    `labels=True` says the step takes (images, labels) rather than images alone.
    """

    model: nn.Module
    optimizers: dict[str, torch.optim.Optimizer]
    step: StepFn | LabelledStepFn
    labels: bool = False


def option(
    default: Any, help: str, flag: str | None = None, choices: tuple | None = None
) -> Any:
    """A recipe option that is also a CLI flag: `--NAME` (or `flag`), with `help` and `choices`;
    a bool option is a switch that sets the opposite of its default."""
    return dataclasses.field(
        default=default, metadata={"help": help, "flag": flag, "choices": choices}
    )


def steps_taken(optimizer: torch.optim.Optimizer) -> int:
    """How many steps an optimizer has taken (Adam's and RMSProp's per-parameter count, which
    checkpoints keep): the clock of a schedule that must survive a resume. 0 before the first."""
    state = optimizer.state.get(optimizer.param_groups[0]["params"][0], {})
    return int(state["step"]) if "step" in state else 0


def check_choices(options: object) -> None:
    """Raise a ValueError naming the choices for any option outside its `choices`."""
    for spec in dataclasses.fields(options):  # type: ignore[arg-type]
        choices, value = spec.metadata.get("choices"), getattr(options, spec.name)
        if choices and value not in choices:
            allowed = " or ".join(repr(c) for c in choices)
            raise ValueError(f"{spec.name} must be {allowed}, got {value!r}")
