"""The field's MNIST networks, as a size every generative model can take: `arch="infogan"`.

The published MNIST numbers the course compares with (Lucic et al. 2018, "Are GANs created
equal?"; Dai & Wipf 2019, "Diagnosing and enhancing VAE models") come from the InfoGAN
networks (Chen et al. 2016), each about 6.6M parameters, where the course's are 37k to 760k:

- generator: FC 1024, BN, lReLU; FC 128 x S/4 x S/4, BN, lReLU; deconv 64 4x4/2, BN, lReLU;
  deconv C 4x4/2 (tanh for images in [-1, 1]; none for a VAE's Bernoulli logits);
- discriminator: conv 64 4x4/2, lReLU; conv 128 4x4/2, BN, lReLU; FC 1024, BN, lReLU; FC 1.

Every model composes the same two pieces: `Generator` (the GAN's generator, the VAE's and the
VAE-GAN's decoder; fusion's pathways) and `Discriminator` (the GAN's discriminator, the
VAE-GAN's, whose Dis_l is the second convolution's output; its trunk, with a head of 2 x
latent_dim numbers, is the encoder). `ARCHS` lists the sizes: "course" (the course's own
small networks, every model's default), "infogan", and "infogan-512", the same with FC 512
where the InfoGAN networks have 1024 (half the parameters, for a CPU hour; bench/capacity.py
measures both). S is any size the course's models take (28, 32: hvg.models.base).
"""

from __future__ import annotations

import typing
from typing import Literal

import torch
from torch import nn

from hvg.models.base import check_image_size

Arch = Literal["course", "infogan", "infogan-512"]  # what a model's `arch` may be
ARCHS: tuple[str, ...] = typing.get_args(Arch)
HIDDEN = {"infogan": 1024, "infogan-512": 512}  # the fully connected layer's width
CHANNELS = (64, 128)  # the two convolutions' channels (the deconvolutions mirror them)


def check_arch(arch: str, width: int, course_width: int) -> dict[str, object]:
    """The config entry of a model's `arch`, checked: none for "course" (so the configs of the
    course's models stay as they were), {"arch": arch} otherwise. `width` sizes the course's
    networks only, so another one than the model's default (`course_width`) is refused with
    the InfoGAN networks, which have sizes of their own."""
    if arch not in ARCHS:
        raise ValueError(f"arch must be one of {', '.join(map(repr, ARCHS))}, got {arch!r}")
    if arch == "course":
        return {}
    if width != course_width:
        raise ValueError(
            f"width={width} sizes the course's networks; arch={arch!r} has sizes of its own "
            f"(the InfoGAN networks): leave width at its default, {course_width}"
        )
    return {"arch": arch}


def trunk(channels: int, image_size: int, hidden: int, batch_norm: bool = True) -> list[nn.Module]:
    """The discriminator without its last layer: x (B, C, S, S) -> features (B, hidden). The
    second convolution is the third module (Dis_l); without `batch_norm`, biases instead."""
    side = check_image_size(image_size) // 4
    c1, c2 = CHANNELS
    bn = batch_norm
    return [
        nn.Conv2d(channels, c1, 4, 2, 1), nn.LeakyReLU(0.2),  # S -> S/2, no batch norm
        nn.Conv2d(c1, c2, 4, 2, 1, bias=not bn),  # S/2 -> S/4: Dis_l
        nn.BatchNorm2d(c2) if bn else nn.Identity(), nn.LeakyReLU(0.2),
        nn.Flatten(),
        nn.Linear(c2 * side * side, hidden, bias=not bn),
        nn.BatchNorm1d(hidden) if bn else nn.Identity(), nn.LeakyReLU(0.2),
    ]  # fmt: skip


