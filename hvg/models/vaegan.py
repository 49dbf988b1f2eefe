"""The VAE-GAN of Larsen, Sønderby, Larochelle & Winther (2016), "Autoencoding beyond pixels
using a learned similarity metric", sized for 28x28 and 32x32 images.

Three networks, as in the paper's Table 1 (there for 64x64 faces; here two stride-2 stages
instead of three, and `width` channels where the paper has 64): 5x5 convolutions, batch norm
and ReLU everywhere but the encoder's heads, the decoder's tanh output and the discriminator's
first layer. The discriminator is split at its fourth convolution, `Dis_l`: the layer whose
activations (before batch norm, as in the authors' code, `recon_depth=9`) measure how alike a
reconstruction and its original are. Batch norm keeps PyTorch's momentum 0.1, which is what
Theano, Keras and TensorFlow call 0.9: copying their 0.9 into PyTorch, a known porting bug,
would make the running statistics follow the last batch almost alone.
"""

from __future__ import annotations

import torch
from torch import nn

from hvg.ema import averaged_copy, update_average
from hvg.models import infogan
from hvg.models.base import LatentModel, check_image_size, optional_sizes
from hvg.models.infogan import Arch, check_arch


def check_width(width: int) -> int:
    """Return `width` if the networks can be built with it (the decoder halves it), else raise."""
    if not isinstance(width, int) or width < 2 or width % 2:
        raise ValueError(f"width must be an even int >= 2, got {width!r}")
    return width


def conv_block(c_in: int, c_out: int, stride: int, batch_norm: bool = True) -> list[nn.Module]:
    """5x5 convolution (halving the side when stride=2), batch norm (or, without, a bias), ReLU."""
    conv = nn.Conv2d(c_in, c_out, 5, stride, 2, bias=not batch_norm)
    return [conv, nn.BatchNorm2d(c_out) if batch_norm else nn.Identity(), nn.ReLU()]


def upconv_block(c_in: int, c_out: int) -> list[nn.Module]:
    """5x5 transposed convolution doubling the side, batch norm, ReLU."""
    up = nn.ConvTranspose2d(c_in, c_out, 5, 2, padding=2, output_padding=1, bias=False)
    return [up, nn.BatchNorm2d(c_out), nn.ReLU()]


