"""Training throughput (images/s) of the course's models on real MNIST batches.

Run: python bench/train_throughput.py [--steps N] [--batch-size B]
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import torch

from hvg.data import get_dataloader
from hvg.models import VAE
from hvg.train import fit, vae_step


def vae_images_per_second(steps: int, batch_size: int) -> float:
    """Time `steps` VAE training steps after 5 warm-up steps."""
    loader = get_dataloader("mnist", batch_size=batch_size, limit=batch_size * (steps + 5))
    torch.manual_seed(0)
    model = VAE()
    step = vae_step(model, torch.optim.Adam(model.parameters(), lr=1e-3))
    fit(step, loader, 5, progress=False)
    start = time.perf_counter()
    fit(step, loader, steps, progress=False)
    return steps * batch_size / (time.perf_counter() - start)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--steps", type=int, default=100)
    args.add_argument("--batch-size", type=int, default=128)
    opts = args.parse_args()
    result = {
        "machine": f"{platform.processor() or platform.machine()}, "
        f"{torch.get_num_threads()} threads, torch {torch.__version__}",
        "vae_train_images_per_s": round(vae_images_per_second(opts.steps, opts.batch_size)),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
