"""What the course's generative models share: argument checks, a config, prior sampling."""

from __future__ import annotations

import torch
from torch import nn

from hvg.ema import check_horizon

MIN_SIZE, MAX_SIZE = 16, 64


def check_image_size(image_size: int) -> int:
    """Return `image_size` if the conv stacks can take it (two stride-2 halvings), else raise."""
    if not isinstance(image_size, int) or isinstance(image_size, bool):
        raise TypeError(f"image_size must be an int, got {image_size!r}")
    if image_size % 4 or not MIN_SIZE <= image_size <= MAX_SIZE:
        raise ValueError(
            f"image_size={image_size} is not supported: the models halve the image twice, so it "
            f"must be a multiple of 4 between {MIN_SIZE} and {MAX_SIZE}. Use 28 (MNIST's native "
            "size) or 32 (CIFAR-10, CelebA 32x32), and load data with the same image_size."
        )
    return image_size


def optional_sizes(ema: int, spectral_norm: bool) -> dict[str, object]:
    """The config entries of a GAN's optional `ema` and `spectral_norm`, checked, and only
    those that are on, so that the configs of models without them stay as they were."""
    if not isinstance(spectral_norm, bool):
        raise ValueError(f"spectral_norm must be True or False, got {spectral_norm!r}")
    extra: dict[str, object] = {"ema": check_horizon(ema)} if ema else {}
    if spectral_norm:
        extra["spectral_norm"] = True
    return extra


def device_of(module: nn.Module) -> torch.device:
    """The device a module's parameters live on."""
    return next(module.parameters()).device


class Model(nn.Module):
    """Any model the course trains: `config` rebuilds it from a checkpoint (with the registry
    name, `config["name"]`, when hvg.registry built it), and what it can do is declared here
    once, as class attributes, for the engine and the CLI to read (never probed with hasattr).
    """

    uses_labels = False  # its training batches are (images, labels), and its sampling takes labels
    samples = False  # `sample(n)` draws images from its prior
    encodes = False  # `encode(x)` gives codes that `decode` turns back into images
    denoises = False  # `denoise(noisy)` cleans corrupted images
    config: dict[str, object]


class LatentModel(Model):
    """A model that decodes codes z ~ N(0, I) into images.

    Subclasses build their networks after calling `super().__init__` and define `decode`.
    """

    samples = True

    def __init__(self, channels: int, image_size: int, latent_dim: int, **extra: object):
        super().__init__()
        if channels not in (1, 3):
            raise ValueError(f"channels must be 1 (grayscale) or 3 (RGB), got {channels}")
        if not isinstance(latent_dim, int) or latent_dim < 1:
            raise ValueError(f"latent_dim must be a positive int, got {latent_dim!r}")
        self.config = dict(channels=channels, image_size=image_size, latent_dim=latent_dim, **extra)
        self.latent_dim = latent_dim

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latent codes (B, latent_dim) -> images (B, C, S, S) in [-1, 1]."""
        raise NotImplementedError

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw n images from the prior p(z) = N(0, I) through `decode` (call eval() first)."""
        z = torch.randn(n, self.latent_dim, generator=generator)
        return self.decode(z.to(device_of(self)))
