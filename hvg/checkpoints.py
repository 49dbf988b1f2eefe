"""Checkpoints: one safetensors file holding a model and, optionally, its whole training state.

Weights are stored under their state_dict names, so any safetensors tool can read them; the
model's registry name and config, the loss history and the step travel in the metadata. A
training checkpoint adds each optimizer's tensors (under `__optim__.NAME.`) with its settings
in the metadata, and torch's random state (`__rng__`, plus `__rng__.cuda` on a GPU), so that a
resumed run continues exactly. A run of K processes (torchrun) stores every process's random
state, rank r's under the same names suffixed `.r`, and records K as `world_size`.
Files are written to a temporary name and renamed: a crash never leaves a half-written file.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open, save_file
from torch import nn

from hvg.config import REPOSITORY
from hvg.files import atomic_write
from hvg.models.base import device_of
from hvg.registry import REGISTRY, build_model, model_name

CHECKPOINT_DIR = REPOSITORY / "checkpoints"
OPTIM, RNG = "__optim__.", "__rng__"


class CheckpointError(RuntimeError):
    """A checkpoint file is missing, unreadable, or does not fit the model it claims to hold."""


def _optimizer_tensors(name: str, optimizer: torch.optim.Optimizer) -> tuple[dict, dict]:
    """Split an optimizer's state_dict into tensors and a JSON-able rest."""
    state = optimizer.state_dict()
    tensors, scalars = {}, {}
    for index, values in state["state"].items():
        for key, value in values.items():
            if torch.is_tensor(value):
                tensors[f"{OPTIM}{name}.{index}.{key}"] = value
            else:
                scalars[f"{index}.{key}"] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def rng_state(device: torch.device) -> dict[str, torch.Tensor]:
    """This process's random state: torch's CPU generator, and on a GPU its generator too."""
    state = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def _rng_key(rank: int, kind: str) -> str:
    """`__rng__` for rank 0's CPU state, as in every single-process checkpoint; else suffixed."""
    return RNG + ("" if kind == "cpu" else f".{kind}") + (f".{rank}" if rank else "")


def _rounded(entry: dict[str, float]) -> dict[str, float]:
    """A history entry with 6 significant digits a value: plenty for curves and clocks, and
    half the size of full precision (a shipped run's history is 10,000 entries)."""
    return {key: float(f"{value:.6g}") for key, value in entry.items()}


def save_model(
    model: nn.Module,
    path: str | Path,
    history: list[dict[str, float]] | None = None,
    optimizers: dict[str, torch.optim.Optimizer] | None = None,
    step: int | None = None,
    rng_states: list[dict[str, torch.Tensor]] | None = None,
    **info: str,
) -> Path:
    """Write a checkpoint atomically; with `optimizers` and `step` it can resume training.

    `rng_states` holds every process's `rng_state`, in rank order; it defaults to this one's.
    """
    path = Path(path)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    metadata = {
        "hvg_model": model_name(model),
        "config": json.dumps(model.config),
        "history": json.dumps([_rounded(entry) for entry in history or []]),
        **info,
    }
    if optimizers is not None:
        for name, optimizer in optimizers.items():
            extra, rest = _optimizer_tensors(name, optimizer)
            tensors.update({k: v.detach().cpu().contiguous() for k, v in extra.items()})
            metadata[f"{OPTIM}{name}"] = json.dumps(rest)
        states = rng_states or [rng_state(device_of(model))]
        for rank, state in enumerate(states):
            tensors.update({_rng_key(rank, kind): value for kind, value in state.items()})
        metadata["step"] = str(step)
        metadata["world_size"] = str(len(states))
    with atomic_write(path) as tmp:
        save_file(tensors, tmp, metadata=metadata)
    return path


def read_metadata(path: str | Path) -> dict[str, str]:
    """The metadata of a checkpoint, with a clear error if the file is not one."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}: check the path, or train one first")
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(
            f"{path} is not a readable safetensors checkpoint (truncated or corrupt?): {err}"
        ) from None
    if "hvg_model" not in metadata:
        raise CheckpointError(f"{path} is a safetensors file but not an hvg checkpoint")
    return metadata


def _load_weights(path: Path, model: nn.Module, tensors: dict[str, torch.Tensor]) -> None:
    """Copy the checkpoint's weights into `model`, naming any mismatch."""
    weights = {k: v for k, v in tensors.items() if not k.startswith((OPTIM, RNG))}
    try:
        model.load_state_dict(weights)
    except RuntimeError as err:
        raise CheckpointError(
            f"{path} does not fit the {model_name(model)!r} model: {err}"
        ) from None


class Dropped(nn.Module):
    """Stands in for a part that a weights-only export left out (`export --without-
    discriminator`): the rest of the model works, and using this part says why it can't."""

    def __init__(self, part: str, path: str | Path):
        super().__init__()
        self.part, self.path = part, str(path)

    def forward(self, *args: object, **kwargs: object) -> torch.Tensor:
        raise CheckpointError(
            f"{self.path} was exported without its {self.part}, which sampling, encoding and "
            f"reconstructing do not need: for the {self.part}, run the command in the file's "
            "metadata (read_metadata(path)['command']) to train the whole model again"
        )


