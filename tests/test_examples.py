"""examples/train_dcgan.py, the read-me-first loop, runs and is the engine's DCGAN run unrolled."""

import subprocess
import sys
from pathlib import Path

import torch

from hvg.checkpoints import load_model
from hvg.run import train_model
from hvg.train import TrainConfig

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "train_dcgan.py"


def test_the_flat_dcgan_script_trains_to_the_engines_weights(tmp_path):
    args = ["--steps", "6", "--batch-size", "16", "--limit", "64", "--out", str(tmp_path)]
    result = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "step     6  loss_d" in result.stdout
    assert (tmp_path / "samples.png").stat().st_size > 0
    flat = load_model(tmp_path / "dcgan-mnist.safetensors", expect="dcgan")
    # 64 images in batches of 16: 6 steps cross an epoch, so the data order matters too.
    engine, _ = train_model("dcgan", TrainConfig(steps=6, batch_size=16, limit=64, progress=False))
    for (name, a), b in zip(flat.state_dict().items(), engine.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
