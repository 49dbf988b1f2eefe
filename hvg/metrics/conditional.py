"""What a class-conditional model is measured by: does it draw the asked class, how well per
class, and does a translation keep the exemplar's style?

All three read images through the data set's domain extractor (hvg.metrics.domain): its
logits say which digit an image shows, its features feed the FID and the style distances.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from hvg.losses import kl_normal
from hvg.metrics.domain import Domain
from hvg.metrics.extractor import embed
from hvg.metrics.fid import fid
from hvg.metrics.kid import kid
from hvg.models.conditional import cycled


def _embed(extractor: Domain, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(features, logits) of images, quietly."""
    features, logits = embed(extractor, images.split(extractor.batch_size), len(images), "", False)
    assert logits is not None  # a domain extractor always has its classifier's head
    return features, logits


def _batched(fn: Callable[..., torch.Tensor], *tensors: torch.Tensor) -> torch.Tensor:
    """fn over aligned batches of 500 of `tensors`, concatenated: bounded memory."""
    parts = zip(*(t.split(500) for t in tensors), strict=True)
    return torch.cat([fn(*batch) for batch in parts])


@torch.no_grad()
def conditional_samples(model: nn.Module, n_per_class: int, seed: int = 0) -> torch.Tensor:
    """n_per_class samples of each class, cycling 0, 1, ..., K-1, from a seeded generator."""
    model.eval()
    n = n_per_class * model.num_classes
    generator = torch.Generator().manual_seed(seed)
    return torch.cat(
        [
            model.sample(len(labels), generator=generator, labels=labels)
            for labels in cycled(n, model.num_classes).split(1000)
        ]
    )


def conditional_scores(
    model: nn.Module,
    extractor: Domain,
    test_images: torch.Tensor,
    test_labels: torch.Tensor,
    n_per_class: int = 1000,
    seed: int = 0,
) -> dict[str, object]:
    """Class accuracy (the extractor's classifier reads each sample), and FID and KID overall
    and per class, of n_per_class samples per class against every test image (of that class).
    """
    fake_features, fake_logits = _embed(extractor, conditional_samples(model, n_per_class, seed))
    asked = cycled(len(fake_features), model.num_classes)
    read = fake_logits.argmax(1)
    real_features, _ = _embed(extractor, test_images)
    per_class = {}
    for c in range(model.num_classes):
        real_c, fake_c = real_features[test_labels == c], fake_features[asked == c]
        per_class[c] = {
            "accuracy": (read[asked == c] == c).float().mean().item(),
            "fid": fid(real_c, fake_c),
        }
    kid_mean, kid_std = kid(real_features, fake_features, seed=seed)
    return {
        "accuracy": (read == asked).float().mean().item(),
        "fid": fid(real_features, fake_features),
        "kid": kid_mean,
        "kid_std": kid_std,
        "per_class": per_class,
        "n_per_class": n_per_class,
    }


@torch.no_grad()
def style_kept(
    model: nn.Module,
    extractor: Domain,
    images: torch.Tensor,
    labels: torch.Tensor,
    seed: int = 0,
) -> dict[str, float]:
    """How far translations keep their exemplar's style, in the extractor's features.

    Each exemplar's code is decoded as a random other class t (its translation), and so is the
    code of a random other exemplar (a random pair of the target class: same class, same
    model, another style). `ratio` is the mean feature distance from exemplar to its own
    translation over that to the other one: below 1, the translation is closer to its
    exemplar, which only the code can explain; 1, no style kept. `accuracy` is how often the
    classifier reads a translation as t.
    """
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    k, n = model.num_classes, len(images)
    targets = (labels + torch.randint(1, k, labels.shape, generator=generator)) % k
    others = (torch.arange(n) + torch.randint(1, n, (n,), generator=generator)) % n
    codes = _batched(model.encode, images, labels)
    own = _batched(model.decode, codes, targets)
    other = _batched(model.decode, codes[others], targets)
    exemplar, _ = _embed(extractor, images)
    translated, logits = _embed(extractor, own)
    paired, _ = _embed(extractor, other)
    to_translation = (exemplar - translated).norm(dim=1).mean().item()
    to_other = (exemplar - paired).norm(dim=1).mean().item()
    return {
        "to_translation": to_translation,
        "to_other": to_other,
        "ratio": to_translation / to_other,
        "accuracy": (logits.argmax(1) == targets).float().mean().item(),
    }


@torch.no_grad()
def code_information(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """The mean KL(q(z | x, y) || N(0, I)) of images, in nats: an upper bound on what the code
    tells about an image beyond its label (the style it can keep), as the ELBO charges it."""
    model.eval()
    kl = _batched(lambda x, y: kl_normal(*model.posterior(x, y)), images, labels)
    return kl.mean().item()
