"""DCGAN: the paper's architecture rules, its losses, and which network each update moves."""

import math

import pytest
import torch
from torch import nn

from hvg.checkpoints import load_model, save_model
from hvg.losses import discriminator_loss, generator_loss, minimax_generator_loss
from hvg.models import DCGAN
from hvg.recipes.dcgan import dcgan_recipe


@pytest.mark.parametrize("channels,size", [(1, 28), (1, 32), (3, 32)])
def test_shapes_and_range(channels, size):
    model = DCGAN(channels, size, latent_dim=10)
    images = model.sample(6)
    assert images.shape == (6, channels, size, size)
    assert images.min() >= -1 and images.max() <= 1
    assert model.discriminator(images).shape == (6,)


def test_follows_the_papers_rules():
    model = DCGAN(width=32)
    g, d = list(model.generator.net), list(model.discriminator.net)
    assert not any(isinstance(m, nn.MaxPool2d | nn.AvgPool2d) for m in model.modules())
    assert isinstance(g[-1], nn.Tanh)
    assert not any(isinstance(m, nn.LeakyReLU) for m in g)
    assert all(m.negative_slope == 0.2 for m in d if isinstance(m, nn.LeakyReLU))
    assert not isinstance(d[1], nn.BatchNorm2d)  # no batch norm on the discriminator's input
    weights = torch.cat(
        [
            m.weight.detach().flatten()
            for m in model.modules()
            if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear)
        ]
    )
    assert abs(weights.mean()) < 1e-3 and weights.std().item() == pytest.approx(0.02, rel=0.05)


def test_losses_are_the_minimax_terms():
    real, fake = torch.tensor([2.0, -1.0]), torch.tensor([0.5, -3.0])
    d_real, d_fake = torch.sigmoid(real), torch.sigmoid(fake)
    expected_d = -(torch.log(d_real).mean() + torch.log(1 - d_fake).mean())
    assert torch.allclose(discriminator_loss(real, fake), expected_d)
    assert torch.allclose(generator_loss(fake), -torch.log(d_fake).mean())
    assert torch.allclose(minimax_generator_loss(fake), torch.log(1 - d_fake).mean())


def test_non_saturating_loss_keeps_gradients_when_the_discriminator_wins():
    logit = torch.tensor([-8.0], requires_grad=True)  # D is sure the fake is fake
    generator_loss(logit).backward()
    non_saturating = logit.grad.abs().item()
    logit.grad = None
    minimax_generator_loss(logit).backward()
    assert non_saturating > 0.99 and logit.grad.abs().item() < 1e-3


def test_the_reported_gradient_shows_the_minimax_loss_saturate():
    def g_grad(minimax: bool) -> float:
        torch.manual_seed(0)
        model = DCGAN(latent_dim=8)
        with torch.no_grad():
            model.discriminator.net[-1].bias.fill_(-12.0)  # D calls every image fake, surely
        recipe = dcgan_recipe(model, minimax=minimax, lr=0.0)  # measure only: nothing moves
        return recipe.step(torch.rand(16, 1, 28, 28) * 2 - 1)["g_grad"]

    assert 0 < g_grad(minimax=True) < 1e-3 * g_grad(minimax=False)


def test_one_step_moves_both_networks_and_reports_accuracies():
    torch.manual_seed(0)
    model = DCGAN(latent_dim=8)
    recipe = dcgan_recipe(model)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    losses = recipe.step(torch.rand(16, 1, 28, 28) * 2 - 1)
    assert set(losses) == {"loss_d", "loss_g", "d_real", "d_fake", "g_grad"}
    assert all(math.isfinite(v) for v in losses.values())
    assert 0 <= losses["d_real"] <= 1 and 0 <= losses["d_fake"] <= 1
    g_grads = torch.cat([p.grad.flatten() for p in model.generator.parameters()])
    assert losses["g_grad"] == pytest.approx(g_grads.norm().item(), rel=1e-6)  # G's own loss
    moved = {k for k, v in model.state_dict().items() if not torch.equal(v, before[k])}
    assert any(k.startswith("generator.") for k in moved)
    assert any(k.startswith("discriminator.") for k in moved)
    assert set(recipe.optimizers) == {"discriminator", "generator"}
    g_params = {id(p) for p in model.generator.parameters()}
    assert all(
        id(p) not in g_params
        for group in recipe.optimizers["discriminator"].param_groups
        for p in group["params"]
    )


