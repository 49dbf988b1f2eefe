"""KID against torchmetrics' own, and the ex-post Gaussian mixture prior (Ghosh et al. 2020)."""

import warnings

import pytest
import torch
from torch import nn
from torchmetrics.image.kid import KernelInceptionDistance

from hvg.checks import MetricInputError
from hvg.metrics import evaluate, kid
from hvg.models import VAE
from hvg.priors import ExPostPrior, GaussianMixture, expost_prior


class _Identity(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def test_kid_is_torchmetrics_kid_and_unbiased():
    g = torch.Generator().manual_seed(0)
    real, same, shifted = (torch.randn(400, 8, generator=g) for _ in range(3))
    shifted = shifted + 0.3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torchmetrics: "will save all extracted features"
        reference = KernelInceptionDistance(feature=_Identity(), subsets=1, subset_size=400)
        reference.update(real, real=True)
        reference.update(shifted, real=False)
        expected = reference.compute()[0].item()
    assert kid(real, shifted, subsets=1, subset_size=400)[0] == pytest.approx(expected, rel=1e-5)
    alike, spread = kid(real, same, subsets=50, subset_size=200)
    apart, _ = kid(real, shifted, subsets=50, subset_size=200)
    assert abs(alike) < 3 * spread + 1e-3 and apart > 10 * abs(alike)  # unbiased: about 0
    assert kid(real, shifted, seed=1) == kid(real, shifted, seed=1) != kid(real, shifted, seed=2)
    with pytest.raises(MetricInputError, match="subset_size must be an int of at least 2"):
        kid(real, shifted, subset_size=1)


def test_gaussian_mixture_recovers_two_clusters_and_samples_reproducibly():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(3000, 2, generator=g) * 0.5 + torch.tensor([4.0, 0.0])
    b = torch.randn(1000, 2, generator=g) * 0.5 - torch.tensor([4.0, 0.0])
    codes = torch.cat([a, b])
    mixture = GaussianMixture.fit(codes, k=2, seed=0)
    order = mixture.means[:, 0].argsort(descending=True)
    assert mixture.weights[order].tolist() == pytest.approx([0.75, 0.25], abs=0.02)
    assert mixture.means[order].flatten().tolist() == pytest.approx([4, 0, -4, 0], abs=0.1)
    assert mixture.covariances[order[0]].diagonal().tolist() == pytest.approx([0.25] * 2, abs=0.03)
    held_out = torch.randn(500, 2, generator=g) * 0.5 + torch.tensor([4.0, 0.0])
    single = GaussianMixture.fit(codes, k=1)
    assert mixture.log_prob(held_out).mean() > single.log_prob(held_out).mean() + 1
    draws = [mixture.sample(2000, torch.Generator().manual_seed(5)) for _ in range(2)]
    assert torch.equal(*draws) and draws[0].dtype == torch.float32
    assert (draws[0][:, 0] > 0).float().mean().item() == pytest.approx(0.75, abs=0.03)
    with pytest.raises(ValueError, match="k must be an int from 1"):
        GaussianMixture.fit(codes[:3], k=4)


def test_expost_prior_decodes_mixture_codes_and_evaluates_like_a_model():
    torch.manual_seed(0)
    vae = VAE(latent_dim=4).eval()
    model = expost_prior(vae, k=3)
    assert isinstance(model, ExPostPrior) and model.config == vae.config
    images = model.sample(5, torch.Generator().manual_seed(0))
    assert images.shape == (5, 1, 28, 28)
    assert torch.equal(images, model.sample(5, torch.Generator().manual_seed(0)))
    z = model.mixture.sample(5, torch.Generator().manual_seed(0))
    assert torch.equal(images, vae.decode(z))
    scores = evaluate(model, n=200, progress=False, with_kid=True)
    assert scores["fid"] > 0 and 0 <= scores["precision"] <= 1 and scores["kid_std"] > 0
    assert not vae.training, "evaluating the wrapper left the model it wraps in training mode"


def test_expost_prior_wrapping_an_eval_model_is_in_eval_mode():
    vae = VAE(latent_dim=4).eval()
    mixture = GaussianMixture.fit(torch.randn(64, 4), k=2, seed=0)
    assert not ExPostPrior(vae, mixture).training
    assert ExPostPrior(VAE(latent_dim=4), mixture).training  # a model in training mode stays so
