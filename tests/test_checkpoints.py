"""Checkpoints: a round trip, and a clear error for every way a file can be wrong."""

import json

import pytest
import torch
from safetensors.torch import save_file

from hvg.checkpoints import CheckpointError, load_history, load_model, read_metadata, save_model
from hvg.models import VAE


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    model = VAE(latent_dim=4).eval()
    path = save_model(model, tmp_path / "vae.safetensors", [{"step": 1.0, "loss": 2.5}])
    return model, path


def test_round_trip(saved):
    model, path = saved
    loaded = load_model(path, expect="vae")
    assert loaded.config == model.config and not loaded.training
    z = torch.randn(3, 4)
    assert torch.equal(loaded.decode(z), model.decode(z))
    assert load_history(path) == [{"step": 1.0, "loss": 2.5}]
    assert [p.name for p in path.parent.iterdir()] == ["vae.safetensors"]  # no temp files


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint at .*nothing.safetensors"):
        load_model(tmp_path / "nothing.safetensors")


def test_truncated_file_names_the_file(saved, tmp_path):
    _, path = saved
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="broken.safetensors is not a readable"):
        load_model(broken)


def test_wrong_model_name(saved):
    _, path = saved
    with pytest.raises(CheckpointError, match="holds a 'vae' model, not the 'dcgan'"):
        load_model(path, expect="dcgan")


def test_plain_safetensors_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "plain.safetensors"
    save_file({"w": torch.zeros(2)}, path)
    with pytest.raises(CheckpointError, match="not an hvg checkpoint"):
        read_metadata(path)


def test_shape_mismatch_is_named(saved, tmp_path):
    model, path = saved
    metadata = read_metadata(path)
    metadata["config"] = json.dumps({**model.config, "latent_dim": 8})
    tensors = {k: v.contiguous() for k, v in model.state_dict().items()}
    lying = tmp_path / "lying.safetensors"
    save_file(tensors, lying, metadata=metadata)
    with pytest.raises(CheckpointError, match="lying.safetensors does not fit the 'vae' model"):
        load_model(lying)


def test_history_keeps_six_significant_digits(tmp_path):
    history = [{"step": 12345.0, "seconds": 1390.3981234, "loss": 1 / 3}]
    path = save_model(VAE(latent_dim=4), tmp_path / "vae.safetensors", history)
    assert load_history(path) == [{"step": 12345.0, "seconds": 1390.4, "loss": 0.333333}]
