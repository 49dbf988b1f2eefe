"""The three conditional models side by side, with the same budget (notebook 07's table).

Each of cvae, cgan and cvaegan is trained by `hvg.run.train_model` for the same steps and batch
size from seed 0 (a run resumes from, or reuses, RUNS/NAME-mnist.safetensors, which is where
`python -m hvg train NAME --out RUNS` writes, so the shipped cvaegan's run counts as its
own), then measured with the shipped classifier's features (hvg.metrics.conditional):

- accuracy: how often the classifier reads a sample as the class it was asked for
  (1,000 samples per class);
- FID and KID of those 10,000 samples against all 10,000 test digits, and FID per class
  against the test digits of that class (about 1,000 each, so per-class FIDs carry a larger
  bias than the overall one: compare them between models, not with the overall FID);
- style: 2,000 test digits translated to a random other class; the mean feature distance
  from exemplar to translation over that to a random test digit of the target class (below
  1: the style is kept), and how often the translation reads as its target;
- training time (data and steps, from the run's history).

Run: python bench/conditional.py --out bench/conditional.json   (about 35 min on 2 CPU cores,
     most of it training the cvaegan; with RUNS/ already trained, about a minute)
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import torch

from hvg.data import load_dataset
from hvg.metrics.conditional import conditional_scores, style_kept
from hvg.metrics.domain import load_domain
from hvg.reports import conditional_table
from hvg.run import train_model
from hvg.train import TrainConfig

MODELS = ("cvae", "cgan", "cvaegan")
# The hybrid's options are the shipped VAE-GAN's (checkpoints/README.md) plus the authors'
# equilibrium gating, the best of bench/vaegan_options.json; the baselines keep their own.
OPTIONS = {"cvaegan": {"generator": "non-saturating", "gamma": 1e-3, "beta": 10.0, "margin": 0.35}}


def measure(name: str, steps: int, batch_size: int, runs: Path) -> dict:
    """Train (or reuse) `name` and measure it."""
    config = TrainConfig(
        steps=steps, batch_size=batch_size, options=OPTIONS.get(name, {}),
        checkpoint=runs / f"{name}-mnist.safetensors", progress=False,
    )  # fmt: skip
    model, history = train_model(name, config)
    extractor = load_domain("mnist")
    images, labels = load_dataset("mnist", "test").tensors
    scores = conditional_scores(model, extractor, images, labels)
    style = style_kept(model, extractor, images[:2000], labels[:2000]) if name != "cgan" else None
    return {
        "model": name, "steps": steps, "batch_size": batch_size,
        "options": OPTIONS.get(name, {}), "train_seconds": history[-1]["seconds"],
        "parameters": sum(p.numel() for p in model.parameters()), **scores, "style": style,
    }  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=5000)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--runs", type=Path, default=Path("runs"))
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    p.add_argument("--out", type=Path, default=Path("bench/conditional.json"))
    args = p.parse_args()
    rows = [measure(name, args.steps, args.batch_size, args.runs) for name in args.models]
    report = {
        "what": __doc__.splitlines()[0],
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, "
        f"torch {torch.__version__}",
        "command": f"python bench/conditional.py --steps {args.steps} --batch-size "
        f"{args.batch_size}",
        "rows": rows,
    }
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(conditional_table(rows))


if __name__ == "__main__":
    main()
