"""The training engine: exact resume (also after SIGKILL), the NaN guard, Ctrl-C, mismatches."""

import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from safetensors.torch import load_file

from hvg.checkpoints import CheckpointError, read_metadata, rng_state, save_model
from hvg.data import get_dataloader
from hvg.models import VAE
from hvg.recipes.base import Recipe
from hvg.recipes.vae import vae_recipe
from hvg.train import NonFiniteLossError, TrainConfig, fit


@pytest.fixture(scope="module")
def loader():
    return get_dataloader("mnist", batch_size=32, limit=320)  # 10 batches an epoch


def fresh_recipe(latent_dim: int = 8) -> Recipe:
    torch.manual_seed(0)
    return vae_recipe(VAE(latent_dim=latent_dim))


def test_resumed_run_equals_uninterrupted_run(loader, tmp_path):
    whole = fresh_recipe()
    torch.manual_seed(1)
    fit(whole, loader, TrainConfig(steps=25, progress=False))

    first = fresh_recipe()
    torch.manual_seed(1)
    run = tmp_path / "run.safetensors"
    fit(first, loader, TrainConfig(steps=13, checkpoint=run, every=5, progress=False))
    torch.manual_seed(999)  # whatever happens in between must not matter
    second = fresh_recipe()
    history = fit(second, loader, TrainConfig(steps=25, checkpoint=run, every=5, progress=False))

    assert [h["step"] for h in history] == list(range(1, 26))
    for a, b in zip(
        whole.model.state_dict().values(), second.model.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)


