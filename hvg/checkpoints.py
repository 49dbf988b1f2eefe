"""Model checkpoints: weights in safetensors, with the model's name, config and history inside.

A checkpoint is one file that `load_model` turns back into a ready model, whatever its name:
the registry name and constructor config travel in the safetensors metadata.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open, save_file
from torch import nn

from hvg.models import MODELS, build_model

CHECKPOINT_DIR = Path(__file__).resolve().parents[1] / "checkpoints"


class CheckpointError(RuntimeError):
    """A checkpoint file is missing, unreadable, or does not fit the model it claims to hold."""


def model_name(model: nn.Module) -> str:
    """The registry name of a model instance."""
    for name, cls in MODELS.items():
        if type(model) is cls:
            return name
    raise ValueError(f"{type(model).__name__} is not a registered model: add it to hvg.models")


def save_model(
    model: nn.Module, path: str | Path, history: list[dict[str, float]] | None = None, **info: str
) -> Path:
    """Write weights, name, config and (optional) loss history; atomic: write, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {
        "hvg_model": model_name(model),
        "config": json.dumps(model.config),
        "history": json.dumps(history or []),
        **info,
    }
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    os.chmod(tmp, 0o644)  # mkstemp makes it private; a checkpoint is meant to be shared
    try:
        save_file(tensors, tmp, metadata=metadata)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
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


def load_model(path: str | Path, expect: str | None = None) -> nn.Module:
    """Rebuild the model a checkpoint holds, in eval mode; `expect` checks its registry name."""
    metadata = read_metadata(path)
    name = metadata["hvg_model"]
    if expect is not None and name != expect:
        raise CheckpointError(f"{path} holds a {name!r} model, not the {expect!r} asked for")
    if name not in MODELS:
        raise CheckpointError(f"{path} holds an unknown model {name!r}: is hvg up to date?")
    model = build_model(name, **json.loads(metadata["config"]))
    state = load_file(str(path))
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise CheckpointError(f"{path} does not fit the {name!r} model: {err}") from None
    return model.eval()


def load_history(path: str | Path) -> list[dict[str, float]]:
    """The loss history stored with a checkpoint."""
    return json.loads(read_metadata(path).get("history", "[]"))


def pretrained_path(model: str, dataset: str = "mnist") -> Path:
    """Where the course ships (or would ship) the checkpoint of `model` trained on `dataset`."""
    return CHECKPOINT_DIR / f"{model}-{dataset}.safetensors"
