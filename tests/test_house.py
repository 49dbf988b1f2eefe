"""The house's plan holds: capabilities declared once and true, presets beside their options,
one step shape for every recipe, and `train_model` refusing what the CLI refuses."""

import inspect

import pytest
import torch

from hvg.course.pretrained import SHIPPED
from hvg.recipes.base import preset, unpack
from hvg.recipes.fusion import ProgressiveOptions
from hvg.recipes.vaegan import VAEGANOptions
from hvg.registry import REGISTRY, build_model, model_name
from hvg.run import train_model
from hvg.train import TrainConfig

SMALL = {"latent_dim": 4, "width": 4, "code_dim": 4, "noise_dim": 2}


def small(name: str):
    torch.manual_seed(0)
    sizes = REGISTRY[name].sizes()
    return build_model(name, **{k: v for k, v in SMALL.items() if k in sizes})


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_each_models_declared_capabilities_are_what_it_does(name):
    model = small(name)
    assert model.samples == callable(getattr(model, "sample", None))
    assert model.encodes == callable(getattr(model, "encode", None))
    assert model.denoises == callable(getattr(model, "denoise", None))
    assert model.uses_labels == ("num_classes" in model.config)
    assert model_name(model) == name


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_step_takes_one_batch_with_labels_when_the_model_uses_them(name):
    model = small(name)
    step = REGISTRY[name].recipe(model).step
    assert list(inspect.signature(step).parameters) == ["batch"]
    x = torch.rand(4, 1, 28, 28) * 2 - 1
    losses = step((x, torch.tensor([0, 1, 2, 3])) if model.uses_labels else x)
    assert losses and all(isinstance(v, float) for v in losses.values())


def test_unpack_reads_images_alone_or_with_labels():
    x, y = torch.zeros(2, 1, 28, 28), torch.tensor([3, 4])
    assert unpack(x, torch.device("cpu"))[1] is None
    images, labels = unpack((x, y), torch.device("cpu"))
    assert images is x and torch.equal(labels, y)


def test_variants_are_arguments_and_their_name_travels_in_the_config():
    early, late = small("fusion-early"), small("fusion-late")
    assert type(early) is type(late) and early.config["strategy"] != late.config["strategy"]
    progressive = small("fusion-progressive")
    assert type(progressive) is type(small("vaegan"))
    assert progressive.config["name"] == "fusion-progressive"
    assert "name" not in small("vaegan").config  # its class says it
    with pytest.raises(ValueError, match="fusion-late has strategy='late', not 'early'"):
        build_model("fusion-late", strategy="early")


def test_presets_sit_beside_their_options_and_the_shipped_settings_read_them():
    assert preset(VAEGANOptions, "paper") == {}
    assert SHIPPED["vaegan"]["options"] == preset(VAEGANOptions, "shipped")
    assert SHIPPED["cvaegan"]["options"] == preset(VAEGANOptions, "conditional")
    assert SHIPPED["fusion-progressive"]["options"] == preset(ProgressiveOptions, "shipped")
    for options in (VAEGANOptions, ProgressiveOptions):
        for settings in options.PRESETS.values():
            options(**settings)  # each preset is a valid setting
    with pytest.raises(ValueError, match="VAEGANOptions has no preset 'best': its presets are"):
        preset(VAEGANOptions, "best")


@pytest.mark.parametrize(
    "name,config,message",
    [
        ("dcgan", {"options": {"gamma": 2.0}}, "--gamma applies to vaegan, fusion-early"),
        ("vae", {"options": {"gama": 2.0}}, "vae has no option gama .--gama.: its options are lr"),
        ("vae", {"sizes": {"noise_dim": 2}}, "vae has no noise_dim .--noise-dim.: its sizes are"),
    ],
)
def test_train_model_refuses_what_the_cli_refuses(name, config, message):
    with pytest.raises(ValueError, match=message):
        train_model(name, TrainConfig(steps=1, **config))
