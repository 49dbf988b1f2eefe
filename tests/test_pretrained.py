"""Shipped checkpoints load as the notebooks expect; a missing one is trained instead."""

import shlex

import numpy as np
import pytest
import torch

from hvg.checkpoints import CHECKPOINT_DIR, pretrained_path, read_metadata
from hvg.cli import main, parser, training_settings
from hvg.course.pretrained import SHIPPED, load_pretrained
from hvg.models import DCGAN, VAE


@pytest.mark.parametrize("name,cls", [("vae", VAE), ("dcgan", DCGAN)])
def test_shipped_checkpoints_load_with_their_history_and_command(name, cls, capsys):
    model, history = load_pretrained(name)
    assert isinstance(model, cls) and not model.training
    assert "Loaded the shipped checkpoint" in capsys.readouterr().out
    assert len(history) > 1000
    command = read_metadata(pretrained_path(name))["command"]
    assert command.startswith(f"python -m hvg train {name} --dataset mnist")
    assert model.sample(2).shape == (2, 1, 28, 28)


def test_missing_checkpoint_is_trained_in_quick_mode(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HVG_QUICK", "1")
    torch.manual_seed(0)
    model, history = load_pretrained("vae", directory=tmp_path)
    assert "training vae on mnist for 200 steps" in capsys.readouterr().out
    assert isinstance(model, VAE) and len(history) == 200


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_each_shipped_checkpoint_was_trained_as_the_fallback_would_train_it(name):
    """The command in a shipped file, read by the CLI's own parser, asks for SHIPPED[name]."""
    command = read_metadata(pretrained_path(name))["command"]
    argv = shlex.split(command)
    settings = dict(SHIPPED[name])
    model = settings.pop("model", name)
    assert argv[:3] == ["python", "-m", "hvg"] and argv[3:5] == ["train", model]
    recorded = training_settings(parser().parse_args(argv[3:]))
    defaults = training_settings(parser().parse_args(["train", model, "--out", "x"]))
    assert recorded == {**defaults, **settings}


GENERATORS = ["vae", "dcgan", "vaegan", "fusion-early", "fusion-late", "fusion-progressive"]


@pytest.mark.parametrize("name", GENERATORS)
def test_each_shipped_generator_samples_from_the_cli(name, tmp_path):
    """`python -m hvg sample` draws digits, not blank or saturated images, from each file."""
    out = tmp_path / "samples.npz"
    assert main(["sample", str(pretrained_path(name)), "-n", "16", "-o", str(out)]) == 0
    images = np.load(out)["images"]
    assert images.shape == (16, 1, 28, 28) and images.dtype == np.uint8
    ink = (images > 127).mean(axis=(1, 2, 3))
    assert (ink > 0.03).all() and (ink < 0.5).all()  # MNIST digits cover about 5-25 %


@pytest.mark.parametrize("path", sorted(CHECKPOINT_DIR.glob("*.safetensors")), ids=lambda p: p.name)
def test_checkpoints_readme_gives_each_files_command(path):
    """checkpoints/README.md names each shipped file with the command that trained it (what
    its metadata records; an export that changed the command keeps the original as trained_as)."""
    readme = (CHECKPOINT_DIR / "README.md").read_text()
    metadata = read_metadata(path)
    assert f"`{path.name}`" in readme
    assert f"`{metadata.get('trained_as', metadata['command'])}`" in readme