def drop_parts(model: nn.Module, parts: list[str], path: str | Path) -> nn.Module:
    """Replace each named part of `model` by a `Dropped` stand-in (no weights)."""
    for part in parts:
        if not isinstance(getattr(model, part, None), nn.Module):
            raise CheckpointError(f"{path}: a {model_name(model)!r} model has no {part!r} to drop")
        setattr(model, part, Dropped(part, path))
    return model


def load_model(path: str | Path, expect: str | None = None) -> nn.Module:
    """Rebuild the model a checkpoint holds, in eval mode; `expect` checks its registry name."""
    path = Path(path)
    metadata = read_metadata(path)
    name = metadata["hvg_model"]
    if expect is not None and name != expect:
        raise CheckpointError(f"{path} holds a {name!r} model, not the {expect!r} asked for")
    if name not in REGISTRY:
        raise CheckpointError(f"{path} holds an unknown model {name!r}: is hvg up to date?")
    model = build_model(name, **json.loads(metadata["config"]))
    drop_parts(model, [p for p in metadata.get("without", "").split(",") if p], path)
    _load_weights(path, model, load_file(str(path)))
    return model.eval()


def _load_optimizer(
    path: Path,
    name: str,
    optimizer: torch.optim.Optimizer,
    metadata: dict[str, str],
    tensors: dict[str, torch.Tensor],
) -> None:
    """Restore one optimizer's state from the checkpoint's tensors and metadata."""
    key = f"{OPTIM}{name}"
    if key not in metadata:
        raise CheckpointError(f"{path} has no state for optimizer {name!r}")
    rest = json.loads(metadata[key])
    state: dict[int, dict] = {}
    for full, value in tensors.items():
        if full.startswith(key + "."):
            index, field = full[len(key) + 1 :].split(".", 1)
            state.setdefault(int(index), {})[field] = value
    for full, value in rest["scalars"].items():
        index, field = full.split(".", 1)
        state.setdefault(int(index), {})[field] = value
    try:
        optimizer.load_state_dict({"state": state, "param_groups": rest["param_groups"]})
    except (ValueError, KeyError) as err:
        raise CheckpointError(f"{path}: optimizer {name!r} does not fit: {err}") from None


def _check_resumable(path: Path, metadata: dict[str, str], model: nn.Module, world: int) -> None:
    """Raise unless the checkpoint holds this model and config, trained by `world` processes."""
    name = model_name(model)
    if metadata["hvg_model"] != name:
        raise CheckpointError(f"{path} holds a {metadata['hvg_model']!r} model, not {name!r}")
    saved = json.loads(metadata["config"])
    if saved != model.config:
        raise CheckpointError(
            f"{path} was trained with config {saved}, but this run asks for {model.config}: "
            "use the same settings, or another output folder to start afresh"
        )
    if "step" not in metadata:
        raise CheckpointError(f"{path} holds weights only (no training state) and can't resume")
    trained_by = int(metadata.get("world_size", "1"))
    if trained_by != world:
        raise CheckpointError(
            f"{path} was trained by {trained_by} process(es) and this run has {world}: each "
            "process's share of the data and random state is in it, so resume with the same "
            f"number (torchrun --nproc_per_node {trained_by}, or plain python for 1), or use "
            "another output folder to start afresh"
        )


def resume(
    path: str | Path,
    model: nn.Module,
    optimizers: dict[str, torch.optim.Optimizer],
    rank: int = 0,
    world_size: int = 1,
) -> tuple[int, list[dict[str, float]]]:
    """Load a training checkpoint into a freshly built model and its optimizers.

    Restores weights, optimizer states and process `rank`'s random state; returns (step,
    history). The checkpoint must hold the same model, config and optimizers as the run
    resuming it, and come from as many processes (`world_size`).
    """
    path = Path(path)
    metadata = read_metadata(path)
    _check_resumable(path, metadata, model, world_size)
    tensors = load_file(str(path))
    _load_weights(path, model, tensors)
    for name, optimizer in optimizers.items():
        _load_optimizer(path, name, optimizer, metadata, tensors)
    torch.set_rng_state(tensors[_rng_key(rank, "cpu")])
    here, cuda = device_of(model), _rng_key(rank, "cuda")
    if here.type == "cuda" and cuda in tensors:
        torch.cuda.set_rng_state(tensors[cuda], here)
    return int(metadata["step"]), json.loads(metadata["history"])


def load_history(path: str | Path) -> list[dict[str, float]]:
    """The loss history stored with a checkpoint."""
    return json.loads(read_metadata(path).get("history", "[]"))


def pretrained_path(model: str, dataset: str = "mnist", directory: Path = CHECKPOINT_DIR) -> Path:
    """Where the course ships (or would ship) the checkpoint of `model` trained on `dataset`."""
    return Path(directory) / f"{model}-{dataset}.safetensors"
