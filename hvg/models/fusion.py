"""Fusion strategies: where, and when, a VAE and a GAN meet in one generator.

Three hybrids of the face-generation study this course reproduces, each built from the Larsen
VAE-GAN's blocks (hvg.models.vaegan) and trained by its recipe, so that only the fusion
differs. The registry (hvg.registry) names each as a setting, not a class of its own:

- early fusion (`Fusion(strategy="early")`, "fusion-early"): the generator's *input* joins the
  VAE's code z (from the encoder, or the prior) with GAN noise n, G([z, n]); one generator from
  the first layer on.
- late fusion (`Fusion(strategy="late")`, "fusion-late"): z and n each go through a pathway of
  their own, up to the last upsampling stage; there their feature maps are concatenated and one
  shared final block draws the image.
- progressive fusion ("fusion-progressive"): the VAE-GAN itself, with a recipe that moves the
  objective from a plain VAE's to the VAE-GAN's (hvg.recipes.fusion says when).

For the first two, `decode(z)` takes the VAE code and the noise side by side, so `latent_dim`
(what sampling, widgets and metrics draw) is `code_dim + noise_dim`; the encoder gives the
first `code_dim`. The face study used a 128-d code and 100-d noise; for MNIST digits 32 and 16
suit (the Larsen model's 32-d code, plus noise).
"""

from __future__ import annotations

import torch
from torch import nn

from hvg.models import infogan
from hvg.models.base import check_image_size
from hvg.models.infogan import Arch
from hvg.models.vaegan import VAEGAN, Decoder, upconv_block

STRATEGIES = ("early", "late")


class Fusion(VAEGAN):
    """A VAE-GAN whose generator also takes `noise_dim` dims of GAN noise after the code, joined
    at the generator's input (`strategy="early"`) or at its last block ("late"); `arch` as the
    VAE-GAN's (hvg.models.infogan)."""

    def __init__(
        self,
        channels: int = 1,
        image_size: int = 28,
        code_dim: int = 32,
        noise_dim: int = 16,
        width: int = 16,
        strategy: str = "early",
        arch: Arch = "course",
    ):
        for name, value in (("code_dim", code_dim), ("noise_dim", noise_dim)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if strategy not in STRATEGIES:
            choices = " or ".join(map(repr, STRATEGIES))
            raise ValueError(f"strategy must be {choices}, got {strategy!r}")
        self.noise_dim, self.strategy = noise_dim, strategy  # read by build_decoder, in __init__
        super().__init__(channels, image_size, code_dim + noise_dim, width, arch=arch)
        self.config = dict(
            channels=channels,
            image_size=image_size,
            code_dim=code_dim,
            noise_dim=noise_dim,
            width=width,
            strategy=strategy,
            **({} if arch == "course" else {"arch": arch}),
        )

    def build_decoder(self, channels: int, image_size: int, width: int, arch: str) -> nn.Module:
        """One generator on [code, noise] (early), or a pathway each, then a shared block (late);
        with `arch="infogan"`, InfoGAN's generator, or two of it with half its channels each
        (hvg.models.infogan.TwoPathways), within a few % of one generator's parameters."""
        code_dim = self.latent_dim - self.noise_dim
        if arch != "course":
            if self.strategy == "early":
                return infogan.Generator(channels, image_size, self.latent_dim, arch)
            return infogan.TwoPathways(channels, image_size, code_dim, self.noise_dim, arch)
        if self.strategy == "early":
            return Decoder(channels, image_size, self.latent_dim, width)
        return TwoPathways(channels, image_size, code_dim, self.noise_dim, width)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Posterior means, with the noise at its mean, 0: a full code for `decode`."""
        mu = self.encoder(x)[0]
        return torch.cat([mu, mu.new_zeros(len(mu), self.noise_dim)], dim=1)


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
