"""Real images' features, computed once and kept on disk.

Inception embeds about 7 images a second on two CPU cores: the 10,000 real images of a FID
cost some 25 minutes, every time. They are the same every time, so their features (and logits)
are saved in one safetensors file per (data set, split, image size, number of images,
extractor), in $HVG_CACHE or ~/.cache/hvg/metrics (outside the repository). FID needs only
their mean and covariance, but precision and recall need the features themselves.

Besides a data set's own splits, `split="validation"` names MNIST's and Fashion-MNIST's
training images from hvg.data.VALIDATION_START (55,000) on: real images to choose a
checkpoint or a setting with (hvg.selection) without ever reading the test set.

A cached file is used only if its metadata match the request: the extractor's key (which
changes with its weights), the cache format, and the SHA-256 of the real images themselves,
so that changed data files are noticed (an image added to or changed in a `folder:` data set
too). A stale or unreadable file is recomputed, with a warning that says why.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import safe_open, save_file
from torch.utils.data import Dataset, Subset

from hvg.checks import MetricInputError
from hvg.data import ALIASES, DATASETS, VALIDATION_START, load_dataset
from hvg.files import atomic_write
from hvg.folder import Folder, is_folder
from hvg.metrics.extractor import Embedding, Extractor, embed

FORMAT = "1"
VALIDATION = "validation"  # the training images from VALIDATION_START on


def split_images(dataset: str, split: str, image_size: int | None = None) -> Dataset:
    """A split's (image, label) pairs as hvg.data.load_dataset gives them, or for
    `VALIDATION` the training images from VALIDATION_START on, for the data sets whose
    training split runs past it and which have no held-out split of their own."""
    if split != VALIDATION:
        return load_dataset(dataset, split, image_size)
    key = ALIASES.get(str(dataset).strip().lower(), str(dataset).strip().lower())
    if is_folder(dataset) or (key in DATASETS and "valid" in DATASETS[key].splits):
        raise MetricInputError(
            f'{dataset} holds out its own images: use split="valid" rather than "{VALIDATION}"'
        )
    train = load_dataset(dataset, "train", image_size)
    if len(train) <= VALIDATION_START:
        raise MetricInputError(
            f'split="{VALIDATION}" is the training images from {VALIDATION_START} on, and '
            f"{dataset} has {len(train)}: choose on another split"
        )
    return Subset(train, range(VALIDATION_START, len(train)))


def cache_dir() -> Path:
    """$HVG_CACHE if set, else ~/.cache/hvg/metrics."""
    if os.environ.get("HVG_CACHE"):
        return Path(os.environ["HVG_CACHE"]).expanduser()
    return Path.home() / ".cache" / "hvg" / "metrics"


def real_images(
    dataset: str, split: str, n: int, image_size: int | None, seed: int = 0
) -> torch.Tensor:
    """`n` images of a split (B, C, S, S) in [-1, 1], at `image_size` (None: native): the whole
    split in order when n is its size, else a random subset drawn with `seed` (in the split's
    order). Never simply the first n: MNIST's test set puts one writer pool first, and its
    first 5,000 digits carry 17 % less ink on average than its last 5,000. `split` may be
    `VALIDATION` (see `split_images`)."""
    data = split_images(dataset, split, image_size)
    if not isinstance(n, int) or not 2 <= n <= len(data):
        raise MetricInputError(
            f"n must be an int from 2 to {len(data)} ({dataset} {split} has {len(data)} "
            f"images), got {n!r}: lower n, or use a larger split"
        )
    return torch.stack([data[i][0] for i in reference_indices(len(data), n, seed).tolist()])


def reference_indices(size: int, n: int, seed: int = 0) -> torch.Tensor:
    """Which n of a split's `size` images `real_images` takes: all, or a sorted seeded subset."""
    if n == size:
        return torch.arange(size)
    return torch.randperm(size, generator=torch.Generator().manual_seed(seed))[:n].sort().values


def reference_name(size: int, n: int, seed: int = 0) -> str:
    """How a report names the real images: "all N" or "N at random (seed S)"."""
    return f"all {n}" if n == size else f"{n} at random (seed {seed})"


def _stem(dataset: str) -> str:
    """The data set's part of a cache file's name: its name, or for a folder (a path, not a
    file name) folder-NAME and the start of the SHA-256 of its full name (path and options)."""
    if not is_folder(dataset):
        return dataset
    return f"{Folder.parse(dataset).short}-{hashlib.sha256(dataset.encode()).hexdigest()[:12]}"


def _digest(images: torch.Tensor) -> str:
    """SHA-256 of the images' bytes."""
    return hashlib.sha256(images.contiguous().numpy().tobytes()).hexdigest()


def _read(path: Path, metadata: dict[str, str], n: int, dim: int) -> Embedding | None:
    """The cached embedding if the file is readable, matches `metadata` and has the right
    shapes; None (with a warning saying why) otherwise."""
    try:
        with safe_open(str(path), framework="pt") as f:
            stored = f.metadata() or {}
            tensors = {key: f.get_tensor(key) for key in f.keys()}
    except (SafetensorError, OSError, ValueError) as err:
        warnings.warn(
            f"the cached features {path} are unreadable ({err}): recomputing", stacklevel=3
        )
        return None
    changed = sorted(k for k in metadata if stored.get(k) != metadata[k])
    if changed:
        warnings.warn(
            f"the cached features {path} are stale ({', '.join(changed)} changed): recomputing",
            stacklevel=3,
        )
        return None
    features, logits = tensors.get("features"), tensors.get("logits")
    if (
        features is None
        or features.shape != (n, dim)
        or not torch.isfinite(features).all()
        or (logits is not None and (len(logits) != n or not torch.isfinite(logits).all()))
    ):
        warnings.warn(f"the cached features {path} are damaged: recomputing", stacklevel=3)
        return None
    return features, logits


def _write(path: Path, embedding: Embedding, metadata: dict[str, str]) -> None:
    """Save atomically: a crash never leaves a half-written file to be trusted later."""
    features, logits = embedding
    tensors = {"features": features.contiguous()}
    if logits is not None:
        tensors["logits"] = logits.contiguous()
    with atomic_write(path) as tmp:
        save_file(tensors, tmp, metadata=metadata)


def cached_embedding(
    extractor: Extractor,
    images: torch.Tensor,
    dataset: str,
    split: str,
    directory: str | Path | None = None,
    progress: bool = True,
    subset: str = "",
) -> Embedding:
    """Features and logits of real `images` of `dataset`'s `split` (from `real_images`): read
    from the cache in `directory` (default cache_dir()) when it holds them, else computed and
    cached there. `subset` (e.g. "seed0", for a random subset) keeps apart in the cache two
    sets of the same size."""
    n, size = len(images), images.shape[-1]
    metadata = {
        "format": FORMAT,
        "dataset": dataset,
        "split": split,
        "n": str(n),
        "image_size": str(size),
        "extractor": extractor.key,
        "images_sha256": _digest(images),
    }
    tag = f"{n}-{subset}" if subset else str(n)
    name = f"{_stem(dataset)}-{split}-{size}px-{tag}-{extractor.key}.safetensors"
    path = Path(directory if directory is not None else cache_dir()) / name
    if path.exists():
        cached = _read(path, metadata, n, extractor.dim)
        if cached is not None:
            return cached
    batches = images.split(extractor.batch_size)
    embedding = embed(extractor, batches, n, f"real {dataset} {split}", progress)
    _write(path, embedding, metadata)
    return embedding
