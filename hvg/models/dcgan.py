"""DCGAN (Radford, Metz & Chintala 2016) sized for 28x28 and 32x32 images.

The paper's rules: strided (transposed) convolutions instead of pooling, batch norm in both
networks (not on the generator's output nor the discriminator's input), ReLU in the generator
with tanh on its output, LeakyReLU(0.2) in the discriminator, weights drawn from N(0, 0.02).
`spectral_norm=True` swaps the discriminator's batch norm for spectral normalisation of every
layer (Miyato et al. 2018), a remedy the field uses to keep the discriminator's gradients tame.
"""

from __future__ import annotations

import torch
from torch import nn

from hvg.ema import averaged_copy, update_average
from hvg.models import infogan
from hvg.models.base import LatentModel, check_image_size, optional_sizes
from hvg.models.infogan import Arch, check_arch


def dcgan_init(module: nn.Module) -> None:
    """The paper's initialisation: conv and linear weights N(0, 0.02); batch norm N(1, 0.02)."""
    if isinstance(module, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class Generator(nn.Module):
    """z (B, latent_dim) -> image (B, C, S, S) in [-1, 1]."""

    def __init__(self, channels: int, image_size: int, latent_dim: int, width: int):
        super().__init__()
        side = check_image_size(image_size) // 4
        self.net = nn.Sequential(
            nn.Linear(latent_dim, 4 * width * side * side, bias=False),  # project and reshape
            nn.Unflatten(1, (4 * width, side, side)),
            nn.BatchNorm2d(4 * width), nn.ReLU(),
            nn.ConvTranspose2d(4 * width, 2 * width, 4, 2, 1, bias=False),  # S/4 -> S/2
            nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.ConvTranspose2d(2 * width, channels, 4, 2, 1),  # S/2 -> S
            nn.Tanh(),
        )  # fmt: skip

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class Discriminator(nn.Module):
    """image (B, C, S, S) -> one logit per image, log D / (1 - D): real (high) or fake (low).

    With `spectral_norm`, no batch norm: each layer's weight is divided by its largest singular
    value (one power iteration per forward pass, `torch.nn.utils.parametrizations`), so the
    network is 1-Lipschitz layer by layer. Call `normalise_spectrally` after initialising."""

    def __init__(self, channels: int, image_size: int, width: int, spectral_norm: bool = False):
        super().__init__()
        side = check_image_size(image_size) // 4
        norm = nn.Identity() if spectral_norm else nn.BatchNorm2d(2 * width)
        self.net = nn.Sequential(
            nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2),  # S -> S/2, no batch norm
            nn.Conv2d(width, 2 * width, 4, 2, 1, bias=spectral_norm),  # S/2 -> S/4
            norm, nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(2 * width * side * side, 1),
        )  # fmt: skip

    def normalise_spectrally(self) -> None:
        """Put every conv and linear weight under spectral normalisation (Miyato et al. 2018)."""
        for module in self.net:
            if isinstance(module, nn.Conv2d | nn.Linear):
                nn.utils.parametrizations.spectral_norm(module)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)


class DCGAN(LatentModel):
    """A generator and a discriminator, initialised as in the paper.

    `width` is the discriminator's first layer's channel count (the generator mirrors it):
    32 trains at about 1,150 images/s on two CPU cores; the PyTorch DCGAN tutorial uses 64.
    `ema=N` (0: off) also keeps `generator_ema`, the average of the generator's weights over
    about the last N steps (hvg.ema), and `decode` draws with it. `spectral_norm=True` gives
    the discriminator spectral normalisation in place of batch norm. `arch="infogan"` (or
    "infogan-512", hvg.models.infogan) swaps both networks for the InfoGAN ones that Lucic
    et al. (2018) measure GANs on MNIST with, initialised as above.
    """

    def __init__(
        self,
        channels: int = 1,
        image_size: int = 28,
        latent_dim: int = 100,
        width: int = 32,
        ema: int = 0,
        spectral_norm: bool = False,
        arch: Arch = "course",
    ):
        extra = optional_sizes(ema, spectral_norm) | check_arch(arch, width, 32)
        super().__init__(channels, image_size, latent_dim, width=width, **extra)
        if arch == "course":
            self.generator = Generator(channels, image_size, latent_dim, width)
            self.discriminator = Discriminator(channels, image_size, width, spectral_norm)
        else:
            self.generator = infogan.Generator(channels, image_size, latent_dim, arch)
            self.discriminator = infogan.Discriminator(channels, image_size, arch, spectral_norm)
        self.apply(dcgan_init)
        if spectral_norm:
            self.discriminator.normalise_spectrally()
        self.generator_ema = averaged_copy(self.generator) if ema else None

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latent codes -> images in [-1, 1] (the generator, or its average with `ema`; named
        as the VAE's for widgets)."""
        return (self.generator_ema or self.generator)(z)

    def live(self) -> DCGAN:
        """The same DCGAN without the average: its own generator and discriminator, to ship or
        score the generator itself (without `ema`, the model itself)."""
        if self.generator_ema is None:
            return self
        config = {k: v for k, v in self.config.items() if k not in ("ema", "name")}
        live = DCGAN(**config)
        state = {k: v for k, v in self.state_dict().items() if not k.startswith("generator_ema.")}
        live.load_state_dict(state)
        return live.train(self.training)

    def update_average(self) -> None:
        """After a generator step: move `generator_ema` toward the generator (with `ema`)."""
        if self.generator_ema is not None:
            update_average(self.generator_ema, self.generator, self.config["ema"])
