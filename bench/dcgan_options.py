"""DCGAN options over seeds: which of the field's remedies moves the shipped DCGAN's samples
towards the published numbers (issue 14: two time-scale learning rates, a spectrally
normalised discriminator, a wider network), each measured against the shipped recipe.

Every run trains `hvg.run.train_model("dcgan", ...)` (what `python -m hvg train dcgan` runs)
for the same steps and batch, with one change, then scores its samples against training digits
drawn at random (seed 0): model selection never looks at the test set. Domain FID, precision and
recall on --n of them; TF-Inception FID and KID on --inception-n (KID is unbiased at small n;
FID is comparable only at the same n). A budget of 3,000 steps (under a fifth of the shipped
DCGAN's 16,000) with Inception scores on 500 samples ranks the options, it does not give a
shipped model's score. Two processes of one thread each use 2 CPU cores best (`--append`).

Run: python bench/dcgan_options.py --steps 3000 --inception-n 500 --out bench/dcgan_options.json
Options in separate processes, one report: ... --runs sn --seeds 0 --out ... --append
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:  # run as `python bench/NAME.py`: the bench package is in the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.studies import options_study, options_table, sample_scores
from hvg.run import train_model
from hvg.train import TrainConfig

RUNS = {  # key: (label, model sizes, recipe options): the shipped DCGAN, then one change each
    "shipped": ("shipped: width 32, batch norm in D, lr 2e-4 for both", {}, {}),
    "ttur": (
        "TTUR: G at 1e-4, D at 4e-4 (Heusel et al. 2017)", {}, {"lr": 1e-4, "d_lr_scale": 4.0}
    ),
    "sn": ("spectral norm in D, no batch norm (Miyato et al. 2018)", {"spectral_norm": True}, {}),
    "width64": ("width 64 (4x the convolutions' weights)", {"width": 64}, {}),
}  # fmt: skip
REFERENCE = "train"
WHAT = (
    "DCGAN options over seeds: samples of each, scored against training digits at random (seed 0)"
)
COLUMNS = [
    ("fid", "{:.2f}", 1),
    ("precision", "{:.3f}", 1),
    ("recall", "{:.3f}", 1),
    ("fid_inception", "{:.1f}", 1),
    ("kid_inception", "{:.1f}", 1000),
]


def measure(sizes: dict, options: dict, steps: int, n: int, inception_n: int, seed: int) -> dict:
    """Train one DCGAN with `sizes`, `options` and `seed`; score its samples."""
    config = TrainConfig(steps=steps, seed=seed, sizes=sizes, options=options, progress=False)
    model, history = train_model("dcgan", config)
    model.eval()
    scores = sample_scores(model, n, inception_n, REFERENCE)
    return {
        **scores,
        "parameters": sum(p.numel() for p in model.parameters()),
        "seconds": history[-1]["seconds"],
    }


def table(report: dict) -> str:
    """Mean ± standard deviation over seeds of each option, as bench/README.md shows it."""
    return options_table(report, COLUMNS)


def main() -> None:
    options_study(
        __doc__,
        WHAT,
        RUNS,
        measure,
        table,
        (3000, "under a fifth of the shipped 16,000"),
        ["shipped", "ttur", "sn"],
    )


if __name__ == "__main__":
    main()
