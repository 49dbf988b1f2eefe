"""A small CNN that classifies a data set's images: the feature extractor of the domain metrics.

Inception on two CPU cores embeds about 7 images a second; this network embeds thousands. Its
penultimate layer (`features`, 128 numbers per image) stands in for Inception's pool features
in the fast "domain" FID, precision and recall, and its logits for Inception's in the domain
Inception Score. Three conv blocks (conv, batch norm, ReLU), each with stride 2 instead of
pooling, then one linear layer to the 128 features, dropout, and the linear classifier: about
190k parameters (0.8 MB) and 2M multiply-adds per 28x28 image, so that 10,000 images take
seconds.
"""

from __future__ import annotations

import torch
from torch import nn

from hvg.models.base import Model


def _block(c_in: int, c_out: int, kernel: int, stride: int) -> list[nn.Module]:
    """Conv (padding kernel // 2, so stride 2 halves the side), batch norm, ReLU."""
    return [
        nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(),
    ]


class Classifier(Model):
    """Images (B, C, S, S) in [-1, 1] -> class logits (B, num_classes); `features` -> (B, 4w)."""

    uses_labels = True

    def __init__(
        self, channels: int = 1, image_size: int = 28, num_classes: int = 10, width: int = 32
    ):
        super().__init__()
        if channels not in (1, 3):
            raise ValueError(f"channels must be 1 (grayscale) or 3 (RGB), got {channels}")
        if not isinstance(image_size, int) or image_size < 8:
            raise ValueError(f"image_size must be an int of at least 8, got {image_size!r}")
        if not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(f"num_classes must be an int of at least 2, got {num_classes!r}")
        self.config = dict(
            channels=channels, image_size=image_size, num_classes=num_classes, width=width
        )
        side = -(-image_size // 8)  # each stride-2 block takes the side s to ceil(s / 2)
        self.feature_dim = 4 * width
        self.body = nn.Sequential(
            *_block(channels, width, 5, 2),  # S -> S/2
            *_block(width, 2 * width, 3, 2),  # S/2 -> S/4
            *_block(2 * width, 2 * width, 3, 2),  # S/4 -> S/8
            nn.Flatten(),
            nn.Linear(2 * width * side * side, self.feature_dim, bias=False),
            nn.BatchNorm1d(self.feature_dim),
            nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(self.feature_dim, num_classes))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The penultimate layer: (B, 4 * width) non-negative numbers per image."""
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))
