"""The course's models, built by name so checkpoints and the CLI can recreate them."""

from __future__ import annotations

from torch import nn

from hvg.models.classifier import Classifier
from hvg.models.dcgan import DCGAN
from hvg.models.denoiser import Denoiser, DenoisingAutoencoder, DenoisingVAE
from hvg.models.fusion import EarlyFusion, LateFusion, ProgressiveFusion
from hvg.models.vae import VAE
from hvg.models.vaegan import VAEGAN

MODELS: dict[str, type[nn.Module]] = {
    "vae": VAE,
    "dcgan": DCGAN,
    "vaegan": VAEGAN,
    "classifier": Classifier,
    "fusion-early": EarlyFusion,
    "fusion-late": LateFusion,
    "fusion-progressive": ProgressiveFusion,
    "denoiser": Denoiser,
    "denoiser-vae": DenoisingVAE,
    "denoiser-ae": DenoisingAutoencoder,
}


def build_model(name: str, **config: object) -> nn.Module:
    """Instantiate a model by its registry name with its constructor arguments."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}: choose one of {', '.join(sorted(MODELS))}")
    return MODELS[name](**config)


__all__ = [
    "Classifier",
    "DCGAN",
    "Denoiser",
    "DenoisingAutoencoder",
    "DenoisingVAE",
    "EarlyFusion",
    "LateFusion",
    "MODELS",
    "ProgressiveFusion",
    "VAE",
    "VAEGAN",
    "build_model",
]
