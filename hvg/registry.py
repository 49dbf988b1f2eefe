"""Every model the course trains, registered once: its class, its recipe, its recipe's options.

A model's name is the key of its entry. Everything else derives from the entry: checkpoints
rebuild a model by name (`build_model`) and name an instance (`model_name`); `train_model`
(hvg.run) trains it with its recipe; the CLI's model choices, size flags and option flags,
and the per-model defaults in their help, come from the classes' constructor arguments and
the options dataclasses' fields (hvg.cli). Adding a model means a model file, a recipe file
and one line here.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

from torch import nn

from hvg.models import (
    DCGAN,
    VAE,
    VAEGAN,
    Classifier,
    ConditionalGAN,
    ConditionalVAE,
    ConditionalVAEGAN,
    Denoiser,
    DenoisingAutoencoder,
    DenoisingVAE,
    Fusion,
)
from hvg.models.base import Model
from hvg.recipes.base import Recipe
from hvg.recipes.classifier import ClassifierOptions, classifier_recipe
from hvg.recipes.dcgan import DCGANOptions, dcgan_recipe
from hvg.recipes.denoise import (
    DenoisingAEOptions,
    DenoisingVAEOptions,
    denoiser_recipe,
    denoising_ae_recipe,
    denoising_vae_recipe,
)
from hvg.recipes.fusion import ProgressiveOptions, progressive_recipe
from hvg.recipes.vae import VAEOptions, vae_recipe
from hvg.recipes.vaegan import VAEGANOptions, vaegan_recipe

DATA_SIZES = ("channels", "image_size")  # constructor arguments set by the data set


@dataclass(frozen=True)
class Entry:
    """A model class, the recipe that trains it, the dataclass of that recipe's options, and
    the constructor arguments that make this entry a variant of the class (`fixed`)."""

    model: type[Model]
    recipe: Callable[..., Recipe]
    options: type
    fixed: dict[str, object] = field(default_factory=dict)

    def sizes(self) -> dict[str, object]:
        """The model's own sizes (constructor arguments neither set by the data nor fixed by
        the entry) and their defaults."""
        parameters = inspect.signature(self.model).parameters.values()
        skip = (*DATA_SIZES, *self.fixed)
        return {p.name: p.default for p in parameters if p.name not in skip}

    def defaults(self) -> dict[str, object]:
        """The recipe's options and their defaults."""
        return {f.name: f.default for f in dataclasses.fields(self.options)}


REGISTRY: dict[str, Entry] = {
    "vae": Entry(VAE, vae_recipe, VAEOptions),
    "dcgan": Entry(DCGAN, dcgan_recipe, DCGANOptions),
    "vaegan": Entry(VAEGAN, vaegan_recipe, VAEGANOptions),
    "classifier": Entry(Classifier, classifier_recipe, ClassifierOptions),
    "fusion-early": Entry(Fusion, vaegan_recipe, VAEGANOptions, {"strategy": "early"}),
    "fusion-late": Entry(Fusion, vaegan_recipe, VAEGANOptions, {"strategy": "late"}),
    "fusion-progressive": Entry(VAEGAN, progressive_recipe, ProgressiveOptions),
    "denoiser": Entry(Denoiser, denoiser_recipe, VAEGANOptions),
    "denoiser-vae": Entry(DenoisingVAE, denoising_vae_recipe, DenoisingVAEOptions),
    "denoiser-ae": Entry(DenoisingAutoencoder, denoising_ae_recipe, DenoisingAEOptions),
    "cvae": Entry(ConditionalVAE, vae_recipe, VAEOptions),
    "cgan": Entry(ConditionalGAN, dcgan_recipe, DCGANOptions),
    "cvaegan": Entry(ConditionalVAEGAN, vaegan_recipe, VAEGANOptions),
}


def entry(name: str) -> Entry:
    """The registry entry of `name`, or a ValueError naming the registered models."""
    if name not in REGISTRY:
        raise ValueError(f"unknown model {name!r}: choose one of {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]


def build_model(name: str, /, **config: object) -> Model:
    """Instantiate a model by its registry name with its constructor arguments (a checkpoint's
    config). The name goes into the model's config where its class and arguments do not tell
    it (progressive fusion is the VAE-GAN's class, trained by another recipe)."""
    registered = entry(name)
    arguments = {k: v for k, v in config.items() if k != "name"}
    for key, value in registered.fixed.items():
        if arguments.setdefault(key, value) != value:
            raise ValueError(f"{name} has {key}={value!r}, not {arguments[key]!r}")
    model = registered.model(**arguments)
    if model_name(model) != name:
        model.config["name"] = name
    return model


def model_name(model: nn.Module) -> str:
    """The registry name of a model instance: the one in its config, else the first entry of
    its class whose fixed arguments it has."""
    config = getattr(model, "config", {})
    if "name" in config:
        return config["name"]
    for name, registered in REGISTRY.items():
        fixed = all(config.get(k) == v for k, v in registered.fixed.items())
        if type(model) is registered.model and fixed:
            return name
    raise ValueError(f"{type(model).__name__} is not a registered model: add it to hvg.registry")
