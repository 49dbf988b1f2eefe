"""The Larsen VAE-GAN: shapes, batch norm momentum, and who learns from which loss (Algorithm 1)."""

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from hvg.checkpoints import load_model, save_model
from hvg.losses import kl_normal
from hvg.metrics import discriminate
from hvg.models import VAEGAN
from hvg.recipes.vaegan import VAEGANOptions, _gate, vaegan_losses, vaegan_recipe

NETWORKS = ("encoder", "decoder", "discriminator")


@pytest.fixture
def model() -> VAEGAN:
    torch.manual_seed(0)
    return VAEGAN(latent_dim=8, width=8)


@pytest.fixture
def batch() -> torch.Tensor:
    return torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(1)) * 2 - 1


def grads_after_step(model: VAEGAN, batch: torch.Tensor, seed: int = 2, **options) -> dict:
    """The gradient each network was given in one training step of a copy of `model`."""
    twin = copy.deepcopy(model)
    recipe = vaegan_recipe(twin, **options)
    torch.manual_seed(seed)
    recipe.step(batch)
    return {name: [p.grad.clone() for p in getattr(twin, name).parameters()] for name in NETWORKS}


def same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("channels,size", [(1, 28), (1, 32), (3, 32)])
def test_shapes_and_range(channels, size):
    model = VAEGAN(channels, size, latent_dim=6, width=8).eval()
    x = torch.rand(5, channels, size, size) * 2 - 1
    mu, logvar = model.encoder(x)
    assert mu.shape == logvar.shape == (5, 6)
    logits, features = model.discriminator(x)
    assert logits.shape == (5,) and features.shape == (5, 32, size // 4, size // 4)
    images = model.sample(4)
    assert images.shape == (4, channels, size, size)
    assert images.min() >= -1 and images.max() <= 1
    assert model.reconstruct(x).shape == x.shape


def test_refuses_bad_width_and_options():
    with pytest.raises(ValueError, match="width must be an even int"):
        VAEGAN(width=7)
    with pytest.raises(ValueError, match="recon must be 'feature' or 'pixel'"):
        VAEGANOptions(recon="perceptual")
    with pytest.raises(ValueError, match="generator must be"):
        VAEGANOptions(generator="wasserstein")
    with pytest.raises(ValueError, match="gamma must be positive"):
        VAEGANOptions(gamma=0)
    with pytest.raises(ValueError, match="d_lr_scale must be positive"):
        VAEGANOptions(d_lr_scale=0)


def test_ttur_scales_only_the_discriminators_learning_rate(model):
    rates = {
        name: optimizer.param_groups[0]["lr"]
        for name, optimizer in vaegan_recipe(model, lr=1e-4, d_lr_scale=4.0).optimizers.items()
    }
    assert rates == pytest.approx({"encoder": 1e-4, "decoder": 1e-4, "discriminator": 4e-4})


def test_batch_norm_keeps_pytorchs_momentum(model):
    """0.1 in PyTorch is 0.9 in Theano/Keras/TF: a port that copies 0.9 is wrong."""
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d)]
    assert len(norms) == 10
    assert all(m.momentum == 0.1 for m in norms)


def test_the_gan_loss_puts_no_gradient_on_the_encoder(model, batch):
    """Change only the discriminator's last layer: L_GAN changes, L_prior and L_llike don't."""
    other = copy.deepcopy(model)
    with torch.no_grad():
        other.discriminator.verdict[-1].weight.mul_(-3.0)
    a, b = grads_after_step(model, batch), grads_after_step(other, batch)
    assert same(a["encoder"], b["encoder"])
    assert not same(a["decoder"], b["decoder"])
    assert not same(a["discriminator"], b["discriminator"])


def test_the_reconstruction_loss_puts_no_gradient_on_the_discriminator(model, batch):
    torch.manual_seed(2)
    losses = vaegan_losses(model, batch, VAEGANOptions())
    expected = torch.autograd.grad(losses["gan"], list(model.discriminator.parameters()))
    assert same(grads_after_step(model, batch)["discriminator"], list(expected))


def test_gamma_scales_exactly_the_decoders_share(model, batch):
    one = grads_after_step(model, batch, gamma=1.0)
    three = grads_after_step(model, batch, gamma=3.0)
    assert same(one["encoder"], three["encoder"])
    assert same(one["discriminator"], three["discriminator"])
    torch.manual_seed(2)
    llike = vaegan_losses(model, batch, VAEGANOptions())["llike"]
    share = torch.autograd.grad(llike, list(model.decoder.parameters()))
    for g1, g3, s in zip(one["decoder"], three["decoder"], share, strict=True):
        assert torch.allclose(g3 - g1, 2.0 * s, rtol=1e-4, atol=1e-5)


