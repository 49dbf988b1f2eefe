"""Run by tests/test_distributed.py under torchrun: are the gradients really synchronised?

Each process trains the VAE and DCGAN a few steps on its own shard, first alone (before joining
the process group), then again from the same start in one process group; it also checks
that D's gradient after two forwards and one backward steps as the mean of every process's, and
that a 2-process run stopped and resumed ends as the same run never stopped. Rank 0 prints every
rank's results as one JSON line. Usage: torchrun --nproc_per_node 2 tests/ddp_sync.py TMP_DIR
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import torch
import torch.distributed as dist
from safetensors.torch import load_file
from torch import nn

from hvg import distributed
from hvg.config import seed_everything
from hvg.data import get_dataloader
from hvg.losses import discriminator_loss
from hvg.models import DCGAN
from hvg.registry import REGISTRY, build_model
from hvg.run import train_model
from hvg.train import TrainConfig, fit

RANK, WORLD = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
SMALL = {"vae": {"latent_dim": 4}, "dcgan": {"width": 8}, "vaegan": {"latent_dim": 4, "width": 4}}


def digest(model: nn.Module) -> str:
    """A hash of the model's parameters: equal digests mean bit-identical weights."""
    h = hashlib.sha256()
    for p in model.parameters():
        h.update(p.detach().numpy().tobytes())
    return h.hexdigest()[:16]


def train(name: str) -> str:
    """Train `name` 4 steps on this rank's shard with its own noise; the weights' digest."""
    loader = get_dataloader("mnist", batch_size=8, limit=64, rank=RANK, world_size=WORLD)
    seed_everything(0)
    model = build_model(name, **SMALL[name])
    seed_everything(100 + RANK)
    fit(REGISTRY[name].recipe(model), loader, TrainConfig(steps=4, progress=False))
    return digest(model)


def double_forward_is_averaged() -> bool:
    """D(real) and D(fake), one backward, then D's optimizer steps under `synchronised`: did it
    step with the mean of each rank's gradient?"""
    seed_everything(0)
    model = DCGAN(width=8)
    seed_everything(100 + RANK)
    real, fake = torch.rand(8, 1, 28, 28) * 2 - 1, model.generator(torch.randn(8, 100)).detach()
    d = model.discriminator
    discriminator_loss(d(real), d(fake)).backward()
    expected = [p.grad.clone() for p in d.parameters()]
    for grad in expected:
        dist.all_reduce(grad)
        grad /= WORLD
    optimizer = torch.optim.SGD(d.parameters(), lr=0.0)
    with distributed.synchronised([optimizer]):
        optimizer.step()
    return all(torch.equal(p.grad, e) for p, e in zip(d.parameters(), expected, strict=True))


def resumes_exactly(folder: Path) -> bool:
    """DCGAN trained 6 steps in one go, and 3 then resumed to 6: the same checkpoint?"""
    runs = {"whole": [6], "stopped": [3, 6]}
    for run, stops in runs.items():
        for steps in stops:
            torch.manual_seed(999)  # what happens in between must not matter
            config = TrainConfig(
                steps=steps,
                batch_size=8,
                limit=64,
                every=2,
                progress=False,
                checkpoint=folder / f"{run}.safetensors",
            )
            train_model("dcgan", config)
    distributed.barrier()  # rank 0 may still be writing
    whole, resumed = (load_file(folder / f"{run}.safetensors") for run in runs)
    return "__rng__.1" in whole and all(torch.equal(whole[k], resumed[k]) for k in whole)


def main() -> None:
    alone = {name: train(name) for name in SMALL}
    with distributed.launched():
        synced = {name: train(name) for name in SMALL}
        averaged = double_forward_is_averaged()
        resumed = resumes_exactly(Path(sys.argv[1]))
        results = {"alone": alone, "synced": synced, "averaged": averaged, "resumed": resumed}
        everyone = distributed.gather(results)
    if RANK == 0:
        print(json.dumps(everyone))


if __name__ == "__main__":
    main()
