"""The course's models; hvg.registry knows each by name, with its recipe."""

from __future__ import annotations

from hvg.models.classifier import Classifier
from hvg.models.conditional import ConditionalGAN, ConditionalVAE, ConditionalVAEGAN
from hvg.models.dcgan import DCGAN
from hvg.models.denoiser import Denoiser, DenoisingAutoencoder, DenoisingVAE
from hvg.models.fusion import Fusion
from hvg.models.vae import VAE
from hvg.models.vaegan import VAEGAN

__all__ = [
    "Classifier",
    "ConditionalGAN",
    "ConditionalVAE",
    "ConditionalVAEGAN",
    "DCGAN",
    "Denoiser",
    "DenoisingAutoencoder",
    "DenoisingVAE",
    "Fusion",
    "VAE",
    "VAEGAN",
]
