"""Fusion strategies: where, and when, a VAE and a GAN meet in one generator.

Three hybrids of the face-generation study this course reproduces, each built from the Larsen
VAE-GAN's blocks (hvg.models.vaegan) and trained by its recipe, so that only the fusion
differs:

- early fusion (`EarlyFusion`): the generator's *input* joins the VAE's code z (from the
  encoder, or the prior) with GAN noise n, G([z, n]); one generator from the first layer on.
- late fusion (`LateFusion`): z and n each go through a pathway of their own, up to the last
  upsampling stage; there their feature maps are concatenated and one shared final block
  draws the image.
- progressive fusion (`ProgressiveFusion`): the VAE-GAN's networks, with a schedule that
  moves the objective from a plain VAE's to the VAE-GAN's (hvg.recipes.fusion says when).

For the first two, `decode(z)` takes the VAE code and the noise side by side, so `latent_dim`
(what sampling, widgets and metrics draw) is `code_dim + noise_dim`; the encoder gives the
first `code_dim`. The face study used a 128-d code and 100-d noise; for MNIST digits 32 and 16
suit (the Larsen model's 32-d code, plus noise).
"""

from __future__ import annotations

import torch
from torch import nn

from hvg.models.base import LatentModel, check_image_size
from hvg.models.vaegan import (
    VAEGAN,
    Decoder,
    Discriminator,
    Encoder,
    check_width,
    upconv_block,
)


class _Fusion(VAEGAN):
    """A VAE-GAN whose generator also takes `noise_dim` dims of GAN noise after the code."""

    def __init__(
        self,
        channels: int = 1,
        image_size: int = 28,
        code_dim: int = 32,
        noise_dim: int = 16,
        width: int = 16,
    ):
        for name, value in (("code_dim", code_dim), ("noise_dim", noise_dim)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        LatentModel.__init__(self, channels, image_size, code_dim + noise_dim)  # not VAEGAN's
        self.config = dict(
            channels=channels, image_size=image_size, code_dim=code_dim, noise_dim=noise_dim,
            width=check_width(width),
        )  # fmt: skip
        self.noise_dim = noise_dim
        self.encoder = Encoder(channels, image_size, code_dim, width)
        self.decoder = self.build_generator(channels, image_size, code_dim, noise_dim, width)
        self.discriminator = Discriminator(channels, image_size, width)
        self.decoder_ema = None  # VAEGAN's weight average, which fusion does not offer

    def build_generator(
        self, channels: int, image_size: int, code_dim: int, noise_dim: int, width: int
    ) -> nn.Module:
        raise NotImplementedError

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Posterior means, with the noise at its mean, 0: a full code for `decode`."""
        mu = self.encoder(x)[0]
        return torch.cat([mu, mu.new_zeros(len(mu), self.noise_dim)], dim=1)


class EarlyFusion(_Fusion):
    """One generator whose input is [VAE code, GAN noise]."""

    def build_generator(
        self, channels: int, image_size: int, code_dim: int, noise_dim: int, width: int
    ) -> nn.Module:
        return Decoder(channels, image_size, code_dim + noise_dim, width)


class TwoPathways(nn.Module):
    """[z, n] -> image: z and n upsampled apart to S/2, then one shared block to S."""

    def __init__(self, channels: int, image_size: int, code_dim: int, noise_dim: int, width: int):
        super().__init__()
        self.code_dim = code_dim
        side = check_image_size(image_size) // 4

        def pathway(inputs: int) -> nn.Sequential:  # half the VAE-GAN decoder's channels each
            return nn.Sequential(
                nn.Linear(inputs, 2 * width * side * side, bias=False),
                nn.Unflatten(1, (2 * width, side, side)),
                nn.BatchNorm2d(2 * width), nn.ReLU(),
                *upconv_block(2 * width, width),  # S/4 -> S/2
            )  # fmt: skip

        self.vae, self.gan = pathway(code_dim), pathway(noise_dim)
        self.shared = nn.Sequential(
            *upconv_block(2 * width, width // 2),  # S/2 -> S, on both pathways' features
            nn.Conv2d(width // 2, channels, 5, 1, 2),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        code, noise = z[:, : self.code_dim], z[:, self.code_dim :]
        return self.shared(torch.cat([self.vae(code), self.gan(noise)], dim=1))


class LateFusion(_Fusion):
    """A VAE pathway and a GAN pathway, joined by a shared final block."""

    def build_generator(
        self, channels: int, image_size: int, code_dim: int, noise_dim: int, width: int
    ) -> nn.Module:
        return TwoPathways(channels, image_size, code_dim, noise_dim, width)


class ProgressiveFusion(VAEGAN):
    """The Larsen VAE-GAN's networks, under its own name: its recipe schedules the objective."""