class Encoder(nn.Module):
    """x (B, C, S, S) -> (mu, logvar) of q(z|x), each (B, latent_dim): the trunk, then a head."""

    def __init__(self, channels: int, image_size: int, latent_dim: int, arch: str):
        super().__init__()
        hidden = HIDDEN[arch]
        self.net = nn.Sequential(
            *trunk(channels, image_size, hidden), nn.Linear(hidden, 2 * latent_dim)
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.net(x).chunk(2, dim=1)
        return mu, logvar


def upsampler(inputs: int, image_size: int, hidden: int, c1: int, c2: int) -> list[nn.Module]:
    """z (B, inputs) -> feature maps (B, c1, S/2, S/2): the generator up to its last layer."""
    side = check_image_size(image_size) // 4
    return [
        nn.Linear(inputs, hidden, bias=False), nn.BatchNorm1d(hidden), nn.LeakyReLU(0.2),
        nn.Linear(hidden, c2 * side * side, bias=False),
        nn.BatchNorm1d(c2 * side * side), nn.LeakyReLU(0.2),
        nn.Unflatten(1, (c2, side, side)),
        nn.ConvTranspose2d(c2, c1, 4, 2, 1, bias=False),  # S/4 -> S/2
        nn.BatchNorm2d(c1), nn.LeakyReLU(0.2),
    ]  # fmt: skip


class Generator(nn.Module):
    """z (B, latent_dim) -> image (B, C, S, S): in [-1, 1] with `tanh`, else logits (a VAE's)."""

    def __init__(
        self, channels: int, image_size: int, latent_dim: int, arch: str, tanh: bool = True
    ):
        super().__init__()
        c1, c2 = CHANNELS
        self.net = nn.Sequential(
            *upsampler(latent_dim, image_size, HIDDEN[arch], c1, c2),
            nn.ConvTranspose2d(c1, channels, 4, 2, 1),  # S/2 -> S
            nn.Tanh() if tanh else nn.Identity(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class TwoPathways(nn.Module):
    """Late fusion: [z, n] -> image; z and n each through the generator's layers with half its
    channels (the FC layer whole) up to S/2, then the last deconvolution on both together."""

    def __init__(self, channels: int, image_size: int, code_dim: int, noise_dim: int, arch: str):
        super().__init__()
        self.code_dim = code_dim
        half = [c // 2 for c in CHANNELS]
        self.vae = nn.Sequential(*upsampler(code_dim, image_size, HIDDEN[arch], *half))
        self.gan = nn.Sequential(*upsampler(noise_dim, image_size, HIDDEN[arch], *half))
        self.shared = nn.Sequential(nn.ConvTranspose2d(2 * half[0], channels, 4, 2, 1), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        code, noise = z[:, : self.code_dim], z[:, self.code_dim :]
        return self.shared(torch.cat([self.vae(code), self.gan(noise)], dim=1))


class Discriminator(nn.Module):
    """x -> one logit per image, or with `features` (the VAE-GAN's) the pair (logit, Dis_l(x)).

    `similarity` runs up to the second convolution's output (before its batch norm, as the
    course's VAE-GAN takes Dis_l), `verdict` from there on. With `spectral_norm`, no batch norm
    and biases instead; call `normalise_spectrally` after initialising."""

    def __init__(
        self,
        channels: int,
        image_size: int,
        arch: str,
        spectral_norm: bool = False,
        features: bool = False,
    ):
        super().__init__()
        layers = trunk(channels, image_size, HIDDEN[arch], batch_norm=not spectral_norm)
        self.similarity = nn.Sequential(*layers[:3])
        self.verdict = nn.Sequential(*layers[3:], nn.Linear(HIDDEN[arch], 1))
        self.features = features

    def normalise_spectrally(self) -> None:
        """Put every conv and linear weight under spectral normalisation (Miyato et al. 2018)."""
        for module in self.modules():
            if isinstance(module, nn.Conv2d | nn.Linear):
                nn.utils.parametrizations.spectral_norm(module)

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        features = self.similarity(x)
        logits = self.verdict(features).squeeze(1)
        return (logits, features) if self.features else logits
