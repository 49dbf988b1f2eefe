"""Shipped checkpoints load as the notebooks expect; a missing one is trained instead."""

import pytest
import torch

from hvg.checkpoints import pretrained_path, read_metadata
from hvg.models import DCGAN, VAE
from hvg.pretrained import load_pretrained


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
