"""The training engine: any model's step function, run for N steps, checkpointed and resumable.

`fit` knows nothing about a particular model. A `Recipe` bundles a model, its optimizers and a
step function that takes one batch, updates the model and returns its losses as floats; each
model's recipe lives in `hvg.recipes`. A generative model's step takes the images alone; a
recipe with `labels=True` (the classifier's) gets `(images, labels)`. With a checkpoint path,
`fit` saves the whole training state every few steps and resumes from it, so an interrupted
run (Ctrl-C, a crash, a killed process) continues exactly where it stopped.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from hvg.checkpoints import resume, save_model

StepFn = Callable[[torch.Tensor], dict[str, float]]
LabelledStepFn = Callable[[torch.Tensor, torch.Tensor], dict[str, float]]
History = list[dict[str, float]]


@dataclass
class Recipe:
    """What training needs besides data: the model, its optimizers (by name), one step.

    `labels=True` says the step takes (images, labels) rather than images alone.
    """

    model: nn.Module
    optimizers: dict[str, torch.optim.Optimizer]
    step: StepFn | LabelledStepFn
    labels: bool = False


class NonFiniteLossError(RuntimeError):
    """A loss became NaN or infinite: training stops instead of silently wrecking the weights."""


def batches(
    loader: DataLoader, start: int = 0, labels: bool = False
) -> Iterator[torch.Tensor | tuple[torch.Tensor, torch.Tensor]]:
    """Images from `loader` (with `labels`: (images, labels) pairs), epoch after epoch without
    end, beginning after `start` batches.

    A sampler with `set_epoch` (hvg's EpochSampler, DistributedSampler) is told each epoch, so
    the order of the data depends on the seed and the step alone: a resumed run sees the same
    batches as one that never stopped.
    """
    if len(loader) == 0:
        raise ValueError("the data loader is empty: lower batch_size or raise limit")
    first_epoch, skip = divmod(start, len(loader))
    for epoch in itertools.count(first_epoch):
        if hasattr(loader.sampler, "set_epoch"):
            loader.sampler.set_epoch(epoch)
        for images, *rest in itertools.islice(loader, skip if epoch == first_epoch else 0, None):
            yield (images, rest[0]) if labels else images


def _check_finite(losses: dict[str, float], step: int, checkpoint: Path | None, saved: int) -> None:
    """Stop with a message that says which loss, when, and what to try."""
    for name, value in losses.items():
        if not math.isfinite(value):
            kept = (
                f" The last good checkpoint, {checkpoint} (step {saved}), is kept."
                if (checkpoint and saved)
                else ""
            )
            raise NonFiniteLossError(
                f"loss {name!r} is {value} at step {step}: lower the learning rate, or check "
                f"the inputs are scaled to [-1, 1].{kept}"
            )


def fit(
    recipe: Recipe,
    loader: DataLoader,
    steps: int,
    checkpoint: str | Path | None = None,
    every: int = 500,
    desc: str = "training",
    progress: bool = True,
    samples: dict[int, torch.Tensor] | None = None,
    sample_every: int = 0,
    **info: str,
) -> History:
    """Train `recipe` until step `steps`; return one dict of losses per step.

    With `checkpoint`, the training state is saved there every `every` steps, at the end, and
    on Ctrl-C; if the file exists, training resumes from it. `info` goes into its metadata.
    With `samples` and `sample_every`, 16 images from the same 16 codes are stored in
    `samples[step]` every `sample_every` steps, to watch the model learn.
    """
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    if not isinstance(every, int) or every < 1:
        raise ValueError(f"every must be a positive int, got {every!r}")
    checkpoint = Path(checkpoint) if checkpoint is not None else None
    start, history = 0, []
    if checkpoint is not None and checkpoint.exists():
        start, history = resume(checkpoint, recipe.model, recipe.optimizers)
        print(f"Resuming from {checkpoint} at step {start}.")

    def save(step: int) -> None:
        if checkpoint is not None:
            save_model(recipe.model, checkpoint, history, recipe.optimizers, step, **info)

    data = batches(loader, start, recipe.labels)
    bar = tqdm(
        range(start + 1, steps + 1), desc=desc, initial=start, total=steps, disable=not progress
    )
    saved = start
    try:
        for i in bar:
            batch = next(data)
            losses = recipe.step(*batch) if recipe.labels else recipe.step(batch)
            _check_finite(losses, i, checkpoint, saved)
            history.append({"step": float(i), **losses})
            bar.set_postfix({k: f"{v:.3g}" for k, v in losses.items()}, refresh=False)
            if i % every == 0 or i == steps:
                save(i)
                saved = i
            if samples is not None and sample_every and i % sample_every == 0:
                samples[i] = snapshot(recipe.model)
    except KeyboardInterrupt:
        done = int(history[-1]["step"]) if history else start
        save(done)
        where = f"; saved to {checkpoint}, run again to resume" if checkpoint else ""
        print(f"Interrupted at step {done} of {steps}{where}. The model keeps its weights.")
    finally:
        bar.close()
    return history


def snapshot(model: nn.Module, n: int = 16) -> torch.Tensor:
    """n samples from fixed codes (seed 0), in eval mode: the training state is untouched."""
    model.eval()
    images = model.sample(n, generator=torch.Generator().manual_seed(0)).cpu()
    model.train()
    return images
