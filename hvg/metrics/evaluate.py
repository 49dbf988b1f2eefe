"""One call for a generative model's numbers: FID, precision, recall, F1, IS (and KID).

`evaluate(model_or_images)` embeds n generated images and n real images of a split (all of
it, or a seeded random subset: never its first n) with one extractor, "domain" (the data
set's small classifier: seconds) or "inception" (TF-Inception: the published metrics, about
18 images a second on two CPU cores, bench/metrics_speed.json), and returns every metric with
the name of the extractor that produced it. Real features are cached on
disk (hvg.metrics.cache), so only the generated images cost time after the first call.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import torch
from torch import nn

from hvg.checks import MetricInputError, check_images
from hvg.metrics.cache import cached_embedding, real_images, reference_name, split_images
from hvg.metrics.domain import load_domain
from hvg.metrics.extractor import Embedding, Extractor, embed
from hvg.metrics.fid import fid
from hvg.metrics.inception import Inception
from hvg.metrics.inception_score import inception_score
from hvg.metrics.kid import kid
from hvg.metrics.precision_recall import precision_recall

FEATURES = ("domain", "inception")


def load_extractor(features: str = "domain", dataset: str = "mnist") -> Extractor:
    """The "domain" extractor of `dataset` or the "inception" one (whichever weights exist)."""
    if features == "domain":
        return load_domain(dataset)
    if features == "inception":
        return Inception()
    raise ValueError(f"features must be one of {', '.join(FEATURES)}, got {features!r}")


def _sampled(
    model: nn.Module, n: int, batch_size: int, seed: int, size: int | None
) -> Iterator[torch.Tensor]:
    """n images from `model.sample`, in batches, from a seeded generator, checked as they come."""
    generator = torch.Generator().manual_seed(seed)
    for start in range(0, n, batch_size):
        images = model.sample(min(batch_size, n - start), generator=generator).cpu()
        yield check_images(images, "generated images", size=size)


def _generated(
    source: nn.Module | torch.Tensor, n: int | None, extractor: Extractor
) -> tuple[int, int, int]:
    """(n, channels, side) of the generated images, checked before anything costly runs."""
    if isinstance(source, nn.Module):
        if not hasattr(source, "sample") or not hasattr(source, "config"):
            raise MetricInputError(
                f"a {type(source).__name__} can't be sampled: pass a model with `sample(n, "
                "generator=...)` (an hvg VAE or DCGAN) or a tensor of images"
            )
        n = 10_000 if n is None else n
        channels, side = source.config["channels"], source.config["image_size"]
    else:
        check_images(source, "generated images", extractor.channels, extractor.image_size)
        n = len(source) if n is None else n
        if n > len(source):
            raise MetricInputError(f"n={n}, but only {len(source)} generated images were given")
        channels, side = source.shape[1], source.shape[-1]
    if not isinstance(n, int) or n < 2:
        raise MetricInputError(f"n must be an int of at least 2, got {n!r}")
    return n, channels, side


def _check_alike(real: torch.Tensor, channels: int, side: int, dataset: str) -> None:
    """Generated images must have the real images' channels and size."""
    if real.shape[1] != channels:
        raise MetricInputError(
            f"the generated images have {channels} channel(s), but {dataset}'s have "
            f"{real.shape[1]}: evaluate a model against the data set it was trained on"
        )
    if real.shape[-1] != side:
        raise MetricInputError(
            f"the generated images are {side}x{side} pixels, but the extractor needs "
            f"{real.shape[-1]}x{real.shape[-1]}: train the model at that size, or use "
            'features="inception", which takes any size'
        )


def evaluate(
    source: nn.Module | torch.Tensor,
    dataset: str = "mnist",
    n: int | None = None,
    features: str = "domain",
    split: str = "test",
    k: int = 3,
    splits: int = 10,
    seed: int = 0,
    cache_dir: str | Path | None = None,
    progress: bool = True,
    with_kid: bool = False,
    reference_seed: int = 0,
) -> dict[str, float | int | str | None]:
    """FID, precision, recall, F1 and IS of a model's samples (or of images) against `dataset`.

    source: a model with `sample` (n images are drawn from a generator seeded with `seed`, in
        eval mode) or generated images (B, C, H, W) in [-1, 1].
    n: how many generated and real images (default 10,000 for a model, all given images).
    features: "domain" (the data set's shipped classifier) or "inception" (TF-Inception).
    split: the real images, held-out "test" by default: all of it when n is its size, else n
        drawn at random with `reference_seed` (fixed, so that every model meets the same ones);
        "validation" is MNIST's training images from 55,000 on (hvg.metrics.cache), to choose
        with.
    k, splits: neighbours for precision/recall; groups for the IS.
    with_kid: also the KID (hvg.metrics.kid, unbiased at any n; 100 subsets of up to 1,000,
        seeded with `seed`), as kid and kid_std: seconds more, so off by default.

    Returns a dict with fid, precision, recall, f1, is and is_std (None where the extractor
    has no logits), is_real (the real images' IS, the ceiling), and features (the extractor's
    name), dataset, split, n and reference (which real images: "all 10000", or "5000 at random
    (seed 0)"). Compare numbers only at the same n and features.
    """
    extractor = load_extractor(features, dataset)
    if progress:
        print(f"Features: {extractor.name}")
    n, channels, side = _generated(source, n, extractor)
    real = real_images(dataset, split, n, extractor.image_size or side, reference_seed)
    _check_alike(real, channels, side, dataset)
    size = len(split_images(dataset, split, extractor.image_size or side))
    subset = "" if n == size else f"seed{reference_seed}"
    real_features, real_logits = cached_embedding(
        extractor, real, dataset, split, cache_dir, progress, subset
    )
    fake_features, fake_logits = _embed_generated(source, n, extractor, seed, progress)
    scores = _scores(real_features, fake_features, real_logits, fake_logits, k, splits)
    if with_kid:
        scores["kid"], scores["kid_std"] = kid(real_features, fake_features, seed=seed)
    reference = reference_name(size, n, reference_seed)
    info = {"dataset": dataset, "split": split, "n": n, "reference": reference}
    return {**scores, "features": extractor.name, **info}


def _embed_generated(
    source: nn.Module | torch.Tensor, n: int, extractor: Extractor, seed: int, progress: bool
) -> Embedding:
    """Features and logits of n generated images: the first n given, or n sampled in eval mode
    (the model is put back in the mode it was in)."""
    if not isinstance(source, nn.Module):
        return embed(extractor, source[:n].split(extractor.batch_size), n, "generated", progress)
    was_training = source.training
    source.eval()
    try:
        batches = _sampled(source, n, extractor.batch_size, seed, extractor.image_size)
        return embed(extractor, batches, n, "generated", progress)
    finally:
        source.train(was_training)


def _scores(
    real: torch.Tensor,
    fake: torch.Tensor,
    real_logits: torch.Tensor | None,
    fake_logits: torch.Tensor | None,
    k: int,
    splits: int,
) -> dict[str, float | None]:
    """Every metric from the two embeddings."""
    scores: dict[str, float | None] = {"fid": fid(real, fake), **precision_recall(real, fake, k)}
    if fake_logits is None or real_logits is None:
        return {**scores, "is": None, "is_std": None, "is_real": None}
    mean, std = inception_score(fake_logits, splits)
    return {**scores, "is": mean, "is_std": std, "is_real": inception_score(real_logits, splits)[0]}