class Encoder(nn.Module):
    """x (B, C, S, S) -> (mu, logvar) of q(z|x), each (B, latent_dim)."""

    def __init__(self, channels: int, image_size: int, latent_dim: int, width: int):
        super().__init__()
        side = check_image_size(image_size) // 4
        self.net = nn.Sequential(
            *conv_block(channels, width, 2),  # S -> S/2
            *conv_block(width, 2 * width, 2),  # S/2 -> S/4
            nn.Flatten(),
            nn.Linear(2 * width * side * side, 8 * width, bias=False),
            nn.BatchNorm1d(8 * width), nn.ReLU(),
            nn.Linear(8 * width, 2 * latent_dim),  # mean and log-variance, side by side
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.net(x).chunk(2, dim=1)
        return mu, logvar


class Decoder(nn.Module):
    """z (B, latent_dim) -> image (B, C, S, S) in [-1, 1]: the VAE's decoder is the GAN's
    generator."""

    def __init__(self, channels: int, image_size: int, latent_dim: int, width: int):
        super().__init__()
        side = check_image_size(image_size) // 4
        self.net = nn.Sequential(
            nn.Linear(latent_dim, 4 * width * side * side, bias=False),
            nn.Unflatten(1, (4 * width, side, side)),
            nn.BatchNorm2d(4 * width), nn.ReLU(),
            *upconv_block(4 * width, 2 * width),  # S/4 -> S/2
            *upconv_block(2 * width, width // 2),  # S/2 -> S
            nn.Conv2d(width // 2, channels, 5, 1, 2),
            nn.Tanh(),
        )  # fmt: skip

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class Discriminator(nn.Module):
    """x -> (one logit per image, Dis_l(x)): the verdict and the learned similarity features.

    `similarity` runs up to the fourth convolution's output, `verdict` from there on. With
    `spectral_norm`, no batch norm: every weight is divided by its largest singular value
    (Miyato et al. 2018, `torch.nn.utils.parametrizations`), and the layers get biases instead.
    """

    def __init__(self, channels: int, image_size: int, width: int, spectral_norm: bool = False):
        super().__init__()
        side = check_image_size(image_size) // 4
        bn = not spectral_norm
        self.similarity = nn.Sequential(
            nn.Conv2d(channels, width // 2, 5, 1, 2), nn.ReLU(),  # no batch norm on the input
            *conv_block(width // 2, 2 * width, 2, bn),  # S -> S/2
            *conv_block(2 * width, 4 * width, 2, bn),  # S/2 -> S/4
            nn.Conv2d(4 * width, 4 * width, 5, 1, 2, bias=spectral_norm),  # Dis_l
        )  # fmt: skip
        self.verdict = nn.Sequential(
            nn.BatchNorm2d(4 * width) if bn else nn.Identity(), nn.ReLU(),
            nn.Flatten(),
            nn.Linear(4 * width * side * side, 8 * width, bias=spectral_norm),
            nn.BatchNorm1d(8 * width) if bn else nn.Identity(), nn.ReLU(),
            nn.Linear(8 * width, 1),
        )  # fmt: skip
        if spectral_norm:
            for module in self.modules():
                if isinstance(module, nn.Conv2d | nn.Linear):
                    nn.utils.parametrizations.spectral_norm(module)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.similarity(x)
        return self.verdict(features).squeeze(1), features


class EncoderDecoder(LatentModel):
    """The VAE-GAN's encoder and decoder, and what they do together; the denoising VAE and
    autoencoder (hvg.models.denoiser) are this alone. `arch="infogan"` (or "infogan-512",
    hvg.models.infogan) builds them as the VAE's at that size: the InfoGAN discriminator's
    trunk with a mean and log-variance head, and the InfoGAN generator."""

    encodes = True

    noise_dim = 0  # the fusion models (hvg.models.fusion) append GAN noise to the code

    def __init__(
        self,
        channels: int = 1,
        image_size: int = 28,
        latent_dim: int = 32,
        width: int = 16,
        arch: Arch = "course",
    ):
        extra = check_arch(arch, check_width(width), 16)
        super().__init__(channels, image_size, latent_dim, width=width, **extra)
        code_dim = latent_dim - self.noise_dim
        if arch == "course":
            self.encoder = Encoder(channels, image_size, code_dim, width)
        else:
            self.encoder = infogan.Encoder(channels, image_size, code_dim, arch)
        self.decoder = self.build_decoder(channels, image_size, width, arch)

    def build_decoder(self, channels: int, image_size: int, width: int, arch: str) -> nn.Module:
        """The generator from a full code (`latent_dim` numbers) to an image."""
        if arch == "course":
            return Decoder(channels, image_size, self.latent_dim, width)
        return infogan.Generator(channels, image_size, self.latent_dim, arch)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latent codes -> images in [-1, 1]."""
        return self.decoder(z)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images -> posterior means: the deterministic code for reconstructions and widgets."""
        return self.encoder(x)[0]

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Decode the posterior mean of each image (call eval() first)."""
        return self.decode(self.encode(x))


class VAEGAN(EncoderDecoder):
    """Encoder, decoder (= generator) and discriminator; `decode` draws images from codes.

    `width` sets the channel counts: the paper's 64x64 model has 64 where this one has
    `width`; 16 trains MNIST on two CPU cores in the time bench/ records, and keeps the
    shipped file small. Weights keep PyTorch's default initialisation. Beyond the paper:
    `ema=N` (0: off) keeps `decoder_ema`, the average of the decoder's weights over about the
    last N steps (hvg.ema), which `decode` (samples and reconstructions) then uses;
    `spectral_norm=True` gives the discriminator spectral normalisation in place of batch norm.
    With `arch="infogan"` (hvg.models.infogan) the discriminator is InfoGAN's, Dis_l its
    second convolution's output.
    """

    def __init__(
        self,
        channels: int = 1,
        image_size: int = 28,
        latent_dim: int = 32,
        width: int = 16,
        ema: int = 0,
        spectral_norm: bool = False,
        arch: Arch = "course",
    ):
        super().__init__(channels, image_size, latent_dim, width, arch)
        self.config.update(optional_sizes(ema, spectral_norm))
        if arch == "course":
            self.discriminator = Discriminator(channels, image_size, width, spectral_norm)
        else:
            self.discriminator = infogan.Discriminator(
                channels, image_size, arch, spectral_norm, features=True
            )
            if spectral_norm:
                self.discriminator.normalise_spectrally()
        self.decoder_ema = averaged_copy(self.decoder) if ema else None

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latent codes -> images in [-1, 1], by the decoder (or, with `ema`, its average)."""
        return (self.decoder_ema or self.decoder)(z)

    def update_average(self) -> None:
        """After a decoder step: move `decoder_ema` toward the decoder (with `ema`)."""
        if self.decoder_ema is not None:
            update_average(self.decoder_ema, self.decoder, self.config["ema"])
