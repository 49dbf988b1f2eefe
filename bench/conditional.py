"""The three conditional models side by side, with the same budget (notebook 07's table).

Each of cvae, cgan and cvaegan (with beta 10, the shipped VAE-GAN's, and the paper's beta 1) is
trained by `hvg.run.train_model` for the same steps and batch size from seed 0 (a run resumes
from, or reuses, RUNS/SUB/NAME-mnist.safetensors, which is where `python -m hvg train NAME
--out RUNS/SUB` writes, so the CLI's runs count as the bench's own), then measured with the
shipped classifier's features (hvg.metrics.conditional):

- accuracy: how often the classifier reads a sample as the class it was asked for
  (1,000 samples per class);
- FID and KID of those 10,000 samples against all 10,000 test digits, and FID per class
  against the test digits of that class (about 1,000 each, so per-class FIDs carry a larger
  bias than the overall one: compare them between models, not with the overall FID);
- style: 2,000 test digits translated to a random other class; the mean feature distance
  from exemplar to its translation over that to another exemplar's translation to the same
  class (below 1: the style is kept), and how often the translation reads as its target;
- code nats: the mean KL of the posterior from the prior, what the code can hold beyond the
  label;
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

from hvg.course.reports import conditional_table
from hvg.data import load_dataset
from hvg.metrics.conditional import code_information, conditional_scores, style_kept
from hvg.metrics.domain import load_domain
from hvg.recipes.base import preset
from hvg.recipes.vaegan import VAEGANOptions
from hvg.run import train_model
from hvg.train import TrainConfig

# The hybrid's options: the shipped VAE-GAN's (its preset, with the authors' equilibrium
# gating, the best of bench/vaegan_options.json); then the same with the paper's beta = 1,
# whose code may keep more style (the shipped conditional VAE-GAN's preset). The baselines
# keep their own recipes' defaults.
VARIANTS = {  # row -> (model, recipe options, sub-folder of RUNS: `train --out RUNS/SUB`)
    "cvae": ("cvae", {}, ""),
    "cgan": ("cgan", {}, ""),
    "cvaegan, beta 10": ("cvaegan", preset(VAEGANOptions, "shipped"), ""),
    "cvaegan, beta 1": ("cvaegan", preset(VAEGANOptions, "conditional"), "beta1"),
}


def measure(row: str, steps: int, batch_size: int, runs: Path) -> dict:
    """Train (or reuse) a variant and measure it."""
    name, options, sub = VARIANTS[row]
    config = TrainConfig(
        steps=steps,
        batch_size=batch_size,
        options=options,
        checkpoint=runs / sub / f"{name}-mnist.safetensors",
        progress=False,
    )
    model, history = train_model(name, config)
    extractor = load_domain("mnist")
    images, labels = load_dataset("mnist", "test").tensors
    scores = conditional_scores(model, extractor, images, labels)
    encodes = hasattr(model, "posterior")
    style = style_kept(model, extractor, images[:2000], labels[:2000]) if encodes else None
    nats = code_information(model, images[:2000], labels[:2000]) if encodes else None
    return {
        "model": row,
        "name": name,
        "steps": steps,
        "batch_size": batch_size,
        "options": options,
        "train_seconds": history[-1]["seconds"],
        "parameters": sum(p.numel() for p in model.parameters()),
        **scores,
        "style": style,
        "code_nats": nats,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=5000)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--runs", type=Path, default=Path("runs"))
    p.add_argument("--rows", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    p.add_argument("--out", type=Path, default=Path("bench/conditional.json"))
    args = p.parse_args()
    rows = [measure(row, args.steps, args.batch_size, args.runs) for row in args.rows]
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
