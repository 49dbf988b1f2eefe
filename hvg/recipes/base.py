"""What every recipe returns, the one shape of a training step, and how recipes declare options.

A `Recipe` bundles what training needs besides data: the model, its optimizers (by name) and
one step function, `step(batch) -> losses`, that takes a batch, updates the model and returns
its losses as floats. A batch is the images alone, or (images, labels) for a model that
`uses_labels` (hvg.models.base): `unpack` reads either. Each recipe's keyword arguments are
the fields of its options dataclass (`VAEOptions`, `VAEGANOptions`...), whose defaults are
the recipe's; a field made with `option(...)` is also a flag of `python -m hvg train`, with
its help (hvg.cli reads them from the registry).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

Batch = torch.Tensor | tuple[torch.Tensor, torch.Tensor]  # images, or (images, labels)
StepFn = Callable[[Batch], dict[str, float]]


@dataclass
class Recipe:
    """What training needs besides data: the model, its optimizers (by name), one step."""

    model: nn.Module
    optimizers: dict[str, torch.optim.Optimizer]
    step: StepFn


def unpack(batch: Batch, device: torch.device) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(images, labels) of a batch on `device`; labels are None in a batch of images alone."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device), None
    images, labels = batch
    return images.to(device), labels.to(device)


def option(default: Any, help: str, flag: str | None = None, choices: tuple | None = None) -> Any:
    """A recipe option that is also a CLI flag: `--NAME` (or `flag`), with `help` and `choices`;
    a bool option is a switch that sets the opposite of its default."""
    return dataclasses.field(
        default=default, metadata={"help": help, "flag": flag, "choices": choices}
    )


def flag_of(spec: dataclasses.Field) -> str:
    """The CLI flag of a recipe option: the one it names, else --NAME."""
    return spec.metadata.get("flag") or "--" + spec.name.replace("_", "-")


def preset(options: type, name: str) -> dict[str, Any]:
    """The named settings `name` of an options dataclass (its `PRESETS`: the paper's, the
    shipped model's...), as recipe options, or a ValueError naming the presets it has."""
    presets: dict[str, dict[str, Any]] = getattr(options, "PRESETS", {})
    if name not in presets:
        have = ", ".join(presets) or "none"
        raise ValueError(f"{options.__name__} has no preset {name!r}: its presets are {have}")
    return dict(presets[name])


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
