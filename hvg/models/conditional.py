"""Class-conditional models: the label y joins every network, so the code z keeps the style.

Three models, each the course's unconditional one with the label added, so that the three
differ as their unconditional parents do:

- `ConditionalVAE` (Sohn, Lee & Yan 2015): notebook 01's VAE; the encoder sees the image with
  the label as K extra one-hot planes, the decoder sees [z, one-hot y].
- `ConditionalGAN`: DCGAN's generator on [z, one-hot y] (a one-hot vector into a linear first
  layer is a learned label embedding) and a projection discriminator (Miyato & Koyama 2018):
  logit = w . h(x) + embed(y) . h(x). Projection rather than concatenated labels because it
  makes the discriminator's verdict a function of how x and y agree, which Miyato & Koyama
  found clearly better on class-conditional ImageNet than concatenation or an auxiliary
  classifier (AC-GAN).
- `ConditionalVAEGAN`, in the spirit of CVAE-GAN (Bao, Chen, Wen, Li & Hua 2017): the Larsen
  VAE-GAN with an encoder E(x, y) and a generator G(z, y) as in CVAE-GAN; instead of
  CVAE-GAN's separate classifier network, the projection discriminator judges the class (one
  network fewer). Dis_l, the learned similarity, stays label-free.

`decode(z, labels)` draws images of the given classes; `sample(n, generator, labels)` draws
codes from N(0, I) and, without labels, cycles through the classes 0, 1, ..., K-1, 0, ... so
that n samples are balanced.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from hvg.models import dcgan, vae, vaegan
from hvg.models.base import LatentModel, check_image_size, device_of


def one_hot(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Labels (B,) -> one-hot float vectors (B, K), or a clear error for a label out of range."""
    labels = torch.as_tensor(labels)
    if labels.dim() != 1 or labels.dtype.is_floating_point:
        raise ValueError(
            f"labels must be a 1-D tensor of ints, got {labels.dtype}, shape {tuple(labels.shape)}"
        )
    if len(labels) and not (0 <= int(labels.min()) and int(labels.max()) < num_classes):
        raise ValueError(
            f"labels must be from 0 to {num_classes - 1}, got {int(labels.min())} to "
            f"{int(labels.max())}"
        )
    return F.one_hot(labels.long(), num_classes).float()


