"""VAE options over seeds: what moves the shipped VAE's N(0, I) samples towards the published
numbers (issue 14: a larger latent, a wider network, a Gaussian decoder with the optimal scale),
each measured against the shipped recipe.

Every run trains `hvg.run.train_model("vae", ...)` (what `python -m hvg train vae` runs) for
the same steps and batch, with one change of size or likelihood, then scores N(0, I) prior
samples against training digits drawn at random (seed 0): model selection never looks at the
test set. Domain FID, precision and recall on --n of them; TF-Inception FID and KID on
--inception-n (KID is unbiased at small n; FID is comparable only at the same n); the
reconstructions' pixel MSE and sharpness on --n training digits.

Run: python bench/vae_options.py --runs shipped latent32 --seeds 0 1 2 --out bench/vae_options.json
Options in separate processes, one report: ... --runs width64 --seeds 0 --out ... --append
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:  # run as `python bench/NAME.py`: the bench package is in the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from bench.studies import options_study, options_table, sample_scores
from hvg.metrics import mse, sharpness
from hvg.metrics.cache import real_images
from hvg.run import train_model
from hvg.train import TrainConfig

RUNS = {  # key: (label, model sizes, recipe options): the shipped VAE, then one change each
    "shipped": ("shipped: 16-d latent, width 32", {}, {}),
    "latent32": ("32-d latent", {"latent_dim": 32}, {}),
    "width64": ("width 64 (4x the convolutions' weights)", {"width": 64}, {}),
    "sigma": (
        "Gaussian likelihood, optimal scale (sigma-VAE, Rybkin et al. 2021)",
        {}, {"likelihood": "gaussian"},
    ),
}  # fmt: skip
REFERENCE = "train"
WHAT = (
    "VAE options over seeds: N(0, I) samples of each, scored against training digits at random "
    "(seed 0)"
)


def measure(sizes: dict, options: dict, steps: int, n: int, inception_n: int, seed: int) -> dict:
    """Train one VAE with `sizes`, `options` and `seed`; score its prior samples and
    reconstructions."""
    config = TrainConfig(steps=steps, seed=seed, sizes=sizes, options=options, progress=False)
    model, history = train_model("vae", config)
    model.eval()
    real = real_images("mnist", REFERENCE, n, None)
    with torch.no_grad():
        recon = torch.cat([model.decode(model.encode(b)) for b in real.split(500)])
    scores = sample_scores(model, n, inception_n, REFERENCE)
    return {
        **scores,
        "recon_mse": mse(recon, real),
        "recon_sharpness": sharpness(recon),
        "parameters": sum(p.numel() for p in model.parameters()),
        "seconds": history[-1]["seconds"],
    }


COLUMNS = [
    ("fid", "{:.2f}", 1),
    ("precision", "{:.3f}", 1),
    ("recall", "{:.3f}", 1),
    ("fid_inception", "{:.1f}", 1),
    ("kid_inception", "{:.1f}", 1000),
    ("recon_mse", "{:.4f}", 1),
    ("recon_sharpness", "{:.3f}", 1),
]


def table(report: dict) -> str:
    """Mean ± standard deviation over seeds of each option, as bench/README.md shows it."""
    return options_table(report, COLUMNS)


def main() -> None:
    options_study(
        __doc__, WHAT, RUNS, measure, table, (10_000, "the shipped VAE's 10,000"), list(RUNS)
    )


if __name__ == "__main__":
    main()
