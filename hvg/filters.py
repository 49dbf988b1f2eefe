"""Classic denoising filters, the baselines a learned denoiser must beat, and their tuning.

- Gaussian blur (scipy.ndimage): averages each pixel with its neighbours; noise and edges
  alike are smoothed, so strokes blur as the noise fades.
- Median (scipy.ndimage): the middle value of each neighbourhood; removes isolated outliers
  (salt and pepper) while keeping straight edges, but erodes thin strokes and corners.
- Non-local means (scikit-image, Buades et al. 2005): averages pixels whose *surrounding
  patches* look alike, wherever they are; the strongest classic filter here.

Each takes one parameter (blur sigma, median size, non-local means' h) that must match the
noise. `tune` picks it per noise kind and level on a validation split, never the test set.
All work on the course's images (B, C, H, W) in [-1, 1], per image and channel, on [0, 1].
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from scipy import ndimage
from skimage.restoration import denoise_nl_means

from hvg.metrics import psnr

Filter = Callable[[np.ndarray, float], np.ndarray]  # one [0, 1] image (H, W), parameter -> image


def gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Convolve with a Gaussian of standard deviation `sigma` pixels."""
    return ndimage.gaussian_filter(image, sigma, mode="nearest")


def median(image: np.ndarray, size: float) -> np.ndarray:
    """The median of each `size` x `size` neighbourhood."""
    return ndimage.median_filter(image, size=int(size), mode="nearest")


def nl_means(image: np.ndarray, h: float) -> np.ndarray:
    """Non-local means with 5x5 patches searched within 6 pixels; `h` sets how alike two
    patches must be to be averaged (larger: smoother)."""
    return denoise_nl_means(image, h=h, patch_size=5, patch_distance=6, fast_mode=True)


FILTERS: dict[str, Filter] = {
    "gaussian blur": gaussian_blur,
    "median": median,
    "non-local means": nl_means,
}
GRIDS: dict[str, tuple[float, ...]] = {  # the parameters `tune` tries
    "gaussian blur": (0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0, 2.5),
    "median": (2, 3, 4, 5, 6, 7),
    "non-local means": (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.65, 0.8, 1.0),
}


def apply_filter(name: str, images: torch.Tensor, parameter: float) -> torch.Tensor:
    """Filter every image and channel of a [-1, 1] batch with `FILTERS[name]` at `parameter`."""
    if name not in FILTERS:
        raise ValueError(f"unknown filter {name!r}: choose one of {', '.join(FILTERS)}")
    if images.ndim != 4:
        raise ValueError(f"filters take images (B, C, H, W), got shape {tuple(images.shape)}")
    unit = ((images.detach().cpu().double() + 1) / 2).numpy()
    out = np.stack([[FILTERS[name](channel, parameter) for channel in img] for img in unit])
    return torch.from_numpy(out * 2 - 1).to(images.dtype).clamp(-1, 1)


def tune(name: str, noisy: torch.Tensor, clean: torch.Tensor) -> tuple[float, float]:
    """(the parameter from `GRIDS[name]` with the best mean PSNR on these pairs, that PSNR).

    Give it a validation split: choosing on the test set would flatter the filter.
    """
    scores = {p: psnr(apply_filter(name, noisy, p), clean) for p in GRIDS[name]}
    best = max(scores, key=scores.__getitem__)
    return best, scores[best]
