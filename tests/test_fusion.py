"""Fusion strategies: each model's wiring (which parameters each loss reaches) and progressive
fusion's schedule."""

import copy

import pytest
import torch

from hvg.checkpoints import load_model, save_model
from hvg.models import VAEGAN, Fusion
from hvg.recipes.fusion import linear_ramp, progressive_recipe, schedule_for
from hvg.recipes.vaegan import VAEGANOptions, vaegan_losses, vaegan_recipe
from hvg.registry import REGISTRY, build_model

NETWORKS = ("encoder", "decoder", "discriminator")


@pytest.fixture
def batch() -> torch.Tensor:
    return torch.rand(8, 1, 28, 28, generator=torch.Generator().manual_seed(1)) * 2 - 1


def small(strategy: str):
    torch.manual_seed(0)
    if strategy == "progressive":  # the VAE-GAN's networks; its recipe makes it progressive
        return VAEGAN(latent_dim=6, width=4)
    return Fusion(code_dim=6, noise_dim=3, width=4, strategy=strategy)


def grads(loss: torch.Tensor, module: torch.nn.Module) -> list[torch.Tensor]:
    return list(torch.autograd.grad(loss, list(module.parameters()), retain_graph=True))


def step_grads(recipe, batch, seed=2) -> dict[str, list[torch.Tensor]]:
    torch.manual_seed(seed)
    recipe.step(batch)
    return {n: [p.grad.clone() for p in getattr(recipe.model, n).parameters()] for n in NETWORKS}


def same(a, b) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("name,strategy", [("fusion-early", "early"), ("fusion-late", "late")])
def test_code_and_noise_side_by_side(name, strategy, tmp_path):
    model = small(strategy).eval()
    assert model.latent_dim == 9 and model.noise_dim == 3
    assert model.sample(5).shape == (5, 1, 28, 28)
    code = model.encode(torch.zeros(2, 1, 28, 28))
    assert code.shape == (2, 9) and torch.equal(code[:, 6:], torch.zeros(2, 3))
    z = torch.randn(2, 9)
    moved_noise, moved_code = z.clone(), z.clone()
    moved_noise[:, 6:] += 1
    moved_code[:, :6] += 1
    for other in (moved_noise, moved_code):  # the image depends on both parts
        assert not torch.allclose(model.decode(z), model.decode(other))
    path = save_model(model, tmp_path / "m.safetensors")
    assert torch.equal(load_model(path, expect=name).decode(z), model.decode(z))
    assert build_model(name, **model.config).config == model.config


def test_late_fusion_keeps_code_and_noise_apart_until_the_shared_block():
    model = small("late")
    generator = model.decoder
    z = torch.randn(4, 9, requires_grad=True)
    code_features = generator.vae(z[:, :6])
    (g_code,) = torch.autograd.grad(code_features.sum(), z)
    assert g_code[:, 6:].abs().sum() == 0 and g_code[:, :6].abs().sum() > 0
    image = generator(z)
    for pathway in (generator.vae, generator.gan, generator.shared):  # all reach the image
        assert all(g.abs().sum() > 0 for g in grads(image.pow(2).sum(), pathway))


@pytest.mark.parametrize("strategy", ["early", "late"])
def test_fusion_models_train_by_algorithm_1(strategy, batch):
    """The VAE-GAN's routing holds: L_GAN never reaches the encoder, L_llike never D."""
    model = small(strategy)
    assert REGISTRY["fusion-early"].recipe is vaegan_recipe
    assert REGISTRY["fusion-late"].recipe is vaegan_recipe
    other = copy.deepcopy(model)
    with torch.no_grad():
        other.discriminator.verdict[-1].weight.mul_(-3.0)
    a = step_grads(vaegan_recipe(copy.deepcopy(model)), batch)
    b = step_grads(vaegan_recipe(other), batch)
    assert same(a["encoder"], b["encoder"]) and not same(a["decoder"], b["decoder"])
    twin = copy.deepcopy(model).train()
    torch.manual_seed(2)
    expected = grads(vaegan_losses(twin, batch, VAEGANOptions())["gan"], twin.discriminator)
    assert all(torch.allclose(x, y) for x, y in zip(a["discriminator"], expected, strict=True))
    noise_columns = a["decoder"][0][:, 6:] if strategy == "early" else a["decoder"][0]
    assert noise_columns.abs().sum() > 0  # the generator's noise inputs learn


def test_linear_ramp():
    ramp = linear_ramp(start=10, ramp=20)
    assert [ramp(s) for s in (0, 10, 20, 30, 99)] == [0.0, 0.0, 0.5, 1.0, 1.0]
    with pytest.raises(ValueError, match="ramp >= 1"):
        linear_ramp(5, 0)


def test_schedule_for_a_budget():
    assert schedule_for(1500) == {"start": 150, "ramp": 600}
    ramp = linear_ramp(**schedule_for(1000))
    assert ramp(100) == 0.0 and ramp(300) == 0.5 and ramp(500) == 1.0
    with pytest.raises(ValueError, match="at least 10 steps"):
        schedule_for(5)


def test_progressive_fusion_starts_as_a_plain_vae(batch):
    """Before `start`, encoder and decoder learn pixels + KL only; D learns L_GAN all along."""
    model = small("progressive")
    got = step_grads(progressive_recipe(copy.deepcopy(model), start=5, ramp=5), batch)
    twin = copy.deepcopy(model).train()
    torch.manual_seed(2)
    losses = vaegan_losses(twin, batch, VAEGANOptions())
    decoder = grads(losses["pixel"], twin.decoder)
    prior, pixel = grads(losses["prior"], twin.encoder), grads(losses["pixel"], twin.encoder)
    encoder = [a + b for a, b in zip(prior, pixel, strict=True)]
    discriminator = grads(losses["gan"], twin.discriminator)
    for ours, theirs in [
        (got["decoder"], decoder),
        (got["encoder"], encoder),
        (got["discriminator"], discriminator),
    ]:
        assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(ours, theirs, strict=True))


def test_progressive_fusion_ends_as_the_vaegan(batch):
    """Once the ramp is over, a step's gradients are the Larsen VAE-GAN's, bit for bit."""
    progressive = progressive_recipe(small("progressive"), start=0, ramp=1)
    first = progressive.step(batch)  # step 0 of the ramp: the plain VAE alone
    larsen = vaegan_recipe(copy.deepcopy(progressive.model))  # the same weights, from here
    second = step_grads(progressive, batch, seed=3)
    assert (first["share"], progressive.step(batch)["share"]) == (0.0, 1.0)
    expected = step_grads(larsen, batch, seed=3)
    assert all(same(second[name], expected[name]) for name in NETWORKS)
