"""The training engine: any model's step function, run for N steps, checkpointed and resumable.

`fit` knows nothing about a particular model. A `Recipe` (hvg.recipes.base) bundles a model, its
optimizers and a step function, `step(batch) -> losses`, that takes one batch, updates the model
and returns its losses; each model's recipe lives in `hvg.recipes`. A batch is the images alone,
or `(images, labels)` for a model that `uses_labels` (hvg.models.base). With a checkpoint path,
`fit` saves the whole training state every few steps and resumes from it, so an interrupted
run (Ctrl-C, a crash, a killed process) continues exactly where it stopped.

Under torchrun (see `hvg.distributed`) every process runs `fit` on its own shard of the data,
from rank 0's weights, and every optimizer steps with the gradients averaged over the processes:
the one place where training is made data-parallel. The losses it records are averaged too, and
only rank 0 writes checkpoints and sample grids, prints and shows a progress bar.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from hvg import distributed
from hvg.checkpoints import resume, rng_state, save_model
from hvg.files import png_bytes
from hvg.models.base import device_of
from hvg.recipes.base import Recipe

History = list[dict[str, float]]


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


@dataclass(frozen=True)
class TrainConfig:
    """The settings of one training run, in one place (as nanoGPT's GPTConfig is for a model).

    `fit` reads the run's length and what it writes along the way; `hvg.run.train_model` also
    reads the rest to build the data and the model. `sizes` go to the model (e.g. `latent_dim`,
    `width`), `options` to its recipe (e.g. `lr`, the VAE-GAN's `gamma`); both default to the
    model's own. With `checkpoint`, the training state is saved there every `every` steps, at
    the end, and on Ctrl-C, and training resumes from it if the file exists. Every
    `sample_every` steps, 16 images from the same 16 codes go into the grid
    `sample_dir/step-000500.png` (for step 500): to watch the model learn. Every `keep_every`
    steps, the weights alone go into `keep_dir/step-000500.safetensors`, with that step's
    history entry: to measure later how quality grew with training time. `command` (how the
    run was started) goes into the checkpoint's metadata, with the data set's name.
    """

    steps: int = 10_000
    dataset: str = "mnist"
    seed: int = 0
    batch_size: int = 128
    image_size: int | None = None
    limit: int | None = None
    sizes: dict[str, int] = field(default_factory=dict)
    options: dict[str, object] = field(default_factory=dict)
    checkpoint: Path | None = None
    every: int = 500
    sample_every: int = 0
    sample_dir: Path | None = None
    keep_every: int = 0
    keep_dir: Path | None = None
    progress: bool = True
    desc: str | None = None  # the progress bar's label; train_model uses the model's name
    command: str | None = None

    def __post_init__(self) -> None:
        """Refuse a bad step count, naming what it must be."""
        for name in ("steps", "every"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        for name in ("sample_every", "keep_every"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an int >= 0 (0: never), got {value!r}")
        if self.keep_every and self.keep_dir is None:
            raise ValueError("keep_every needs keep_dir, the folder to keep the weights in")

    def info(self) -> dict[str, str]:
        """What a checkpoint's metadata records of the run besides the model."""
        return {"dataset": self.dataset, **({"command": self.command} if self.command else {})}


def fit(
    recipe: Recipe,
    loader: DataLoader,
    config: TrainConfig,
    samples: dict[int, torch.Tensor] | None = None,
) -> History:
    """Train `recipe` as `config` says until step `config.steps`; return one dict per step: the
    step, the training time so far in seconds (data and steps, not checkpoints or samples),
    and the losses. Every `config.sample_every` steps, the snapshot also goes into
    `samples[step]` when a dict is given (a notebook's pictures of training)."""
    checkpoint = Path(config.checkpoint) if config.checkpoint is not None else None
    steps, every = config.steps, config.every
    main = distributed.is_main()
    start, history = 0, []
    # Every process looks once rank 0 is done writing (a previous run in this process), and
    # before it writes again: it saves only after step 1, whose losses all processes average.
    distributed.barrier()
    if checkpoint is not None and checkpoint.exists():
        rank, world = distributed.rank(), distributed.world_size()
        start, history = resume(checkpoint, recipe.model, recipe.optimizers, rank, world)
        if main:
            print(f"Resuming from {checkpoint} at step {start}.")

    def save(step: int) -> None:
        if checkpoint is not None:
            states = distributed.gather(rng_state(device_of(recipe.model)))
            if main:
                model, optimizers = recipe.model, recipe.optimizers
                save_model(model, checkpoint, history, optimizers, step, states, **config.info())

    distributed.broadcast_(recipe.model)
    data = batches(loader, start, recipe.model.uses_labels)
    bar = tqdm(
        range(start + 1, steps + 1),
        desc=config.desc or "training",
        initial=start,
        total=steps,
        disable=not (config.progress and main),
    )
    saved = start
    clock = history[-1].get("seconds", 0.0) if history else 0.0
    with distributed.synchronised(list(recipe.optimizers.values())):
        try:
            for i in bar:
                tick = time.perf_counter()
                losses = recipe.step(next(data))
                losses = distributed.average(losses)
                clock += time.perf_counter() - tick
                _check_finite(losses, i, checkpoint, saved)
                history.append({"step": float(i), "seconds": round(clock, 3), **losses})
                bar.set_postfix({k: f"{v:.3g}" for k, v in losses.items()}, refresh=False)
                if i % every == 0 or i == steps:
                    save(i)
                    saved = i
                if main and config.sample_every and i % config.sample_every == 0:
                    _sample(recipe.model, i, samples, config.sample_dir)
                if main and config.keep_every and i % config.keep_every == 0:
                    kept = Path(config.keep_dir) / f"step-{i:06d}.safetensors"
                    save_model(recipe.model, kept, history[-1:])
        except KeyboardInterrupt:
            done = int(history[-1]["step"]) if history else start
            if not _interrupted(done, steps, checkpoint, saved, save):
                raise
        finally:
            bar.close()
    return history


def _sample(
    model: nn.Module, step: int, samples: dict[int, torch.Tensor] | None, folder: str | Path | None
) -> None:
    """Keep a snapshot in `samples` and write it as a 4x4 PNG grid into `folder`."""
    if samples is None and folder is None:
        return
    images = snapshot(model)
    if samples is not None:
        samples[step] = images
    if folder is not None:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"step-{step:06d}.png").write_bytes(png_bytes(images, nrow=4, scale=2))


def _interrupted(
    done: int, steps: int, checkpoint: Path | None, saved: int, save: Callable[[int], None]
) -> bool:
    """Ctrl-C: save and say so; with several processes, say what is kept and return False.

    The processes may be a step apart when the signal lands, so they can't agree on a step
    to save: the last periodic checkpoint is the consistent state to resume from.
    """
    if distributed.world_size() > 1:
        if distributed.is_main():
            kept = f"; {checkpoint} (step {saved}) is kept" if checkpoint and saved else ""
            print(f"Interrupted at step {done} of {steps}{kept}: run again to resume.")
        return False
    save(done)
    where = f"; saved to {checkpoint}, run again to resume" if checkpoint else ""
    print(f"Interrupted at step {done} of {steps}{where}. The model keeps its weights.")
    return True


def snapshot(model: nn.Module, n: int = 16) -> torch.Tensor:
    """n samples from fixed codes (seed 0), in eval mode: the training state is untouched."""
    model.eval()
    images = model.sample(n, generator=torch.Generator().manual_seed(0)).cpu()
    model.train()
    return images
