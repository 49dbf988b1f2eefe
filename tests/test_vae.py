"""The VAE and its losses: shapes, sizes it refuses, the closed-form KL, and that it learns."""

import math

import pytest
import torch
import torch.nn.functional as F

from hvg.checkpoints import load_model, save_model
from hvg.data import get_dataloader
from hvg.losses import bernoulli_nll, kl_normal, optimal_gaussian_nll, vae_loss
from hvg.models import VAE
from hvg.models.vae import reparameterize
from hvg.registry import build_model
from hvg.run import train_model, train_vae
from hvg.train import TrainConfig


@pytest.mark.parametrize("channels,size", [(1, 28), (1, 32), (3, 32), (3, 64)])
def test_shapes(channels, size):
    model = VAE(channels, size, latent_dim=8)
    x = torch.rand(5, channels, size, size) * 2 - 1
    logits, mu, logvar = model(x)
    assert logits.shape == x.shape
    assert mu.shape == logvar.shape == (5, 8)
    assert model.sample(3).shape == (3, channels, size, size)


@pytest.mark.parametrize("size", [30, 12, 68])
def test_refuses_sizes_it_cannot_take(size):
    with pytest.raises(ValueError, match="multiple of 4 between 16 and 64"):
        VAE(1, size)


def test_refuses_bad_channels_and_latent():
    with pytest.raises(ValueError, match="channels"):
        VAE(2, 28)
    with pytest.raises(ValueError, match="latent_dim"):
        VAE(1, 28, latent_dim=0)
    with pytest.raises(ValueError, match="unknown model 'gan'"):
        build_model("gan")
    with pytest.raises(ValueError, match="width must be a positive int"):
        VAE(1, 28, width=0)


def test_width_sets_the_channels_and_survives_a_checkpoint(tmp_path):
    wide = build_model("vae", width=64)
    assert wide.encoder.net[0].out_channels == 64 and wide.decoder.net[-1].in_channels == 64
    wide_size = sum(p.numel() for p in wide.parameters())
    assert wide_size > 2 * sum(p.numel() for p in VAE().parameters())
    back = load_model(save_model(wide, tmp_path / "wide.safetensors"))
    assert back.config["width"] == 64
    z = torch.randn(3, 16)
    assert torch.equal(back.decode(z), wide.decode(z))


def test_decode_is_the_bernoulli_mean_in_minus_one_one():
    model = VAE().eval()
    z = torch.randn(4, 16) * 5
    logits = model.decoder(z)
    images = model.decode(z)
    assert torch.allclose(images, 2 * torch.sigmoid(logits) - 1, atol=1e-6)
    assert images.min() >= -1 and images.max() <= 1


def test_kl_closed_form_matches_monte_carlo():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(3, 4, generator=g), torch.randn(3, 4, generator=g) * 0.5
    std = torch.exp(0.5 * logvar)
    z = mu + std * torch.randn(200_000, 3, 4, generator=g)
    log_q = torch.distributions.Normal(mu, std).log_prob(z).sum(-1)
    log_p = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)
    monte_carlo = (log_q - log_p).mean(0)
    assert torch.allclose(kl_normal(mu, logvar), monte_carlo, rtol=0.02, atol=0.01)
    assert torch.equal(kl_normal(torch.zeros(2, 5), torch.zeros(2, 5)), torch.zeros(2))


def test_bernoulli_nll_is_binary_cross_entropy_on_zero_one_scale():
    x = torch.rand(4, 1, 28, 28) * 2 - 1
    logits = torch.randn(4, 1, 28, 28)
    expected = F.binary_cross_entropy(torch.sigmoid(logits), (x + 1) / 2, reduction="sum") / 4
    assert torch.allclose(bernoulli_nll(logits, x).mean(), expected, rtol=1e-5)


def test_reparameterization_carries_gradients_to_mu_and_logvar():
    mu = torch.zeros(2, 3, requires_grad=True)
    logvar = torch.zeros(2, 3, requires_grad=True)
    reparameterize(mu, logvar).sum().backward()
    assert mu.grad is not None and logvar.grad is not None
    assert torch.all(mu.grad == 1)


def test_loss_terms_add_up():
    model = VAE()
    x = torch.rand(6, 1, 28, 28) * 2 - 1
    logits, mu, logvar = model(x)
    losses = vae_loss(logits, x, mu, logvar, beta=0.5)
    assert torch.allclose(losses["loss"], losses["recon"] + 0.5 * losses["kl"])


def test_training_learns_and_repeats_with_a_seed():
    loader = get_dataloader("mnist", batch_size=64, limit=2048, seed=0)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = VAE()
        runs.append(train_vae(model, loader, steps=60, seed=0, progress=False))
    first, second = runs
    assert [h["loss"] for h in first] == [h["loss"] for h in second]
    start = sum(h["loss"] for h in first[:5]) / 5
    end = sum(h["loss"] for h in first[-5:]) / 5
    assert end < 0.6 * start, (start, end)


def test_the_gaussian_likelihood_uses_the_batchs_own_scale():
    x = torch.rand(4, 1, 28, 28) * 2 - 1
    mean = (x + 0.1 * torch.randn_like(x)).requires_grad_()
    nll = optimal_gaussian_nll(mean, x)
    var = (x - mean).pow(2).mean().item()  # the scale that maximises the likelihood
    expected = 0.5 * 784 * (1 + math.log(2 * math.pi * var))
    assert torch.allclose(nll.mean(), torch.tensor(expected), rtol=1e-4)
    nll.sum().backward()  # the scale is held fixed: each pixel's pull is its error over var
    assert torch.allclose(mean.grad, (mean - x).detach() / var, rtol=1e-3, atol=1e-6)


def test_the_vae_loss_takes_the_gaussian_likelihood_on_the_decoded_mean():
    model = VAE()
    x = torch.rand(6, 1, 28, 28) * 2 - 1
    logits, mu, logvar = model(x)
    losses = vae_loss(logits, x, mu, logvar, likelihood="gaussian")
    expected = optimal_gaussian_nll(torch.tanh(logits / 2), x).mean()  # decode's mean
    assert torch.allclose(losses["recon"], expected)
    with pytest.raises(ValueError, match="likelihood must be one of"):
        vae_loss(logits, x, mu, logvar, likelihood="laplace")


def test_the_sigma_vae_trains_from_its_recipe_option():
    config = TrainConfig(steps=60, limit=1024, options={"likelihood": "gaussian"}, progress=False)
    model, history = train_model("vae", config)
    assert history[-1]["recon"] < history[0]["recon"] - 100  # nats per image: it learns
    assert model.config["latent_dim"] == 16
