"""VAE-GAN options, each trained the same way and measured: from the paper's settings to the
shipped ones, one change at a time.

Every run trains `hvg.run.train_model("vaegan", ...)` (what `python -m hvg train vaegan` runs) for
the same steps, batch and seed, then scores prior samples (domain FID, precision, recall) and the
reconstructions of real digits (domain FID, pixel MSE, sharpness) on --n images of --reference,
drawn at random (seed 0) as `hvg.metrics.evaluate` draws them.

Run: python bench/vaegan_options.py [--steps 3000] [--n 2000] [--out bench/vaegan_options.json]
Over seeds, scored against training images (model selection never looks at the test set):
     python bench/vaegan_options.py --runs shipped gating ttur --seeds 0 1 2 --reference train
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys

import torch

from hvg.metrics import evaluate, mse, sharpness
from hvg.metrics.cache import real_images
from hvg.pretrained import SHIPPED
from hvg.run import train_model
from hvg.train import TrainConfig

SHIPPED_OPTIONS = SHIPPED["vaegan"]["options"]
RUNS = {  # key: (label, recipe options): the paper first, then one change at a time
    "paper": ("the paper: minimax, gamma 1", {}),
    "non-saturating": ("non-saturating decoder loss", {"generator": "non-saturating"}),
    "gamma": ("... and gamma 1e-3", {"generator": "non-saturating", "gamma": 1e-3}),
    "shipped": ("... and beta 10 (shipped)", SHIPPED_OPTIONS),
    "pixel": ("shipped, reconstruction in pixels", {**SHIPPED_OPTIONS, "recon": "pixel"}),
    "gating": (
        "shipped, with equilibrium gating (margin 0.35)",
        {**SHIPPED_OPTIONS, "margin": 0.35},
    ),
    "ttur": (
        "shipped, TTUR: the discriminator at 4x the learning rate",
        {**SHIPPED_OPTIONS, "d_lr_scale": 4.0},
    ),
}
FIRST_STUDY = ["paper", "non-saturating", "gamma", "shipped", "pixel", "gating"]


def measure(options: dict, steps: int, n: int, seed: int = 0, reference: str = "test") -> dict:
    """Train one VAE-GAN with `options` and `seed`; score its samples and the reconstructions
    of n `reference` images (held out when "test"; "train" for choosing among options)."""
    batch_size = SHIPPED["vaegan"]["batch_size"]
    config = TrainConfig(steps=steps, batch_size=batch_size, seed=seed, options=options)
    model, history = train_model("vaegan", config)
    real = real_images("mnist", reference, n, None)
    with torch.no_grad():
        recon = torch.cat([model.reconstruct(b) for b in real.split(500)])
    samples = evaluate(model, n=n, split=reference, progress=False)
    recons = evaluate(recon, n=n, split=reference, progress=False)
    return {
        "fid": samples["fid"],
        "precision": samples["precision"],
        "recall": samples["recall"],
        "recon_fid": recons["fid"],
        "recon_mse": mse(recon, real),
        "recon_sharpness": sharpness(recon),
        "seconds": history[-1]["seconds"],
    }


def spread(runs: list[dict]) -> dict:
    """Mean and standard deviation over seeds of each score, for each option."""
    out = {}
    for key in dict.fromkeys(r["key"] for r in runs):
        rows = [r for r in runs if r["key"] == key]
        scores = [k for k, v in rows[0].items() if isinstance(v, float)]
        out[key] = {
            k: {
                "mean": statistics.mean(r[k] for r in rows),
                "std": statistics.pstdev(r[k] for r in rows),
            }
            for k in scores
        }
    return out


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--steps", type=int, default=3000)
    args.add_argument("--n", type=int, default=2000, help="test images and samples scored")
    args.add_argument("--runs", nargs="+", choices=list(RUNS), default=FIRST_STUDY)
    args.add_argument("--seeds", nargs="+", type=int, default=[0])
    args.add_argument("--reference", choices=("test", "train"), default="test")
    args.add_argument("--out", help="write the results to this JSON file")
    opts = args.parse_args()
    runs = []
    for key in opts.runs:
        label, options = RUNS[key]
        for seed in opts.seeds:
            scores = measure(options, opts.steps, opts.n, seed, opts.reference)
            result = {"key": key, "label": label, "options": options, "seed": seed, **scores}
            print(json.dumps(result), flush=True)
            runs.append(result)
    real = real_images("mnist", opts.reference, opts.n, None)
    report = {
        "what": f"VAE-GAN on MNIST, {opts.steps} steps each (batch "
        f"{SHIPPED['vaegan']['batch_size']}, seeds {', '.join(map(str, opts.seeds))}); domain "
        f"FID of {opts.n} prior samples and of the reconstructions of {opts.n} "
        f"{opts.reference} digits at random (seed 0) (their sharpness: {sharpness(real):.4f})",
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, "
        f"torch {torch.__version__}",
        "command": " ".join(["python bench/vaegan_options.py", *sys.argv[1:]]),
        "runs": runs,
    }
    if len(opts.seeds) > 1:
        report["summary"] = spread(runs)
    if opts.out:
        with open(opts.out, "w") as f:
            f.write(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
