"""Sampling from where the codes are: an ex-post density on a trained model's latent space.

A VAE's decoder learns to decode the codes its encoder produces. Those codes (the aggregate
posterior q(z) = E_x q(z|x)) do not fill N(0, I): they leave holes, regions the prior samples
often and the decoder never saw, which decode to blobs. Ghosh et al. (2020, "From variational
to deterministic autoencoders") fit a density to the encoder's codes after training, an
"ex-post" Gaussian mixture, and sample from it instead: the same decoder, better samples.

`GaussianMixture.fit` is plain EM with full covariances, in float64, seeded. `expost_prior`
fits one to the posterior means of the training images before `hvg.data.VALIDATION_START`;
`ExPostPrior` wraps the model so that `sample(n)` (and hence `hvg.metrics.evaluate`) draws
its codes from the mixture.

Dai & Wipf (2019, "Diagnosing and enhancing VAE models") fit a second, small VAE to the codes
instead, the 2-Stage VAE: u ~ N(0, I) through its decoder gives a code z, which the model
decodes. `SecondStage.fit` trains one (fully connected, a Gaussian likelihood on z with a
learned scale gamma, as theirs), and `two_stage_prior` wraps the model with it, like
`expost_prior` with the mixture: `ExPostPrior` takes any density with `sample(n, generator)`.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from tqdm.auto import tqdm

from hvg.data import VALIDATION_START, load_dataset
from hvg.models.base import device_of

TWO_STAGE_STEPS = 3000  # SecondStage.fit's steps by default


class GaussianMixture:
    """K Gaussians with full covariances: weights (K,), means (K, D), covariances (K, D, D)."""

    def __init__(self, weights: torch.Tensor, means: torch.Tensor, covariances: torch.Tensor):
        self.weights, self.means, self.covariances = weights, means, covariances
        self.chol = torch.linalg.cholesky(covariances)

    @classmethod
    def fit(
        cls, codes: torch.Tensor, k: int, seed: int = 0, iterations: int = 200, tol: float = 1e-4
    ) -> GaussianMixture:
        """EM from k codes drawn at random (seeded) as the means and the codes' covariance as
        every covariance; stops when the mean log-likelihood (nats a code) gains less than `tol`."""
        if not isinstance(k, int) or k < 1 or k > len(codes):
            raise ValueError(f"k must be an int from 1 to the number of codes, got {k!r}")
        x = codes.detach().double().cpu()
        n, d = x.shape
        ridge = 1e-6 * torch.eye(d, dtype=x.dtype)
        start = torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:k]
        mixture = cls(
            torch.full((k,), 1 / k, dtype=x.dtype),
            x[start].clone(),
            (torch.cov(x.T) + ridge).expand(k, d, d).clone(),
        )
        previous = -math.inf
        for _ in range(iterations):
            log_r = mixture._joint(x)  # E step: log p(x, component)
            likelihood = torch.logsumexp(log_r, dim=1)
            r = (log_r - likelihood[:, None]).exp()
            counts = r.sum(0) + 1e-10  # M step
            means = (r.T @ x) / counts[:, None]
            second = torch.stack([(x * r[:, j : j + 1]).T @ x for j in range(k)])
            cov = second / counts[:, None, None] - means[:, :, None] * means[:, None, :]
            mixture = cls(counts / n, means, cov + ridge)
            current = likelihood.mean().item()
            if current - previous < tol:
                break
            previous = current
        return mixture

    def _joint(self, x: torch.Tensor) -> torch.Tensor:
        """log [weight_k N(x; mean_k, cov_k)] for each code and component, (N, K)."""
        d = x.shape[1]
        diff = x[None] - self.means[:, None]  # (K, N, D)
        solved = torch.linalg.solve_triangular(self.chol, diff.transpose(1, 2), upper=False)
        mahalanobis = solved.pow(2).sum(1)  # (K, N)
        log_det = 2 * self.chol.diagonal(dim1=1, dim2=2).log().sum(1)
        log_normal = -0.5 * (mahalanobis + log_det[:, None] + d * math.log(2 * math.pi))
        return (log_normal + self.weights.log()[:, None]).T

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log q(z) of each code (N,): to choose K on held-out codes."""
        return torch.logsumexp(self._joint(z.detach().double().cpu()), dim=1)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n codes (n, D), float32: a component by weight, then a draw from its Gaussian."""
        component = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        noise = torch.randn(n, self.means.shape[1], dtype=self.means.dtype, generator=generator)
        z = self.means[component] + (self.chol[component] @ noise[:, :, None]).squeeze(-1)
        return z.float()


def _mlp(inputs: int, width: int, depth: int, outputs: int) -> nn.Sequential:
    """`depth` fully connected hidden layers of `width` with ReLU, then a linear output."""
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(inputs if i == 0 else width, width), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(width if depth else inputs, outputs))


class SecondStage(nn.Module):
    """The second VAE of Dai & Wipf's 2-Stage VAE, on codes z (D,): an encoder z -> the mean
    and log variance of u (D,), a decoder u -> the mean of z, and one learned log gamma, the
    scale of the likelihood N(z; decoder(u), gamma^2 I) (which falls as the fit sharpens).

    Both are fully connected: `depth` hidden layers of `width` with ReLU (Dai & Wipf use 3 of
    1024; 2 of 512 by default here, for a CPU). The codes are standardised per dimension
    (`shift`, `scale`) before both, and sampled codes mapped back. Gamma starts at `gamma`,
    0.1 in standardised units: from 1, the scale of the codes themselves, a fit lingers on the
    plateau where it calls every code noise and u carries nothing.
    """

    def __init__(self, dim: int, width: int = 512, depth: int = 2, gamma: float = 0.1):
        super().__init__()
        for name, value in (("dim", dim), ("width", width), ("depth", depth)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.dim = dim
        self.encoder = _mlp(dim, width, depth, 2 * dim)
        self.decoder = _mlp(dim, width, depth, dim)
        self.log_gamma = nn.Parameter(torch.tensor(math.log(gamma)))
        self.register_buffer("shift", torch.zeros(dim))
        self.register_buffer("scale", torch.ones(dim))

    @classmethod
    def fit(
        cls,
        codes: torch.Tensor,
        steps: int = TWO_STAGE_STEPS,
        seed: int = 0,
        width: int = 512,
        depth: int = 2,
        batch_size: int = 256,
        lr: float = 1e-3,
        gamma_lr: float = 1e-2,
        progress: bool = False,
    ) -> SecondStage:
        """Train one on `codes` (N, D) with Adam for `steps` batches of `batch_size` codes
        drawn at random, the learning rate falling from `lr` (`gamma_lr` for log gamma, so
        that the scale keeps up with the fit) to 0 on a cosine; everything (weights, batches,
        noise) seeded with `seed`, torch's global generator untouched."""
        if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
            raise ValueError(f"steps must be a positive int, got {steps!r}")
        if codes.ndim != 2 or len(codes) < 2:
            raise ValueError(f"codes must be (N, D) with N >= 2, got shape {tuple(codes.shape)}")
        x = codes.detach().float().cpu()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            stage = cls(x.shape[1], width, depth)
        stage.shift.copy_(x.mean(0))
        stage.scale.copy_(x.std(0).clamp_min(1e-6))
        x = (x - stage.shift) / stage.scale
        generator = torch.Generator().manual_seed(seed)
        networks = [p for name, p in stage.named_parameters() if name != "log_gamma"]
        optimizer = torch.optim.Adam(
            [{"params": networks}, {"params": [stage.log_gamma], "lr": gamma_lr}], lr=lr
        )
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
        stage.train()
        for _ in tqdm(range(steps), desc="2-stage prior", disable=not progress):
            batch = x[torch.randint(len(x), (batch_size,), generator=generator)]
            loss = -stage._elbo(batch, generator).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        return stage.eval().requires_grad_(False)

    def _elbo(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """The ELBO of standardised codes (N,), nats a code, from one draw of u each."""
        mean, log_var = self.encoder(x).chunk(2, dim=1)
        noise = torch.randn(mean.shape, generator=generator).to(mean.device)
        u = mean + (0.5 * log_var).exp() * noise
        error = (x - self.decoder(u)).pow(2).sum(1)
        log_likelihood = -0.5 * error * (-2 * self.log_gamma).exp() - self.dim * (
            self.log_gamma + 0.5 * math.log(2 * math.pi)
        )
        kl = 0.5 * (mean.pow(2) + log_var.exp() - 1 - log_var).sum(1)
        return log_likelihood - kl

    @property
    def gamma(self) -> float:
        """The learned scale of the likelihood, in standardised units."""
        return self.log_gamma.exp().item()

    @torch.no_grad()
    def elbo(self, z: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """A lower bound on log p(z) of each code (N,), in nats (one draw of u each): to
        compare fits on held-out codes, as `GaussianMixture.log_prob`."""
        x = (z.detach().float().to(self.shift.device) - self.shift) / self.scale
        return (self._elbo(x, generator) - self.scale.log().sum()).cpu()

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n codes (n, D), float32: u ~ N(0, I) through the decoder, its mean (as Dai & Wipf
        sample: gamma's noise is left out)."""
        u = torch.randn(n, self.dim, generator=generator).to(self.shift.device)
        return (self.decoder(u) * self.scale + self.shift).cpu()


@torch.no_grad()
def training_codes(
    model: nn.Module, dataset: str = "mnist", start: int = 0, stop: int = VALIDATION_START
) -> torch.Tensor:
    """The posterior means `model.encode` gives training images start..stop-1 (eval mode)."""
    images = load_dataset(dataset, "train").tensors[0][start:stop]
    model.eval()
    return torch.cat([model.encode(b.to(device_of(model))).cpu() for b in images.split(1000)])


class ExPostPrior(nn.Module):
    """A trained model whose `sample` decodes codes from a fitted density instead of N(0, I):
    a `GaussianMixture` or a `SecondStage`, anything with `sample(n, generator)` -> (n, D)."""

    def __init__(self, model: nn.Module, density: GaussianMixture | SecondStage):
        super().__init__()
        self.model, self.density = model, density
        self.config = model.config
        self.train(model.training)  # so that restoring this wrapper's mode restores the model's

    @property
    def mixture(self) -> GaussianMixture | SecondStage:
        """The density, by the name it had when it was always a Gaussian mixture."""
        return self.density

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n images decoded from n codes of the density."""
        z = self.density.sample(n, generator)
        return self.model.decode(z.to(device_of(self.model)))


def expost_prior(
    model: nn.Module, k: int = 10, dataset: str = "mnist", seed: int = 0
) -> ExPostPrior:
    """`model` with a k-component Gaussian mixture fitted to its training codes (Ghosh et al.
    2020); the validation images (VALIDATION_START on) stay out, to choose k with."""
    return ExPostPrior(model, GaussianMixture.fit(training_codes(model, dataset), k, seed))


def two_stage_prior(
    model: nn.Module,
    steps: int = TWO_STAGE_STEPS,
    dataset: str = "mnist",
    seed: int = 0,
    progress: bool = False,
    **options: object,
) -> ExPostPrior:
    """`model` with a 2-Stage VAE prior (Dai & Wipf 2019): a `SecondStage` fitted for `steps`
    steps to its training codes, the posterior means as `expost_prior` takes them (the
    validation images, VALIDATION_START on, stay out); `options` go to `SecondStage.fit`
    (width, depth, lr, ...)."""
    codes = training_codes(model, dataset)
    return ExPostPrior(model, SecondStage.fit(codes, steps, seed, progress=progress, **options))
