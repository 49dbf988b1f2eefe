"""Training throughput (images/s) on real MNIST batches: each model through hvg's engine, and
DCGAN also through a plain loop in the PyTorch DCGAN tutorial's style, to show what the
engine's bookkeeping costs.

Run: python bench/train_throughput.py [--steps N] [--batch-size B] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

from hvg.data import get_dataloader
from hvg.models import DCGAN, VAE
from hvg.recipes.dcgan import dcgan_recipe
from hvg.recipes.vae import vae_recipe
from hvg.train import Recipe, fit


def timed(
    runs: dict[str, Callable[[int], None]], steps: int, batch_size: int, repeats: int
) -> dict[str, float]:
    """Median images/s of each `run(steps)`, the runs interleaved so drift hits all alike."""
    for run in runs.values():
        run(5)  # warm-up
    rates: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run(steps)
            rates[name].append(steps * batch_size / (time.perf_counter() - start))
    return {name: statistics.median(r) for name, r in rates.items()}


def engine(recipe: Recipe, loader) -> Callable[[int], None]:
    """Steps through hvg.train.fit (no checkpoint, no progress bar)."""
    return lambda steps: fit(recipe, loader, steps, progress=False) and None


def plain_dcgan(model: DCGAN, loader) -> Callable[[int], None]:
    """The tutorial's loop: D on real then fake, then G, with BCE and Adam(0.5, 0.999)."""
    g, d = model.generator, model.discriminator
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))

    def run(steps: int) -> None:
        data = iter(loader)
        for _ in range(steps):
            real = next(data)[0]
            d.zero_grad()
            out = d(real)
            F.binary_cross_entropy_with_logits(out, torch.ones_like(out)).backward()
            fake = g(torch.randn(len(real), model.latent_dim))
            out = d(fake.detach())
            F.binary_cross_entropy_with_logits(out, torch.zeros_like(out)).backward()
            opt_d.step()
            g.zero_grad()
            out = d(fake)
            F.binary_cross_entropy_with_logits(out, torch.ones_like(out)).backward()
            opt_g.step()

    return run


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--steps", type=int, default=100)
    args.add_argument("--batch-size", type=int, default=128)
    args.add_argument("--repeats", type=int, default=5)
    args.add_argument("--out", help="also write the results to this JSON file")
    opts = args.parse_args()
    loader = get_dataloader(
        "mnist", batch_size=opts.batch_size, limit=opts.batch_size * (opts.steps + 10)
    )
    torch.manual_seed(0)
    rates = timed(
        {
            "vae_engine_images_per_s": engine(vae_recipe(VAE()), loader),
            "dcgan_engine_images_per_s": engine(dcgan_recipe(DCGAN()), loader),
            "dcgan_plain_loop_images_per_s": plain_dcgan(DCGAN(), loader),
        },
        opts.steps, opts.batch_size, opts.repeats,
    )  # fmt: skip
    results = {
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, "
        f"torch {torch.__version__}",
        "batch_size": opts.batch_size,
        "steps": opts.steps,
        "repeats (median reported)": opts.repeats,
        **rates,
    }
    results = {k: round(v) if isinstance(v, float) else v for k, v in results.items()}
    text = json.dumps(results, indent=2)
    print(text)
    if opts.out:
        with open(opts.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
