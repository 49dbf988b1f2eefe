"""A small convolutional VAE (Kingma & Welling 2014) for 28x28 and 32x32 images.

The encoder maps an image to the mean and log-variance of q(z|x); the decoder maps z to the
logits of a Bernoulli image model. Images live in [-1, 1], so `decode` returns tanh(logits / 2),
which equals 2 * sigmoid(logits) - 1: the Bernoulli mean rescaled to [-1, 1].
"""

from __future__ import annotations

import torch
from torch import nn

from hvg.models import infogan
from hvg.models.base import LatentModel, check_image_size
from hvg.models.infogan import Arch, check_arch


class Encoder(nn.Module):
    """x (B, C, S, S) -> (mu, logvar), each (B, latent_dim); `width` channels, then twice that."""

    def __init__(self, channels: int, image_size: int, latent_dim: int, width: int = 32):
        super().__init__()
        side = check_image_size(image_size) // 4
        self.net = nn.Sequential(
            nn.Conv2d(channels, width, 4, stride=2, padding=1), nn.ReLU(),  # S -> S/2
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), nn.ReLU(),  # S/2 -> S/4
            nn.Flatten(),
            nn.Linear(2 * width * side * side, 2 * latent_dim),  # mean and log-variance
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.net(x).chunk(2, dim=1)
        return mu, logvar


class Decoder(nn.Module):
    """z (B, latent_dim) -> Bernoulli logits (B, C, S, S); the encoder's widths, mirrored."""

    def __init__(self, channels: int, image_size: int, latent_dim: int, width: int = 32):
        super().__init__()
        side = check_image_size(image_size) // 4
        self.net = nn.Sequential(
            nn.Linear(latent_dim, 2 * width * side * side), nn.ReLU(),
            nn.Unflatten(1, (2 * width, side, side)),
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1), nn.ReLU(),  # S/4 -> S/2
            nn.ConvTranspose2d(width, channels, 4, stride=2, padding=1),  # S/2 -> S
        )  # fmt: skip

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """z = mu + sigma * eps with eps ~ N(0, I): sampling that gradients can flow through."""
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)


class VAE(LatentModel):
    """Encoder + reparameterization + decoder; `forward` returns (logits, mu, logvar).

    `arch="infogan"` (or "infogan-512", hvg.models.infogan) swaps both networks for the
    field's MNIST ones, as Dai & Wipf (2019) use them: the encoder is the InfoGAN
    discriminator's trunk with a head of mean and log-variance, the decoder its generator
    without the tanh (Bernoulli logits)."""

    encodes = True

    def __init__(
        self,
        channels: int = 1,
        image_size: int = 28,
        latent_dim: int = 16,
        width: int = 32,
        arch: Arch = "course",
    ):
        if not isinstance(width, int) or width < 1:
            raise ValueError(f"width must be a positive int (channels), got {width!r}")
        extra = check_arch(arch, width, 32)
        super().__init__(channels, image_size, latent_dim, width=width, **extra)
        if extra:
            self.encoder = infogan.Encoder(channels, image_size, latent_dim, arch)
            self.decoder = infogan.Generator(channels, image_size, latent_dim, arch, tanh=False)
        else:
            self.encoder = Encoder(channels, image_size, latent_dim, width)
            self.decoder = Decoder(channels, image_size, latent_dim, width)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(x)
        return self.decoder(reparameterize(mu, logvar)), mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latent codes -> images in [-1, 1] (the Bernoulli mean, rescaled)."""
        return torch.tanh(self.decoder(z) / 2)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images -> posterior means: the deterministic code used for plots and widgets."""
        return self.encoder(x)[0]
