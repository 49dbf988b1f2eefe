"""Mode collapse on a toy that trains in seconds: eight Gaussians on a ring, a GAN, a VAE-GAN.

The data are 2-D points, so a picture shows every sample and every mode. The GAN's
discriminator judges one point at a time, so nothing stops the generator from putting all its
points on one mode; the VAE-GAN adds an encoder, and its reconstruction term asks the generator
to reach every training point (Metz et al. 2017 use the same ring; Larsen et al. 2016 for the
hybrid, with the likelihood on the point itself: a 2-D point has nothing to blur).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from hvg.losses import discriminator_loss, generator_loss, kl_normal

MODES, RADIUS, STD = 8, 2.0, 0.02  # the ring: how many Gaussians, where, how wide
HIT = 20  # samples of 1,000 near a mode that make it count as covered


def centres(modes: int = MODES, radius: float = RADIUS) -> torch.Tensor:
    """The modes' means, evenly spaced on a circle: (modes, 2)."""
    angle = 2 * math.pi * torch.arange(modes) / modes
    return radius * torch.stack([angle.cos(), angle.sin()], dim=1)


def ring(n: int, generator: torch.Generator | None = None, std: float = STD) -> torch.Tensor:
    """n points from the mixture: a mode drawn uniformly, plus Gaussian noise of `std`."""
    mode = torch.randint(MODES, (n,), generator=generator)
    return centres()[mode] + std * torch.randn(n, 2, generator=generator)


def mlp(inputs: int, outputs: int, depth: int, hidden: int = 128) -> nn.Sequential:
    """`depth` hidden ReLU layers of `hidden` units."""
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(inputs if i == 0 else hidden, hidden), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(hidden, outputs))


def modes_hit(points: torch.Tensor, within: float = 15 * STD) -> tuple[torch.Tensor, float]:
    """How many points land within `within` of each mode, and the share of points that land
    near any mode (the rest are off the ring: poor samples)."""
    distance, nearest = torch.cdist(points, centres()).min(dim=1)
    near = distance < within
    return torch.bincount(nearest[near], minlength=MODES), near.float().mean().item()


def covered(points: torch.Tensor) -> int:
    """How many modes at least HIT of the points land near."""
    return int((modes_hit(points)[0] >= HIT).sum())


def train_toy(
    hybrid: bool,
    steps: int = 4000,
    seed: int = 0,
    every: int = 500,
    batch: int = 512,
    latent_dim: int = 2,
    lr: float = 1e-4,
) -> dict[int, torch.Tensor]:
    """Train the toy GAN (or, with `hybrid`, the toy VAE-GAN: the same generator and
    discriminator plus an encoder) and return 1,000 samples from fixed noise every `every` steps.

    Both take the same steps, batches and learning rate; the hybrid's generator also minimises
    the negative ELBO of its encoder's codes, with a Gaussian likelihood of std 0.05.
    """
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    g, d, e = mlp(latent_dim, 2, depth=2), mlp(2, 1, depth=1), mlp(2, 2 * latent_dim, depth=2)
    g_params = [*g.parameters(), *(e.parameters() if hybrid else [])]
    g_opt = torch.optim.Adam(g_params, lr=lr, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(d.parameters(), lr=lr, betas=(0.5, 0.999))
    noise = torch.randn(1000, latent_dim, generator=torch.Generator().manual_seed(seed + 1))
    snapshots = {}
    for step in range(1, steps + 1):
        x = ring(batch, generator)
        fake = g(torch.randn(batch, latent_dim, generator=generator))
        d_opt.zero_grad(set_to_none=True)
        discriminator_loss(d(x), d(fake.detach())).backward()
        d_opt.step()
        loss = generator_loss(d(fake))
        if hybrid:
            mu, logvar = e(x).chunk(2, dim=1)
            z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=generator)
            nll = F.mse_loss(g(z), x, reduction="none").sum(1) / (2 * 0.05**2)
            loss = loss + (nll + kl_normal(mu, logvar)).mean() / batch
        g_opt.zero_grad(set_to_none=True)
        loss.backward()
        g_opt.step()
        if step % every == 0:
            with torch.no_grad():
                snapshots[step] = g(noise)
    return snapshots