def test_the_kl_matches_a_monte_carlo_estimate(model, batch):
    model.eval()
    mu, logvar = model.encoder(batch[:1])
    mu, logvar = mu.detach() + torch.tensor(0.7), logvar.detach() - 1.0  # a posterior off N(0, I)
    std = (0.5 * logvar).exp()
    z = mu + std * torch.randn(200_000, mu.shape[1], generator=torch.Generator().manual_seed(3))
    log_q = torch.distributions.Normal(mu, std).log_prob(z).sum(1)
    log_p = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(1)
    assert kl_normal(mu, logvar).item() == pytest.approx((log_q - log_p).mean().item(), rel=0.01)


@pytest.mark.parametrize(
    "options",
    [{}, {"generator": "non-saturating", "d_sees_recon": False}, {"recon": "pixel", "gamma": 0.5}],
)
def test_one_step_matches_a_hand_written_reference(model, batch, options):
    """Algorithm 1 written out with one backward() per network: the same gradients as the step.

    (Gradients, not updated weights, are compared: RMSProp's first step is about lr * sign(g)
    per weight, so rounding in a near-zero gradient would flip a whole step.)"""
    gamma = options.get("gamma", 1.0)
    recipe = vaegan_recipe(copy.deepcopy(model), **options)
    torch.manual_seed(2)
    recipe.step(batch)

    ref = copy.deepcopy(model).train()
    torch.manual_seed(2)
    mu, logvar = ref.encoder(batch)
    z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
    images = ref.decoder(torch.cat([z, torch.randn_like(z)]))
    logits, features = ref.discriminator(torch.cat([batch, images]))
    real, tilde, prior = logits.split(len(batch))
    fakes = [prior] if options.get("d_sees_recon") is False else [tilde, prior]
    bce = F.binary_cross_entropy_with_logits
    l_gan = bce(real, torch.ones_like(real)) + sum(bce(f, torch.zeros_like(f)) for f in fakes)
    if options.get("recon") == "pixel":
        l_llike = 0.5 * ((batch - images[: len(batch)]) ** 2).sum((1, 2, 3)).mean()
    else:
        f_real, f_tilde, _ = features.split(len(batch))
        l_llike = 0.5 * ((f_real - f_tilde) ** 2).sum((1, 2, 3)).mean()
    l_prior = (0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum(1)).mean()
    if options.get("generator") == "non-saturating":
        l_fool = sum(bce(f, torch.ones_like(f)) for f in fakes)
    else:
        l_fool = -l_gan
    objectives = {
        "encoder": l_prior + l_llike,
        "decoder": gamma * l_llike + l_fool,
        "discriminator": l_gan,
    }
    for name, objective in objectives.items():
        ref.zero_grad()
        objective.backward(retain_graph=True)
        stepped = getattr(recipe.model, name).named_parameters()
        for (key, p), q in zip(stepped, getattr(ref, name).parameters(), strict=True):
            scale = q.grad.abs().max().item()  # float sums in another order: relative to the max
            assert torch.allclose(p.grad, q.grad, rtol=1e-4, atol=1e-5 * scale), f"{name}.{key}"
    for key, buffer in ref.named_buffers():  # batch norm saw the same batches
        assert torch.allclose(buffer.float(), recipe.model.get_buffer(key).float()), key


def test_equilibrium_gating_rule():
    """The authors' rule: skip D while it is far ahead, the decoder while it is far behind."""
    sure, unsure = torch.full((8,), 9.0), torch.full((8,), -9.0)
    gate = VAEGANOptions(margin=0.35)

    def decide(real, fake):
        return _gate({"real_logits": real, "fake_logits": fake}, gate)

    assert decide(sure, unsure) == (True, False)  # D right about both: only the decoder moves
    assert decide(unsure, sure) == (False, True)  # D wrong about both: only D moves
    assert decide(sure, sure) == (True, True)  # each rule would stop one: both move
    assert decide(torch.zeros(8), torch.zeros(8)) == (True, True)  # at equilibrium
    assert _gate({"real_logits": sure, "fake_logits": unsure}, VAEGANOptions()) == (True, True)


@pytest.mark.parametrize("equilibrium,frozen", [(100.0, "discriminator"), (-100.0, "decoder")])
def test_a_gated_network_keeps_its_weights(model, batch, equilibrium, frozen):
    recipe = vaegan_recipe(copy.deepcopy(model), margin=1.0, equilibrium=equilibrium)
    losses = recipe.step(batch)
    flag = {"discriminator": "dis_updated", "decoder": "dec_updated"}
    assert losses[flag[frozen]] == 0.0
    for name in NETWORKS:
        unchanged = same(
            list(getattr(model, name).parameters()),
            list(getattr(recipe.model, name).parameters()),
        )
        assert unchanged == (name == frozen), name


