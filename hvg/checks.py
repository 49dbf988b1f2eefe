"""Input checks for images and features: refuse data that would give a wrong number, say the fix.

A leaf module (torch alone): the metrics and the denoisers both check their inputs with it.

The course's images are float tensors (B, C, H, W) in [-1, 1] with C = 1 or 3. A metric fed
uint8 or [0, 255] images, channels-last arrays or NaNs returns a number all the same, and a
wrong one; these checks stop it first. Images in [0, 1] can't be told apart from dark-free
images in [-1, 1] for certain, so they get a warning rather than an error.
"""

from __future__ import annotations

import warnings

import torch

TOLERANCE = 1e-3  # float rounding of tanh outputs and resizing


class MetricInputError(ValueError):
    """Images or features a metric can't use as given; the message says what to change."""


def _check_layout(images: torch.Tensor, name: str) -> None:
    """A float (B, C, H, W) tensor with C = 1 or 3."""
    if not torch.is_tensor(images):
        raise MetricInputError(
            f"{name} must be a torch.Tensor (B, C, H, W) in [-1, 1], got {type(images).__name__}"
        )
    if images.dim() != 4:
        raise MetricInputError(
            f"{name} must be a batch (B, C, H, W), got shape {tuple(images.shape)}: add the "
            "missing dimension (images[None] for one image, images[:, None] for no channel)"
        )
    if images.dtype == torch.uint8:
        raise MetricInputError(
            f"{name} are uint8 (0 to 255), but the metrics take floats in [-1, 1]: "
            "convert with images.float() / 127.5 - 1"
        )
    if not images.is_floating_point():
        raise MetricInputError(f"{name} must be floats in [-1, 1], got dtype {images.dtype}")
    if images.shape[1] not in (1, 3):
        raise MetricInputError(
            f"{name} have {images.shape[1]} channels (shape {tuple(images.shape)}); the metrics "
            "take 1 (grayscale) or 3 (RGB) in dimension 1. Channels last? Use "
            "images.permute(0, 3, 1, 2)"
        )


def _check_range(images: torch.Tensor, name: str) -> None:
    """Finite values in [-1, 1]; a warning if none is negative (images in [0, 1]?)."""
    if not torch.isfinite(images).all():
        raise MetricInputError(f"{name} hold NaN or infinite values")
    low, high = images.min().item(), images.max().item()
    if low < -1 - TOLERANCE or high > 1 + TOLERANCE:
        hint = (
            " They look like [0, 255]: use images / 127.5 - 1."
            if high > 2
            else " Clamp them with images.clamp(-1, 1) if they only overshoot a little."
        )
        raise MetricInputError(
            f"{name} range from {low:.4g} to {high:.4g}, outside [-1, 1], the course's image "
            f"range.{hint}"
        )
    if low >= 0:
        warnings.warn(
            f"{name} have no negative value: are they in [0, 1]? The metrics expect [-1, 1] "
            "(black is -1), and [0, 1] images give wrong numbers: convert with images * 2 - 1.",
            stacklevel=3,
        )


def check_images(
    images: torch.Tensor,
    name: str = "images",
    channels: int | None = None,
    size: int | None = None,
) -> torch.Tensor:
    """Return `images` if they are a float (B, C, H, W) batch in [-1, 1], else raise.

    `channels` and `size` (the side in pixels), when given, must match too: they are those of
    the real images or of the network the metric uses.
    """
    _check_layout(images, name)
    if channels is not None and images.shape[1] != channels:
        fix = "images.expand(-1, 3, -1, -1)" if channels == 3 else "images.mean(1, keepdim=True)"
        raise MetricInputError(
            f"{name} have {images.shape[1]} channels, but the reference images have {channels}: "
            f"compare like with like (to convert, {fix})"
        )
    if size is not None and tuple(images.shape[-2:]) != (size, size):
        raise MetricInputError(
            f"{name} are {images.shape[-2]}x{images.shape[-1]} pixels, but this metric needs "
            f"{size}x{size}: generate at that size, or resize with torch.nn.functional."
            f"interpolate(images, size={size}, mode='bilinear', antialias=True)"
        )
    _check_range(images, name)
    return images


def check_features(features: torch.Tensor, name: str, at_least: int = 2) -> torch.Tensor:
    """Return `features` if they are a finite (N, D) tensor with N >= `at_least`, else raise."""
    if not torch.is_tensor(features) or features.dim() != 2:
        shape = tuple(features.shape) if torch.is_tensor(features) else type(features).__name__
        raise MetricInputError(f"{name} must be a 2-D tensor (N, D), got {shape}")
    if len(features) < at_least:
        raise MetricInputError(
            f"{name} hold {len(features)} samples, but this metric needs at least {at_least}"
        )
    if not torch.isfinite(features).all():
        raise MetricInputError(f"{name} hold NaN or infinite values")
    return features


def check_pair(real: torch.Tensor, fake: torch.Tensor, at_least: int = 2) -> None:
    """Two feature sets of the same width, each with at least `at_least` samples."""
    check_features(real, "real features", at_least)
    check_features(fake, "generated features", at_least)
    if real.shape[1] != fake.shape[1]:
        raise MetricInputError(
            f"real features are {real.shape[1]}-d but generated ones {fake.shape[1]}-d: "
            "embed both sets with the same extractor"
        )
