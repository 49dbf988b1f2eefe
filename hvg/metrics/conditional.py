"""What a class-conditional model is measured by: does it draw the asked class, how well per
class, and does a translation keep the exemplar's style?

All three read images through the data set's domain extractor (hvg.metrics.domain): its
logits say which digit an image shows, its features feed the FID and the style distances.
"""

from __future__ import annotations

import torch
from torch import nn

from hvg.metrics.domain import Domain
from hvg.metrics.extractor import embed
from hvg.metrics.fid import fid
from hvg.metrics.kid import kid
from hvg.models.conditional import cycled, translate


def _embed(extractor: Domain, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(features, logits) of images, quietly."""
    features, logits = embed(extractor, images.split(extractor.batch_size), len(images), "", False)
    assert logits is not None  # a domain extractor always has its classifier's head
    return features, logits


@torch.no_grad()
def conditional_samples(model: nn.Module, n_per_class: int, seed: int = 0) -> torch.Tensor:
    """n_per_class samples of each class, cycling 0, 1, ..., K-1, from a seeded generator."""
    model.eval()
    n = n_per_class * model.num_classes
    generator = torch.Generator().manual_seed(seed)
    return torch.cat([
        model.sample(len(labels), generator=generator, labels=labels)
        for labels in cycled(n, model.num_classes).split(1000)
    ])  # fmt: skip


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

    Each exemplar is translated to a random other class t. `ratio` is the mean distance from
    exemplar to its translation over the mean distance from exemplar to a random real test
    image of class t: below 1, a translation is more like its exemplar than a random t is;
    1, no style kept. `accuracy` is how often the classifier reads the translation as t.
    """
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    k = model.num_classes
    targets = (labels + torch.randint(1, k, labels.shape, generator=generator)) % k
    moved = torch.cat([
        translate(model, x, y, t)
        for x, y, t in zip(images.split(500), labels.split(500), targets.split(500), strict=True)
    ])  # fmt: skip
    by_class = [torch.nonzero(labels == c).flatten() for c in range(k)]
    draws = torch.rand(len(targets), generator=generator)
    pairs = zip(targets.tolist(), draws.tolist(), strict=True)
    pool = torch.stack([by_class[t][int(u * len(by_class[t]))] for t, u in pairs])
    exemplar, _ = _embed(extractor, images)
    translated, logits = _embed(extractor, moved)
    random_t = exemplar[pool]
    to_translation = (exemplar - translated).norm(dim=1).mean().item()
    to_random = (exemplar - random_t).norm(dim=1).mean().item()
    return {
        "to_translation": to_translation,
        "to_random": to_random,
        "ratio": to_translation / to_random,
        "accuracy": (logits.argmax(1) == targets).float().mean().item(),
    }