def label_planes(x: torch.Tensor, labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """x (B, C, S, S) with K one-hot planes appended: (B, C + K, S, S), for an encoder."""
    planes = one_hot(labels, num_classes).to(x)[:, :, None, None]
    return torch.cat([x, planes.expand(-1, -1, *x.shape[-2:])], dim=1)


def cycled(n: int, num_classes: int) -> torch.Tensor:
    """0, 1, ..., K-1, 0, 1, ... (n labels): balanced classes for n samples."""
    return torch.arange(n) % num_classes


class Projection(nn.Module):
    """A discriminator's head on features h (B, F): w . h + b + embed(y) . h (Miyato & Koyama)."""

    def __init__(self, features: int, num_classes: int):
        super().__init__()
        self.linear = nn.Linear(features, 1)
        self.embed = nn.Embedding(num_classes, features)
        nn.init.normal_(self.embed.weight, 0.0, 0.02)  # as small as the DCGAN weights beside it

    def forward(self, h: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.linear(h).squeeze(1) + (self.embed(labels) * h).sum(1)


class _Conditional(LatentModel):
    """What the three share: the class count, decode(z, labels) and balanced sampling."""

    uses_labels = True

    def __init__(self, channels: int, image_size: int, latent_dim: int, num_classes: int, **extra):
        if not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(f"num_classes must be an int >= 2, got {num_classes!r}")
        super().__init__(channels, image_size, latent_dim, num_classes=num_classes, **extra)
        self.num_classes = num_classes

    def generate(self, zy: torch.Tensor) -> torch.Tensor:
        """[z, one-hot y] -> images in [-1, 1]."""
        raise NotImplementedError

    def with_labels(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """[z, one-hot y]: what the generator reads."""
        return torch.cat([z, one_hot(labels, self.num_classes).to(z)], dim=1)

    def decode(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Codes (B, latent_dim) and labels (B,) -> images of those classes in [-1, 1];
        without labels, the classes cycle 0, 1, ..."""
        labels = cycled(len(z), self.num_classes) if labels is None else labels
        return self.generate(self.with_labels(z, labels))

    def update_average(self) -> None:
        """After a generator step: the conditional models keep no weight average (no `ema`)."""

    @torch.no_grad()
    def sample(
        self, n: int, generator: torch.Generator | None = None, labels: torch.Tensor | None = None
    ) -> torch.Tensor:
        """n images from z ~ N(0, I), of the classes `labels` (default: cycling 0, 1, ...)."""
        labels = cycled(n, self.num_classes) if labels is None else torch.as_tensor(labels)
        if len(labels) != n:
            raise ValueError(f"{n} samples need {n} labels, got {len(labels)}")
        z = torch.randn(n, self.latent_dim, generator=generator).to(device_of(self))
        return self.decode(z, labels.to(z.device))


class ConditionalVAE(_Conditional):
    """Notebook 01's VAE with the label given to the encoder and the decoder; `forward(x, y)`
    returns (logits, mu, logvar), as the VAE's does."""

    encodes = True  # encode(x, labels)

    def __init__(
        self, channels: int = 1, image_size: int = 28, latent_dim: int = 16, num_classes: int = 10
    ):
        super().__init__(channels, image_size, latent_dim, num_classes)
        self.encoder = vae.Encoder(channels + num_classes, image_size, latent_dim)
        self.decoder = vae.Decoder(channels, image_size, latent_dim + num_classes)

    def forward(
        self, x: torch.Tensor, labels: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(label_planes(x, labels, self.num_classes))
        z = vae.reparameterize(mu, logvar)
        return self.decoder(self.with_labels(z, labels)), mu, logvar

    def generate(self, zy: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.decoder(zy) / 2)  # the Bernoulli mean in [-1, 1], as the VAE's

    def posterior(self, x: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mu, logvar) of q(z | x, y)."""
        return self.encoder(label_planes(x, labels, self.num_classes))

    def encode(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Images and their labels -> posterior means: the style, given the class."""
        return self.posterior(x, labels)[0]


class ProjectionDCGANDiscriminator(nn.Module):
    """DCGAN's discriminator up to its features, then the projection head: (x, y) -> logit."""

    def __init__(self, channels: int, image_size: int, width: int, num_classes: int):
        super().__init__()
        side = check_image_size(image_size) // 4
        body = dcgan.Discriminator(channels, image_size, width).net
        self.features = body[:-1]  # everything but the last linear layer
        self.head = Projection(2 * width * side * side, num_classes)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x), labels)


class ConditionalGAN(_Conditional):
    """DCGAN with the label: G(z, y) and a projection discriminator D(x, y)."""

    def __init__(
        self,
        channels: int = 1,
        image_size: int = 28,
        latent_dim: int = 100,
        width: int = 32,
        num_classes: int = 10,
    ):
        super().__init__(channels, image_size, latent_dim, num_classes, width=width)
        self.generator = dcgan.Generator(channels, image_size, latent_dim + num_classes, width)
        self.discriminator = ProjectionDCGANDiscriminator(channels, image_size, width, num_classes)
        self.generator.apply(dcgan.dcgan_init)
        self.discriminator.features.apply(dcgan.dcgan_init)
        self.discriminator.head.linear.apply(dcgan.dcgan_init)

    def generate(self, zy: torch.Tensor) -> torch.Tensor:
        return self.generator(zy)


class ConditionalEncoder(nn.Module):
    """The Larsen encoder on [x, label planes]: (x, y) -> (mu, logvar)."""

    def __init__(self, channels: int, image_size: int, latent_dim: int, width: int, classes: int):
        super().__init__()
        self.num_classes = classes
        self.net = vaegan.Encoder(channels + classes, image_size, latent_dim, width)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.net(label_planes(x, labels, self.num_classes))


class ConditionalDecoder(nn.Module):
    """The Larsen decoder on [z, one-hot y]: (z, y) -> images in [-1, 1]."""

    def __init__(self, channels: int, image_size: int, latent_dim: int, width: int, classes: int):
        super().__init__()
        self.num_classes = classes
        self.net = vaegan.Decoder(channels, image_size, latent_dim + classes, width)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([z, one_hot(labels, self.num_classes).to(z)], dim=1))


class ConditionalDiscriminator(nn.Module):
    """The Larsen discriminator with a projection head: (x, y) -> (logit, Dis_l(x)).

    Dis_l, the similarity features, does not see the label: reconstruction is judged alike
    for every class."""

    def __init__(self, channels: int, image_size: int, width: int, classes: int):
        super().__init__()
        larsen = vaegan.Discriminator(channels, image_size, width)
        self.similarity = larsen.similarity
        self.verdict = larsen.verdict[:-1]  # up to the 8 * width features
        self.head = Projection(8 * width, classes)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.similarity(x)
        return self.head(self.verdict(features), labels), features


class ConditionalVAEGAN(_Conditional):
    """The Larsen VAE-GAN with the label in all three networks; trained by Algorithm 1
    (hvg.recipes.vaegan), with the label passed along."""

    encodes = True  # encode(x, labels)

    noise_dim = 0

    def __init__(
        self,
        channels: int = 1,
        image_size: int = 28,
        latent_dim: int = 32,
        width: int = 16,
        num_classes: int = 10,
    ):
        super().__init__(
            channels, image_size, latent_dim, num_classes, width=vaegan.check_width(width)
        )
        self.encoder = ConditionalEncoder(channels, image_size, latent_dim, width, num_classes)
        self.decoder = ConditionalDecoder(channels, image_size, latent_dim, width, num_classes)
        self.discriminator = ConditionalDiscriminator(channels, image_size, width, num_classes)

    def generate(self, zy: torch.Tensor) -> torch.Tensor:
        return self.decoder.net(zy)

    def posterior(self, x: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mu, logvar) of q(z | x, y)."""
        return self.encoder(x, labels)

    def encode(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Images and their labels -> posterior means: the style, given the class."""
        return self.posterior(x, labels)[0]


@torch.no_grad()
def translate(
    model: ConditionalVAE | ConditionalVAEGAN,
    x: torch.Tensor,
    labels: torch.Tensor,
    targets: torch.Tensor,
) -> torch.Tensor:
    """Encode x as its own class and decode the code as `targets`: the exemplar's style with
    new content (call eval() first)."""
    return model.decode(model.encode(x, labels), targets)


@torch.no_grad()
def every_class(model: _Conditional, z: torch.Tensor) -> torch.Tensor:
    """Each code decoded as each class: (len(z) * K, C, H, W), row i holding code i as 0, 1,
    ..., K-1 (call eval() first)."""
    k = model.num_classes
    return model.decode(z.repeat_interleave(k, dim=0), torch.arange(k).repeat(len(z)).to(z.device))
