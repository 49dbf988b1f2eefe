"""The field's network size (issue 36): `arch="infogan"` builds the InfoGAN MNIST networks
(hvg.models.infogan) in every generative model; the default stays the course's networks."""

import pytest
import torch

from hvg.checkpoints import load_model, save_model
from hvg.cli import main
from hvg.models import DCGAN, VAE, VAEGAN, Fusion
from hvg.models.infogan import ARCHS
from hvg.registry import REGISTRY, build_model
from hvg.run import train_model
from hvg.train import TrainConfig

MODELS = ("vae", "dcgan", "vaegan", "fusion-early", "fusion-late", "fusion-progressive")


def count(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def test_the_infogan_generator_and_discriminator_have_about_6_6m_parameters_each():
    gan = DCGAN(arch="infogan")
    assert count(gan.generator) == pytest.approx(6.6e6, rel=0.03)
    assert count(gan.discriminator) == pytest.approx(6.6e6, rel=0.03)
    vae = VAE(arch="infogan")
    assert count(vae.encoder) == pytest.approx(6.6e6, rel=0.03)
    assert count(vae.decoder) == pytest.approx(6.6e6, rel=0.03)
    light = DCGAN(arch="infogan-512")  # FC 512: about half
    assert count(light.generator) == pytest.approx(count(gan.generator) / 2, rel=0.05)
    assert count(light.discriminator) == pytest.approx(count(gan.discriminator) / 2, rel=0.05)


@pytest.mark.parametrize("arch", ARCHS[1:])
def test_fusion_decoders_are_within_10_percent_of_each_other_at_the_new_size(arch):
    early, late = (count(Fusion(strategy=s, arch=arch).decoder) for s in ("early", "late"))
    assert abs(early - late) / max(early, late) < 0.10
    assert count(VAEGAN(arch=arch).decoder) == pytest.approx(early, rel=0.10)  # progressive


@pytest.mark.parametrize("name", MODELS)
def test_each_model_at_the_new_size_trains_saves_loads_and_samples(name, tmp_path):
    config = TrainConfig(steps=2, batch_size=8, limit=16, sizes={"arch": "infogan"}, progress=False)
    model, history = train_model(name, config)
    assert len(history) == 2 and model.config["arch"] == "infogan"
    path = tmp_path / f"{name}.safetensors"
    save_model(model, path, history)
    loaded = load_model(path, expect=name)
    assert loaded.config == model.config
    state = model.state_dict()
    assert all(torch.equal(v, state[k]) for k, v in loaded.state_dict().items())
    images = loaded.sample(3, generator=torch.Generator().manual_seed(0))
    assert images.shape == (3, 1, 28, 28) and images.abs().max() <= 1
    same = model.sample(3, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(images, same)


def test_the_lighter_size_trains_too():
    config = TrainConfig(
        steps=2, batch_size=8, limit=16, sizes={"arch": "infogan-512"}, progress=False
    )
    model, _ = train_model("vaegan", config)
    assert model.sample(2).shape == (2, 1, 28, 28)


@pytest.mark.parametrize("name", ["vae", "dcgan", "vaegan", "fusion-late"])
def test_32x32_images_at_the_new_size(name):
    model = build_model(name, channels=3, image_size=32, arch="infogan").eval()
    assert model.sample(2).shape == (2, 3, 32, 32)
    if hasattr(model, "encode"):
        assert model.encode(torch.zeros(2, 3, 32, 32)).shape == (2, model.latent_dim)


def test_the_vaegans_discriminator_gives_its_verdict_and_the_second_convolutions_features():
    model = VAEGAN(arch="infogan").eval()
    logits, features = model.discriminator(torch.zeros(5, 1, 28, 28))
    assert logits.shape == (5,) and features.shape == (5, 128, 7, 7)
    spectral = VAEGAN(arch="infogan", spectral_norm=True)
    names = [type(m).__name__ for m in spectral.discriminator.modules()]
    assert "BatchNorm2d" not in names and "BatchNorm1d" not in names
    assert spectral.config == {**model.config, "spectral_norm": True}


TODAY = {  # the configs of the default models, as the shipped checkpoints hold them
    "vae": {"channels": 1, "image_size": 28, "latent_dim": 16, "width": 32},
    "dcgan": {"channels": 1, "image_size": 28, "latent_dim": 100, "width": 32},
    "vaegan": {"channels": 1, "image_size": 28, "latent_dim": 32, "width": 16},
    "fusion-late": {
        "channels": 1,
        "image_size": 28,
        "code_dim": 32,
        "noise_dim": 16,
        "width": 16,
        "strategy": "late",
    },
}


def test_the_default_is_the_course_networks_with_configs_as_they_were():
    for name in REGISTRY:
        assert "arch" not in build_model(name).config, name
    for name, config in TODAY.items():
        assert build_model(name).config == config
        torch.manual_seed(0)
        default = build_model(name).state_dict()
        torch.manual_seed(0)
        course = build_model(name, arch="course")
        assert course.config == config
        assert all(torch.equal(v, default[k]) for k, v in course.state_dict().items())


def test_an_unknown_size_is_refused_naming_the_choices(tmp_path, capsys):
    for make in (VAE, DCGAN, VAEGAN, Fusion):
        with pytest.raises(ValueError, match="'course', 'infogan', 'infogan-512', got 'big'"):
            make(arch="big")
    with pytest.raises(ValueError, match="width=8 sizes the course's networks"):
        DCGAN(width=8, arch="infogan")
    with pytest.raises(SystemExit):
        main(["train", "vae", "--arch", "big", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert "invalid choice: 'big'" in err and "'course', 'infogan', 'infogan-512'" in err
