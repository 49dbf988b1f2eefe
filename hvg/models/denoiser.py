"""Three denoisers with one architecture, so that only what they learn from differs.

Each maps a corrupted image to a clean one through the VAE-GAN's encoder and decoder
(hvg.models.vaegan): `denoise(noisy)` decodes the encoder's code of the noisy image.

- `Denoiser`: the Larsen VAE-GAN itself, trained on (noisy, clean) pairs with the
  discriminator's feature-wise reconstruction loss (hvg.recipes.denoise). Its prior can
  still be sampled, but notebook 06 shows it draws noise, not digits.
- `DenoisingVAE`: encoder and decoder only, trained on the negative ELBO (pixels).
- `DenoisingAutoencoder`: the plain convolutional denoising autoencoder (Vincent et al. 2008):
  deterministic, trained on the squared pixel error. It keeps the VAE's encoder, log-variance
  head included but unused, so that the three differ in their losses alone.
"""

from __future__ import annotations

import torch

from hvg.checks import check_images
from hvg.models.base import LatentModel
from hvg.models.vae import reparameterize
from hvg.models.vaegan import VAEGAN, EncoderDecoder


def checked(model: LatentModel, noisy: torch.Tensor) -> torch.Tensor:
    """`noisy` if it is a batch of [-1, 1] images of the model's channels and size, else a
    clear error (hvg.checks): a wrong input would be denoised into nonsense silently."""
    config = model.config
    return check_images(noisy, "noisy images", config["channels"], config["image_size"])


class Denoiser(VAEGAN):
    """The VAE-GAN, trained to map corrupted images to clean ones."""

    denoises = True

    @torch.no_grad()
    def denoise(self, noisy: torch.Tensor) -> torch.Tensor:
        """Corrupted images -> clean ones in [-1, 1], through the posterior mean (eval() first)."""
        return self.reconstruct(checked(self, noisy))


class DenoisingVAE(EncoderDecoder):
    """The VAE-GAN's encoder and decoder without its discriminator."""

    denoises = True

    def forward(self, noisy: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(output from a posterior sample, mu, logvar): what the training loss needs."""
        mu, logvar = self.encoder(noisy)
        return self.decoder(reparameterize(mu, logvar)), mu, logvar

    @torch.no_grad()
    def denoise(self, noisy: torch.Tensor) -> torch.Tensor:
        """Corrupted images -> clean ones in [-1, 1], through the code (eval() first)."""
        return self.reconstruct(checked(self, noisy))


class DenoisingAutoencoder(EncoderDecoder):
    """Deterministic: the code is the encoder's first head, decoded as it is."""

    denoises = True

    def forward(self, noisy: torch.Tensor) -> torch.Tensor:
        """The denoised images, with gradients (training)."""
        return self.decoder(self.encode(noisy))

    @torch.no_grad()
    def denoise(self, noisy: torch.Tensor) -> torch.Tensor:
        """Corrupted images -> clean ones in [-1, 1], through the code (eval() first)."""
        return self.reconstruct(checked(self, noisy))