def test_ema_averages_the_generator_and_generates_with_the_average():
    torch.manual_seed(0)
    model = DCGAN(latent_dim=8, width=8, ema=4)
    assert model.config["ema"] == 4 and "ema" not in DCGAN(latent_dim=8, width=8).config
    before = [p.clone() for p in model.generator_ema.parameters()]
    recipe = dcgan_recipe(model)
    recipe.step(torch.rand(16, 1, 28, 28) * 2 - 1)
    live = list(model.generator.parameters())
    for old, new, now in zip(before, model.generator_ema.parameters(), live, strict=True):
        assert torch.allclose(new, old + (now - old) / 4)  # a quarter of the way to the live one
        assert not new.requires_grad
    for mine, theirs in zip(model.generator_ema.buffers(), model.generator.buffers(), strict=True):
        assert torch.equal(mine, theirs)  # batch norm's statistics are copied
    z = torch.randn(3, 8)
    model.eval()
    assert torch.equal(model.decode(z), model.generator_ema(z))
    assert not torch.equal(model.decode(z), model.generator(z))
    assert {"discriminator", "generator"} == set(recipe.optimizers)
    assert all(
        p is not q
        for p in recipe.optimizers["generator"].param_groups[0]["params"]
        for q in model.generator_ema.parameters()
    )


@pytest.mark.parametrize("ema", [1, -5, 2.5, True])
def test_ema_refuses_a_horizon_that_is_not_a_number_of_steps(ema):
    with pytest.raises(ValueError, match="ema must be 0 .* at least 2"):
        DCGAN(ema=ema)


def test_the_average_leaves_the_live_training_run_exactly_as_without_it():
    runs = []
    for ema in (0, 3):
        torch.manual_seed(0)
        model = DCGAN(latent_dim=8, width=8, ema=ema)
        recipe = dcgan_recipe(model)
        data = torch.Generator().manual_seed(1)
        for _ in range(3):
            recipe.step(torch.rand(16, 1, 28, 28, generator=data) * 2 - 1)
        runs.append(model)
    plain, averaged = runs
    live = averaged.live()
    assert "ema" not in live.config and live.generator_ema is None
    for key, value in plain.state_dict().items():
        assert torch.equal(value, live.state_dict()[key]), key  # bit for bit
    assert plain.live() is plain


def test_spectral_norm_replaces_batch_norm_and_bounds_every_layer(tmp_path):
    model = DCGAN(latent_dim=8, width=8, spectral_norm=True)
    d = model.discriminator
    assert not any(isinstance(m, nn.BatchNorm2d) for m in d.modules())
    assert any(isinstance(m, nn.BatchNorm2d) for m in DCGAN(width=8).discriminator.modules())
    assert "spectral_norm" not in DCGAN(width=8).config  # configs without it stay as they were
    for _ in range(30):  # each training forward pass runs one power iteration
        d(torch.rand(4, 1, 28, 28))
    layers = [m for m in d.net if isinstance(m, nn.Conv2d | nn.Linear)]
    assert len(layers) == 3
    for layer in layers:
        sigma = torch.linalg.matrix_norm(layer.weight.detach().flatten(1), ord=2)
        assert sigma.item() == pytest.approx(1.0, abs=0.02)
    loaded = load_model(save_model(model, tmp_path / "sn.safetensors"))
    assert loaded.config["spectral_norm"] is True
    x = torch.rand(3, 1, 28, 28)
    assert torch.equal(model.eval().discriminator(x), loaded.eval().discriminator(x))


@pytest.mark.parametrize("spectral_norm", [1, "yes"])
def test_spectral_norm_refuses_what_is_not_a_bool(spectral_norm):
    with pytest.raises(ValueError, match="spectral_norm must be True or False"):
        DCGAN(spectral_norm=spectral_norm)


def test_ttur_scales_the_discriminators_learning_rate_alone():
    recipe = dcgan_recipe(DCGAN(latent_dim=8, width=8), lr=1e-4, d_lr_scale=4.0)
    assert recipe.optimizers["discriminator"].param_groups[0]["lr"] == pytest.approx(4e-4)
    assert recipe.optimizers["generator"].param_groups[0]["lr"] == pytest.approx(1e-4)
    with pytest.raises(ValueError, match="d_lr_scale must be positive"):
        dcgan_recipe(DCGAN(latent_dim=8, width=8), d_lr_scale=0.0)
