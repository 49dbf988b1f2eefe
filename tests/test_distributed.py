"""Several processes: the real CLI under torchrun (2 CPU processes on gloo), synchronised
gradients, exact resume; and the single-process answers of hvg.distributed."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from hvg import distributed
from hvg.checkpoints import load_history, read_metadata
from hvg.models import VAE

TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": "", "TQDM_DISABLE": "1"}
TINY = ("--limit", "64", "--batch-size", "8", "--steps", "4", "--checkpoint-every", "2")


def run(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, env=ENV, timeout=300)
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.parametrize("model", ["vae", "dcgan", "vaegan"])
def test_cli_trains_under_torchrun_and_samples(model, tmp_path):
    result = run(
        *TORCHRUN, "-m", "hvg", "train", model, *TINY, "--sample-every", "2", "--out", str(tmp_path)
    )
    assert result.stdout.count("wrote") == 1  # rank 0 alone prints
    checkpoint = tmp_path / f"{model}-mnist.safetensors"
    metadata = read_metadata(checkpoint)
    assert metadata["world_size"] == "2" and metadata["step"] == "4"
    assert metadata["command"].startswith(f"torchrun --nproc_per_node 2 -m hvg train {model}")
    assert len(load_history(checkpoint)) == 4
    assert {p.name for p in tmp_path.iterdir()} == {checkpoint.name, f"{model}-mnist-samples"}
    grids = sorted((tmp_path / f"{model}-mnist-samples").iterdir())
    assert [p.name for p in grids] == ["step-000002.png", "step-000004.png"]
    assert Image.open(grids[0]).size == (244, 244)

    run(
        sys.executable,
        "-m",
        "hvg",
        "sample",
        str(checkpoint),
        "-n",
        "3",
        "-o",
        str(tmp_path / "s.npz"),
    )
    assert np.load(tmp_path / "s.npz")["images"].shape == (3, 1, 28, 28)


def test_gradients_are_synchronised_and_resume_is_exact(tmp_path):
    script = Path(__file__).with_name("ddp_sync.py")
    ranks = json.loads(run(*TORCHRUN, str(script), str(tmp_path)).stdout.splitlines()[-1])
    assert len(ranks) == 2
    for name in ("vae", "dcgan", "vaegan"):
        assert ranks[0]["synced"][name] == ranks[1]["synced"][name], f"{name}: ranks differ"
        assert ranks[0]["alone"][name] != ranks[1]["alone"][name], f"{name}: shards alike"
        assert all(r["synced"][name] != r["alone"][name] for r in ranks), name
    assert all(r["averaged"] for r in ranks), "D's two forwards: gradient is not the mean"
    assert all(r["resumed"] for r in ranks), "the resumed run differs from the whole one"


def test_single_process_answers():
    model = VAE(latent_dim=4)
    assert distributed.world_size() == 1 and distributed.rank() == 0 and distributed.is_main()
    losses = {"loss": 1.25, "kl": 0.5}
    assert distributed.average(losses) is losses
    assert distributed.gather("x") == ["x"]
    assert distributed.device() == torch.device("cuda" if torch.cuda.is_available() else "cpu")
    before = [p.clone() for p in model.parameters()]
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    with distributed.launched(), distributed.synchronised([optimizer]):
        distributed.broadcast_(model)
        assert distributed.world_size() == 1
        assert not optimizer._optimizer_step_pre_hooks  # one process: nothing to average
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
