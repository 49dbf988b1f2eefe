"""VAE-GAN options, each trained the same way and measured: from the paper's settings to the
shipped ones, one change at a time.

Every run trains `hvg.run.train_model("vaegan", ...)` (what `python -m hvg train vaegan` runs) for
the same steps, batch and seed, then scores prior samples (domain FID, precision, recall) and the
reconstructions of held-out digits (domain FID, pixel MSE, sharpness) on --n test images.

Run: python bench/vaegan_options.py [--steps 3000] [--n 2000] [--out bench/vaegan_options.json]
"""

from __future__ import annotations

import argparse
import json
import platform

import torch

from hvg.data import load_dataset
from hvg.metrics import evaluate, mse, sharpness
from hvg.pretrained import SHIPPED
from hvg.run import train_model
from hvg.train import TrainConfig

SHIPPED_OPTIONS = SHIPPED["vaegan"]["options"]
RUNS = [  # (label, recipe options): the paper first, then one change at a time
    ("the paper: minimax, gamma 1", {}),
    ("non-saturating decoder loss", {"generator": "non-saturating"}),
    ("... and gamma 1e-3", {"generator": "non-saturating", "gamma": 1e-3}),
    ("... and beta 10 (shipped)", SHIPPED_OPTIONS),
    ("shipped, reconstruction in pixels", {**SHIPPED_OPTIONS, "recon": "pixel"}),
    ("shipped, with equilibrium gating (margin 0.35)", {**SHIPPED_OPTIONS, "margin": 0.35}),
]


def measure(options: dict, steps: int, n: int) -> dict:
    """Train one VAE-GAN with `options` and score its samples and reconstructions."""
    batch_size = SHIPPED["vaegan"]["batch_size"]
    config = TrainConfig(steps=steps, batch_size=batch_size, options=options)
    model, history = train_model("vaegan", config)
    real = load_dataset("mnist", "test").tensors[0][:n]
    with torch.no_grad():
        recon = torch.cat([model.reconstruct(b) for b in real.split(500)])
    samples, recons = evaluate(model, n=n, progress=False), evaluate(recon, n=n, progress=False)
    return {
        "fid": samples["fid"],
        "precision": samples["precision"],
        "recall": samples["recall"],
        "recon_fid": recons["fid"],
        "recon_mse": mse(recon, real),
        "recon_sharpness": sharpness(recon),
        "seconds": history[-1]["seconds"],
    }


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--steps", type=int, default=3000)
    args.add_argument("--n", type=int, default=2000, help="test images and samples scored")
    args.add_argument("--out", help="write the results to this JSON file")
    opts = args.parse_args()
    runs = []
    for label, options in RUNS:
        result = {"label": label, "options": options, **measure(options, opts.steps, opts.n)}
        print(json.dumps(result), flush=True)
        runs.append(result)
    real = load_dataset("mnist", "test").tensors[0][: opts.n]
    report = {
        "what": f"VAE-GAN on MNIST, {opts.steps} steps each (batch "
        f"{SHIPPED['vaegan']['batch_size']}, seed 0); domain FID of {opts.n} prior samples and "
        f"of the reconstructions of {opts.n} test digits (test digits' sharpness: "
        f"{sharpness(real):.4f})",
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, "
        f"torch {torch.__version__}",
        "command": f"python bench/vaegan_options.py --steps {opts.steps} --n {opts.n}",
        "runs": runs,
    }
    if opts.out:
        with open(opts.out, "w") as f:
            f.write(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
