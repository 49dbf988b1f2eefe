"""MSE, PSNR and SSIM of reconstructed or denoised images against their originals.

Both sets are the course's images in [-1, 1], so the data range is 2 (from -1 to 1), given to
torchmetrics explicitly: its default would guess the range from the data. PSNR and SSIM come
out the same as for the images mapped to [0, 1] with range 1; MSE is in the course's units
(four times the [0, 1] MSE). PSNR and SSIM are computed per image and averaged, as
denoising papers report them.
"""

from __future__ import annotations

import torch
from torchmetrics.functional.image import (
    peak_signal_noise_ratio,
    structural_similarity_index_measure,
)

from hvg.checks import MetricInputError, check_images

DATA_RANGE = (-1.0, 1.0)


def _checked(preds: torch.Tensor, target: torch.Tensor) -> None:
    """Two batches of [-1, 1] images of the same shape."""
    check_images(target, "target images")
    check_images(preds, "predicted images", target.shape[1], target.shape[-1])
    if preds.shape != target.shape:
        raise MetricInputError(
            f"predicted images {tuple(preds.shape)} and targets {tuple(target.shape)} differ "
            "in shape: pair each reconstruction with its original"
        )


def mse(preds: torch.Tensor, target: torch.Tensor) -> float:
    """Mean squared error over all pixels, in [-1, 1] units."""
    _checked(preds, target)
    return torch.mean((preds.double() - target.double()) ** 2).item()


def psnr(preds: torch.Tensor, target: torch.Tensor) -> float:
    """Peak signal-to-noise ratio in dB, per image (peak = range 2), averaged over the batch.

    An image identical to its target has infinite PSNR, and so then has the mean.
    """
    _checked(preds, target)
    return peak_signal_noise_ratio(preds, target, data_range=DATA_RANGE, dim=(1, 2, 3)).item()


def ssim(preds: torch.Tensor, target: torch.Tensor) -> float:
    """Structural similarity (Gaussian window 11 px, sigma 1.5), averaged over the batch."""
    _checked(preds, target)
    if min(target.shape[-2:]) < 11:
        raise MetricInputError("SSIM's 11-pixel window needs images of at least 11x11 pixels")
    return structural_similarity_index_measure(preds, target, data_range=DATA_RANGE).item()
