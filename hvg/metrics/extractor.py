"""What every feature extractor gives the metrics, and running one over many images.

An extractor maps the course's images (B, C, H, W) in [-1, 1] to features (B, D) for FID and
precision/recall, and, when it has a classification layer, logits (B, K) for the Inception
Score. `name` says in words which network and weights were used (results carry it); `key`
names its cached statistics on disk and changes whenever its weights do.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn
from tqdm.auto import tqdm

Embedding = tuple[torch.Tensor, torch.Tensor | None]


class Extractor(nn.Module):
    """Images in [-1, 1] -> (features (B, dim), logits (B, K) or None)."""

    name: str
    key: str
    dim: int
    batch_size: int = 500  # images per forward pass, sized for a laptop's memory
    image_size: int | None = None  # the side it needs in pixels; None: any (it resizes)
    channels: int | None = None  # the channels it needs; None: 1 or 3

    def forward(self, images: torch.Tensor) -> Embedding:
        raise NotImplementedError


@torch.inference_mode()
def embed(
    extractor: Extractor,
    batches: Iterable[torch.Tensor],
    total: int,
    desc: str = "features",
    progress: bool = True,
) -> Embedding:
    """Features (and logits, if any) of every image in `batches`, on the CPU.

    `total` is the number of images, for the progress bar.
    """
    features, logits = [], []
    device = next(extractor.parameters()).device
    with tqdm(total=total, desc=desc, unit="img", disable=not progress) as bar:
        for images in batches:
            f, lg = extractor(images.to(device))
            features.append(f.float().cpu())
            if lg is not None:
                logits.append(lg.float().cpu())
            bar.update(len(images))
    return torch.cat(features), (torch.cat(logits) if logits else None)