def test_killed_cli_run_resumes_to_the_same_weights(tmp_path):
    def command(out):
        return [
            sys.executable,
            "-m",
            "hvg",
            "train",
            "vae",
            "--steps",
            "600",
            "--limit",
            "512",
            "--batch-size",
            "32",
            "--latent-dim",
            "4",
            "--checkpoint-every",
            "20",
            "--out",
            str(out),
        ]

    env = {**os.environ, "TQDM_DISABLE": "1"}
    subprocess.run(command(tmp_path / "whole"), check=True, env=env, capture_output=True)

    checkpoint = tmp_path / "killed" / "vae-mnist.safetensors"
    process = subprocess.Popen(
        command(tmp_path / "killed"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        if checkpoint.exists() and int(read_metadata(checkpoint)["step"]) >= 60:
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = int(read_metadata(checkpoint)["step"])
    assert 60 <= killed_at < 600, "the run finished before it could be killed"

    result = subprocess.run(
        command(tmp_path / "killed"), env=env, capture_output=True, text=True, check=True
    )
    assert f"Resuming from {checkpoint} at step {killed_at}" in result.stdout
    whole = load_file(tmp_path / "whole" / "vae-mnist.safetensors")
    resumed = load_file(checkpoint)
    assert whole.keys() == resumed.keys()
    for key in whole:
        assert torch.equal(whole[key], resumed[key]), key


def test_nan_stops_training_and_keeps_the_last_good_checkpoint(loader, tmp_path):
    recipe = fresh_recipe()
    vae_step = recipe.step
    calls = iter(range(1, 100))

    def step(x):
        losses = vae_step(x)
        return {**losses, "kl": float("nan")} if next(calls) == 15 else losses

    recipe.step = step
    path = tmp_path / "run.safetensors"
    with pytest.raises(NonFiniteLossError) as err:
        fit(recipe, loader, TrainConfig(steps=30, checkpoint=path, every=10, progress=False))
    assert "loss 'kl' is nan at step 15" in str(err.value)
    assert f"{path} (step 10), is kept" in str(err.value)
    assert read_metadata(path)["step"] == "10"


def test_ctrl_c_saves_and_resumes(loader, tmp_path, capsys):
    recipe = fresh_recipe()
    vae_step = recipe.step
    calls = iter(range(1, 100))

    def step(x):
        if next(calls) == 7:
            raise KeyboardInterrupt
        return vae_step(x)

    recipe.step = step
    path = tmp_path / "run.safetensors"
    history = fit(recipe, loader, TrainConfig(steps=20, checkpoint=path, every=50, progress=False))
    assert len(history) == 6 and read_metadata(path)["step"] == "6"
    assert "Interrupted at step 6 of 20; saved to" in capsys.readouterr().out
    again = fit(fresh_recipe(), loader, TrainConfig(steps=20, checkpoint=path, progress=False))
    assert len(again) == 20


def test_resume_refuses_another_config(loader, tmp_path):
    path = tmp_path / "run.safetensors"
    fit(fresh_recipe(latent_dim=8), loader, TrainConfig(steps=3, checkpoint=path, progress=False))
    with pytest.raises(CheckpointError, match="trained with config .*'latent_dim': 8"):
        fit(fresh_recipe(4), loader, TrainConfig(steps=6, checkpoint=path, progress=False))


def test_resume_refuses_weights_only_and_truncated_files(loader, tmp_path):
    weights_only = save_model(VAE(latent_dim=8), tmp_path / "weights.safetensors")
    with pytest.raises(CheckpointError, match="weights only"):
        config = TrainConfig(steps=3, checkpoint=weights_only, progress=False)
        fit(fresh_recipe(), loader, config)
    path = tmp_path / "run.safetensors"
    fit(fresh_recipe(), loader, TrainConfig(steps=3, checkpoint=path, progress=False))
    path.write_bytes(path.read_bytes()[:-1000])
    with pytest.raises(CheckpointError, match="run.safetensors is not a readable safetensors"):
        fit(fresh_recipe(), loader, TrainConfig(steps=6, checkpoint=path, progress=False))


def test_resume_refuses_a_checkpoint_of_another_process_count(loader, tmp_path):
    recipe = fresh_recipe()
    states = [rng_state(torch.device("cpu")) for _ in range(2)]  # as 2 processes save
    path = save_model(recipe.model, tmp_path / "run.safetensors", [], recipe.optimizers, 1, states)
    with pytest.raises(CheckpointError, match="trained by 2 process.* and this run has 1"):
        fit(fresh_recipe(), loader, TrainConfig(steps=3, checkpoint=path, progress=False))


def test_fit_rejects_bad_arguments(loader):
    with pytest.raises(ValueError, match="steps must be a positive int"):
        fit(fresh_recipe(), loader, TrainConfig(steps=0))
    with pytest.raises(ValueError, match="every must be a positive int"):
        fit(fresh_recipe(), loader, TrainConfig(steps=5, every=0))
    with pytest.raises(ValueError, match="sample_every must be an int >= 0"):
        fit(fresh_recipe(), loader, TrainConfig(steps=5, sample_every=-1))


def test_sample_snapshots_leave_training_untouched(loader):
    plain, watched = fresh_recipe(), fresh_recipe()
    torch.manual_seed(1)
    fit(plain, loader, TrainConfig(steps=10, progress=False))
    samples = {}
    torch.manual_seed(1)
    fit(watched, loader, TrainConfig(steps=10, progress=False, sample_every=5), samples=samples)
    assert sorted(samples) == [5, 10] and samples[5].shape == (16, 1, 28, 28)
    assert not torch.equal(samples[5], samples[10])
    for a, b in zip(
        plain.model.state_dict().values(), watched.model.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)


def test_history_keeps_the_training_clock_across_a_resume(loader, tmp_path):
    path = tmp_path / "run.safetensors"
    config = TrainConfig(steps=6, checkpoint=path, every=3, progress=False)
    first = fit(fresh_recipe(), loader, config)
    clock = [h["seconds"] for h in first]
    assert all(0 < a < b for a, b in zip(clock, clock[1:], strict=False))
    history = fit(fresh_recipe(), loader, TrainConfig(steps=9, checkpoint=path, progress=False))
    assert [h["seconds"] for h in history[:6]] == clock
    assert history[6]["seconds"] > clock[-1]