def test_its_discriminator_can_be_scored_on_held_out_images(model, batch):
    """hvg.metrics.discriminate keeps the verdict of a discriminator that also gives features:
    its scores are the eval-mode logits' own, counted by hand (real and fake batches of
    different sizes, so that accuracy is not the mean of the two rates by construction)."""
    fake = torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(4)) * 2 - 1
    scores = discriminate(model.discriminator, batch, fake)
    d = copy.deepcopy(model.discriminator).eval()
    with torch.no_grad():
        real_right = (d(batch)[0] > 0).sum().item()
        fake_right = (d(fake)[0] <= 0).sum().item()
    assert scores["real_accuracy"] == pytest.approx(real_right / len(batch))
    assert scores["fake_accuracy"] == pytest.approx(fake_right / len(fake))
    assert scores["accuracy"] == pytest.approx((real_right + fake_right) / (len(batch) + 5))
    assert model.discriminator.training  # put back in the mode it was in


def test_normalised_features_compare_relative_error_whatever_the_features_scale(model, batch):
    """With `normalise_features`, L_llike does not change when Dis_l's features grow (here: its
    last convolution's weights times 3), while the raw L_llike grows by 3 squared."""
    bigger = copy.deepcopy(model)
    with torch.no_grad():
        bigger.discriminator.similarity[-1].weight.mul_(3.0)
    llike = {}
    for name, net in (("model", model), ("bigger", bigger)):
        for norm in (False, True):
            torch.manual_seed(5)
            losses = vaegan_losses(net, batch, VAEGANOptions(normalise_features=norm))
            llike[name, norm] = losses["llike"].item()
    assert llike["bigger", False] == pytest.approx(9 * llike["model", False], rel=1e-4)
    assert llike["bigger", True] == pytest.approx(llike["model", True], rel=1e-4)
    assert llike["model", True] != pytest.approx(llike["model", False], rel=0.1)


def test_spectral_norm_replaces_batch_norm_in_the_discriminator_only(tmp_path):
    torch.manual_seed(0)
    model = VAEGAN(latent_dim=8, width=8, spectral_norm=True)
    d = model.discriminator
    assert not any(isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d) for m in d.modules())
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.decoder.modules())
    assert "spectral_norm" not in VAEGAN(width=8).config  # configs without it stay as they were
    for _ in range(100):  # each training forward pass runs one power iteration
        d(torch.rand(2, 1, 28, 28))
    layers = [m for m in d.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    assert len(layers) == 6
    for layer in layers:
        sigma = torch.linalg.matrix_norm(layer.weight.detach().flatten(1), ord=2)
        assert sigma.item() == pytest.approx(1.0, abs=0.02)
    loaded = load_model(save_model(model, tmp_path / "sn.safetensors"))
    assert loaded.config["spectral_norm"] is True
    x = torch.rand(3, 1, 28, 28)
    pairs = zip(model.eval().discriminator(x), loaded.eval().discriminator(x), strict=True)
    for mine, theirs in pairs:
        assert torch.equal(mine, theirs)


def test_the_decoders_average_leaves_training_as_it_was(batch):
    """`ema`: the three trained networks end bit for bit as without it; `decode` uses it."""
    runs = {}
    for ema in (0, 4):
        torch.manual_seed(0)
        model = VAEGAN(latent_dim=8, width=8, ema=ema)
        recipe = vaegan_recipe(model, margin=0.35)
        torch.manual_seed(3)
        for _ in range(3):
            recipe.step(batch)
        runs[ema] = model
    plain, averaged = runs[0], runs[4]
    for name in NETWORKS:
        for key, value in getattr(plain, name).state_dict().items():
            assert torch.equal(value, getattr(averaged, name).state_dict()[key]), (name, key)
    z = torch.randn(3, 8)
    averaged.eval()
    assert torch.equal(averaged.decode(z), averaged.decoder_ema(z))
    assert not torch.equal(averaged.decode(z), averaged.decoder(z))
    assert "ema" not in plain.config and averaged.config["ema"] == 4


@pytest.mark.parametrize("equilibrium,moves", [(0.68, True), (-100.0, False)])
def test_the_decoders_average_moves_a_quarter_of_each_decoder_step(batch, equilibrium, moves):
    """With ema=4, one step moves each averaged weight 1/4 of the way to the decoder's; when
    gating holds the decoder back (equilibrium -100), neither moves."""
    torch.manual_seed(0)
    model = VAEGAN(latent_dim=8, width=8, ema=4)
    start = [p.clone() for p in model.decoder.parameters()]
    recipe = vaegan_recipe(model, margin=1.0, equilibrium=equilibrium)
    assert recipe.step(batch)["dec_updated"] == float(moves)
    for begin, now, mean in zip(
        start, model.decoder.parameters(), model.decoder_ema.parameters(), strict=True
    ):
        assert torch.equal(mean, torch.lerp(begin, now, 0.25))
        assert torch.equal(now, begin) != moves
