"""Training throughput (images/s) on real MNIST batches: each model through hvg's engine as it
is, and with one speed-up at a time (channels_last, foreach or fused Adam, torch.compile); DCGAN
also through a plain loop in the PyTorch DCGAN tutorial's style, to show what the engine's
bookkeeping costs.

Every variant first trains a fresh, seeded model for a few steps: that run says whether its
weights come out bit-identical to the engine's, and its time, less the same steps at the
steady rate, is reported as compile (warm-up) time. Then all variants of a model run
interleaved; the median rate over the repeats is reported, with its spread (max - min, in % of
the median) as the run-to-run noise.

Run: python bench/train_throughput.py [--steps N] [--repeats R] [--batch-size B] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import statistics
import sys
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from hvg.data import get_dataloader
from hvg.models import DCGAN, VAE
from hvg.recipes.base import Recipe
from hvg.recipes.dcgan import dcgan_recipe, dcgan_step
from hvg.recipes.vae import vae_recipe, vae_step
from hvg.train import TrainConfig, fit

VARIANTS = ("engine", "channels_last", "foreach_adam", "fused_adam", "compile")
CHECK_STEPS = 10  # the seeded run that checks bit-identity and times compilation


def with_adam(name: str, model: nn.Module, **adam: bool) -> Recipe:
    """The model's recipe (same step, same hyper-parameters) with Adam built with `adam`."""
    if name == "vae":
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, **adam)
        return Recipe(model, {"adam": opt}, vae_step(model, opt))
    betas = (0.5, 0.999)
    d = torch.optim.Adam(model.discriminator.parameters(), lr=2e-4, betas=betas, **adam)
    g = torch.optim.Adam(model.generator.parameters(), lr=2e-4, betas=betas, **adam)
    return Recipe(model, {"discriminator": d, "generator": g}, dcgan_step(model, d, g))


def build(name: str, variant: str) -> Recipe:
    """A freshly seeded model and its recipe, changed by `variant` alone."""
    torch.manual_seed(0)
    model = VAE() if name == "vae" else DCGAN()
    if variant == "channels_last":
        model.to(memory_format=torch.channels_last)
    if variant == "compile":
        for net in model.children():
            net.compile()  # in place: state_dict keys stay as they are
    if variant in ("foreach_adam", "fused_adam"):
        return with_adam(name, model, **{variant.removesuffix("_adam"): True})
    return (vae_recipe if name == "vae" else dcgan_recipe)(model)


def check(recipes: dict[str, Recipe], loader) -> tuple[dict[str, bool], dict[str, float]]:
    """Train each recipe CHECK_STEPS seeded steps: (bit-identical to `engine`?, seconds)."""
    seconds, weights = {}, {}
    for variant, recipe in recipes.items():
        torch.manual_seed(1)
        start = time.perf_counter()
        fit(recipe, loader, TrainConfig(steps=CHECK_STEPS, progress=False))
        seconds[variant] = time.perf_counter() - start
        weights[variant] = recipe.model.state_dict()
    same = {
        variant: all(torch.equal(w[key], weights["engine"][key]) for key in w)
        for variant, w in weights.items()
    }
    return same, seconds


def timed(
    runs: dict[str, Callable[[int], None]], steps: int, batch_size: int, repeats: int
) -> dict[str, list[float]]:
    """Images/s of each `run(steps)`, `repeats` times, interleaved so drift hits all alike."""
    for run in runs.values():
        run(5)  # warm-up
    rates: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run(steps)
            rates[name].append(steps * batch_size / (time.perf_counter() - start))
    return rates


def engine(recipe: Recipe, loader) -> Callable[[int], None]:
    """Steps through hvg.train.fit (no checkpoint, no progress bar)."""
    return lambda steps: fit(recipe, loader, TrainConfig(steps=steps, progress=False)) and None


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


def bench_model(name: str, loader, opts: argparse.Namespace) -> dict[str, dict]:
    """Every variant of one model: images/s, compile seconds, bit-identical to the engine."""
    recipes = {variant: build(name, variant) for variant in VARIANTS}
    same, first = check(recipes, loader)
    runs = {variant: engine(recipe, loader) for variant, recipe in recipes.items()}
    if name == "dcgan":
        torch.manual_seed(0)
        runs["plain_loop"] = plain_dcgan(DCGAN(), loader)
    rates = timed(runs, opts.steps, opts.batch_size, opts.repeats)
    results = {}
    for variant, repeats in rates.items():
        rate = statistics.median(repeats)
        spread = 100 * (max(repeats) - min(repeats)) / rate
        results[variant] = {"images_per_s": round(rate), "spread_pct": round(spread)}
        if variant in same:
            results[variant]["bit_identical_to_engine"] = same[variant]
        if variant == "compile":
            steady = CHECK_STEPS * opts.batch_size / rate
            results[variant]["compile_s"] = round(first[variant] - steady, 1)
    return results


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
    results = {
        "command": shlex.join(["python", "bench/train_throughput.py", *sys.argv[1:]]),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, "
        f"torch {torch.__version__}",
        "batch_size": opts.batch_size,
        "steps": opts.steps,
        "repeats (median reported)": opts.repeats,
        **{name: bench_model(name, loader, opts) for name in ("vae", "dcgan")},
    }
    text = json.dumps(results, indent=2)
    print(text)
    if opts.out:
        with open(opts.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
