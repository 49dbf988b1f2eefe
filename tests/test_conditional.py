"""The conditional models: the label reaches every network, sampling is balanced, bad labels
are refused, and a short real run learns to use the label."""

import pytest
import torch

from hvg.data import load_dataset
from hvg.metrics.conditional import code_information, style_kept
from hvg.metrics.domain import load_domain
from hvg.models.conditional import (
    ConditionalGAN,
    ConditionalVAE,
    ConditionalVAEGAN,
    cycled,
    every_class,
    one_hot,
    translate,
)
from hvg.recipes.vaegan import VAEGANOptions, vaegan_losses, vaegan_recipe
from hvg.run import train_model
from hvg.train import TrainConfig

MODELS = [ConditionalVAE, ConditionalGAN, ConditionalVAEGAN]


@pytest.mark.parametrize("cls", MODELS)
def test_decode_draws_the_asked_classes_and_sample_cycles_through_them(cls):
    torch.manual_seed(0)
    model = cls().eval()
    z = torch.randn(4, model.latent_dim)
    as_3, as_7 = model.decode(z, torch.full((4,), 3)), model.decode(z, torch.full((4,), 7))
    assert as_3.shape == (4, 1, 28, 28) and as_3.abs().max() <= 1
    assert not torch.allclose(as_3, as_7)  # the label changes the image
    g = torch.Generator().manual_seed(1)
    default = model.sample(12, generator=g)
    cycling = model.sample(12, generator=torch.Generator().manual_seed(1), labels=cycled(12, 10))
    assert torch.equal(default, cycling)
    assert cycled(12, 10).tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]


def test_bad_labels_are_refused_with_the_range():
    with pytest.raises(ValueError, match="labels must be from 0 to 9, got 0 to 10"):
        one_hot(torch.tensor([0, 10]), 10)
    with pytest.raises(ValueError, match="1-D tensor of ints"):
        one_hot(torch.tensor([0.5]), 10)
    with pytest.raises(ValueError, match="3 samples need 3 labels, got 2"):
        ConditionalVAE().eval().sample(3, labels=torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="num_classes must be an int >= 2"):
        ConditionalGAN(num_classes=1)


def test_the_hybrids_discriminator_judges_the_pair_but_dis_l_ignores_the_label():
    torch.manual_seed(0)
    model = ConditionalVAEGAN().eval()
    x = torch.rand(4, 1, 28, 28) * 2 - 1
    logit_a, features_a = model.discriminator(x, torch.tensor([0, 1, 2, 3]))
    logit_b, features_b = model.discriminator(x, torch.tensor([4, 5, 6, 7]))
    with torch.no_grad():
        model.discriminator.head.embed.weight.normal_()
        logit_c, _ = model.discriminator(x, torch.tensor([4, 5, 6, 7]))
    assert torch.equal(features_a, features_b)  # the learned similarity: label-free
    assert not torch.allclose(logit_b, logit_c)  # the verdict depends on the label


def test_algorithm_1_passes_each_label_to_every_network():
    torch.manual_seed(0)
    model = ConditionalVAEGAN(latent_dim=4, width=4)
    x = torch.rand(6, 1, 28, 28) * 2 - 1
    options = VAEGANOptions()
    torch.manual_seed(1)
    a = vaegan_losses(model, x, options, labels=torch.zeros(6, dtype=torch.long))
    torch.manual_seed(1)
    b = vaegan_losses(model, x, options, labels=torch.ones(6, dtype=torch.long))
    for name in ("prior", "llike", "gan"):
        assert not torch.allclose(a[name], b[name]), name
    recipe = vaegan_recipe(model)
    assert model.uses_labels
    before = {k: v.clone() for k, v in model.state_dict().items()}
    recipe.step((x, torch.arange(6)))
    for net in ("encoder", "decoder", "discriminator"):
        changed = [
            not torch.equal(before[k], v)
            for k, v in model.state_dict().items()
            if k.startswith(net) and k.endswith("weight")
        ]
        assert any(changed), net


def test_translate_keeps_the_code_and_changes_the_class():
    torch.manual_seed(0)
    model = ConditionalVAE().eval()
    x = torch.rand(2, 1, 28, 28) * 2 - 1
    labels, targets = torch.tensor([1, 1]), torch.tensor([5, 8])
    code = model.encode(x, labels)
    assert torch.equal(translate(model, x, labels, targets), model.decode(code, targets))


def test_a_short_run_of_the_conditional_vae_learns_to_use_the_label():
    model, history = train_model(
        "cvae", TrainConfig(steps=300, batch_size=64, limit=8_000, progress=False)
    )
    assert history[-1]["loss"] < history[0]["loss"] / 2
    classifier = load_domain("mnist").classifier
    with torch.no_grad():
        digits = model.sample(200, generator=torch.Generator().manual_seed(0))
        read = classifier(digits).argmax(1)
    # 300 steps reach about 0.22; ignoring the label gives chance, 0.1 (+- 0.02 on 200)
    assert (read == cycled(200, 10)).float().mean() > 0.17


def test_every_class_decodes_each_code_as_each_class():
    torch.manual_seed(0)
    model = ConditionalGAN(width=4).eval()
    z = torch.randn(2, model.latent_dim)
    grid = every_class(model, z)
    assert grid.shape == (20, 1, 28, 28)
    assert torch.allclose(grid[13], model.decode(z[1:2], torch.tensor([3]))[0], atol=1e-6)


def test_a_decoder_that_ignores_the_code_keeps_no_style_and_an_empty_code_holds_no_nats():
    torch.manual_seed(0)
    model = ConditionalVAE(latent_dim=4).eval()
    images, labels = load_dataset("mnist", "test").tensors
    images, labels = images[:300], labels[:300]
    domain = load_domain("mnist")
    assert style_kept(model, domain, images, labels)["ratio"] != 1.0
    with torch.no_grad():
        model.decoder.net[0].weight[:, :4] = 0  # z's columns: the decoder sees the label only
        model.encoder.net[-1].weight.zero_()
        model.encoder.net[-1].bias.zero_()  # q(z | x, y) = N(0, I) for every image
    assert style_kept(model, domain, images, labels)["ratio"] == pytest.approx(1.0, abs=1e-6)
    assert code_information(model, images, labels) == pytest.approx(0.0, abs=1e-6)
