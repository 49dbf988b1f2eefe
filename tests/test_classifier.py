"""The MNIST classifier behind the domain metrics: shipped accuracy, recipe, engine with labels."""

import pytest
import torch

from hvg.checkpoints import load_history, load_model, pretrained_path, read_metadata, save_model
from hvg.data import get_dataloader
from hvg.metrics.domain import classifier_accuracy
from hvg.models import Classifier
from hvg.recipes.base import steps_taken
from hvg.recipes.classifier import classifier_recipe, random_shift
from hvg.run import train_model
from hvg.train import TrainConfig, fit

SHIPPED = pretrained_path("classifier", "mnist")


def test_shipped_classifier_reaches_99_percent_on_the_mnist_test_set():
    assert classifier_accuracy(SHIPPED, "mnist", "test") >= 0.99


def test_shipped_classifier_is_small_and_says_how_it_was_made():
    assert SHIPPED.stat().st_size < 1_000_000
    metadata = read_metadata(SHIPPED)
    assert metadata["command"].startswith("python -m hvg train classifier --dataset mnist")
    assert metadata["hvg_model"] == "classifier" and len(load_history(SHIPPED)) == 3000


def test_shapes_and_round_trip(tmp_path):
    torch.manual_seed(0)
    model = Classifier(channels=3, image_size=32, num_classes=5, width=8).eval()
    x = torch.rand(4, 3, 32, 32) * 2 - 1
    assert model(x).shape == (4, 5) and model.features(x).shape == (4, 32)
    loaded = load_model(save_model(model, tmp_path / "c.safetensors"), expect="classifier")
    assert loaded.config == model.config and torch.equal(loaded(x), model(x))


def test_random_shift_moves_whole_pixels_and_keeps_the_background():
    x = -torch.ones(64, 1, 28, 28)
    x[:, :, 10:18, 12:16] = 1.0  # an 8x4 bright bar, far from the edges
    torch.manual_seed(0)
    shifted = random_shift(x, 2)
    assert torch.equal(shifted.unique(), torch.tensor([-1.0, 1.0]))
    assert (shifted == 1).sum((1, 2, 3)).eq(32).all(), "every bar moves whole"
    rows = (shifted[:, 0] == 1).any(2).float().argmax(1) - 10  # vertical offsets
    assert set(rows.tolist()) == {-2, -1, 0, 1, 2}


def test_recipe_trains_on_images_and_labels():
    torch.manual_seed(0)
    model = Classifier(width=8)
    loader = get_dataloader("mnist", batch_size=64, limit=1024)
    recipe = classifier_recipe(model, lr=3e-3)
    assert model.uses_labels  # so fit hands the step (images, labels)
    history = fit(recipe, loader, TrainConfig(steps=60, progress=False))
    assert set(history[0]) == {"step", "seconds", "loss", "accuracy"}
    first = sum(h["loss"] for h in history[:5]) / 5
    last = sum(h["loss"] for h in history[-5:]) / 5
    assert last < 0.6 * first


def test_learning_rate_halves_on_schedule_and_resume_is_exact(tmp_path):
    loader = get_dataloader("mnist", batch_size=32, limit=320)

    def fresh():
        torch.manual_seed(0)
        return classifier_recipe(Classifier(width=4), lr=1e-3, halve_every=5)

    whole = fresh()
    torch.manual_seed(1)
    fit(whole, loader, TrainConfig(steps=12, progress=False))
    assert steps_taken(whole.optimizers["adam"]) == 12
    assert whole.optimizers["adam"].param_groups[0]["lr"] == pytest.approx(2.5e-4)  # steps 11-12

    first = fresh()
    torch.manual_seed(1)
    run = tmp_path / "run.safetensors"
    fit(first, loader, TrainConfig(steps=7, checkpoint=run, every=7, progress=False))
    torch.manual_seed(99)
    resumed = fresh()
    fit(resumed, loader, TrainConfig(steps=12, checkpoint=run, progress=False))
    for a, b in zip(
        whole.model.state_dict().values(), resumed.model.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)


def test_train_model_builds_the_classifier_and_refuses_a_latent_dim():
    config = TrainConfig(steps=3, batch_size=16, limit=64, progress=False)
    model, history = train_model("classifier", config)
    assert isinstance(model, Classifier) and not model.training and len(history) == 3
    with pytest.raises(ValueError, match="classifier has no latent_dim .--latent-dim.: its sizes"):
        train_model("classifier", TrainConfig(steps=1, sizes={"latent_dim": 4}))
