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

import argparse
import json
import sys
from pathlib import Path

import torch

from hvg.metrics import evaluate, mse, sharpness
from hvg.metrics.cache import real_images
from hvg.reports import earlier_report, merged_runs, seed_spread
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


def measure(sizes: dict, options: dict, steps: int, n: int, inception_n: int, seed: int) -> dict:
    """Train one VAE with `sizes`, `options` and `seed`; score its prior samples and
    reconstructions."""
    config = TrainConfig(steps=steps, seed=seed, sizes=sizes, options=options, progress=False)
    model, history = train_model("vae", config)
    model.eval()
    real = real_images("mnist", REFERENCE, n, None)
    with torch.no_grad():
        recon = torch.cat([model.decode(model.encode(b)) for b in real.split(500)])
    domain = evaluate(model, n=n, split=REFERENCE, progress=False)
    scores = {k: domain[k] for k in ("fid", "precision", "recall")}
    if inception_n:
        inception = evaluate(
            model, n=inception_n, split=REFERENCE, features="inception", with_kid=True,
            progress=False,
        )  # fmt: skip
        scores |= {"fid_inception": inception["fid"], "kid_inception": inception["kid"]}
    return {
        **scores,
        "recon_mse": mse(recon, real),
        "recon_sharpness": sharpness(recon),
        "parameters": sum(p.numel() for p in model.parameters()),
        "seconds": history[-1]["seconds"],
    }


COLUMNS = [("fid", "{:.2f}", 1), ("precision", "{:.3f}", 1), ("recall", "{:.3f}", 1),
           ("fid_inception", "{:.1f}", 1), ("kid_inception", "{:.1f}", 1000),
           ("recon_mse", "{:.4f}", 1), ("recon_sharpness", "{:.3f}", 1)]  # fmt: skip


def table(report: dict) -> str:
    """Mean ± standard deviation over seeds of each option, as bench/README.md shows it."""
    lines = [
        "| options | parameters | FID (domain) | precision | recall | FID (Inception, "
        f"{report['settings']['inception_n']:,}) | KID x 1000 (Inception) | recon MSE "
        "| recon sharpness | training (min) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, scores in report["summary"].items():
        run = next(r for r in report["runs"] if r["key"] == key)
        cells = [
            f"{fmt.format(scale * scores[k]['mean'])} ± {fmt.format(scale * scores[k]['std'])}"
            for k, fmt, scale in COLUMNS
        ]
        minutes = scores["seconds"]["mean"] / 60
        lines.append(
            f"| {run['label']} | {run['parameters']:,} | "
            + " | ".join(cells)
            + f" | {minutes:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--steps", type=int, default=10_000, help="the shipped VAE's 10,000")
    args.add_argument("--n", type=int, default=5000, help="samples and training digits scored")
    args.add_argument("--inception-n", type=int, default=1000, help="... with TF-Inception")
    args.add_argument("--runs", nargs="+", choices=list(RUNS), default=list(RUNS))
    args.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    args.add_argument("--out", type=Path, help="write the results here (after every run)")
    args.add_argument("--append", action="store_true", help="add to the runs in --out")
    opts = args.parse_args()
    settings = {"steps": opts.steps, "n": opts.n, "inception_n": opts.inception_n,
                "reference": REFERENCE}  # fmt: skip
    command = " ".join(["python bench/vae_options.py", *sys.argv[1:]])
    if opts.append and (not opts.out or earlier_report(opts.out, settings) is None):
        args.error("--append needs an --out measured with the same --steps, --n, --inception-n")
    mine = []
    for key in opts.runs:
        label, sizes, options = RUNS[key]
        for seed in opts.seeds:
            scores = measure(sizes, options, opts.steps, opts.n, opts.inception_n, seed)
            mine.append({"key": key, "label": label, "sizes": sizes, "options": options,
                         "seed": seed, **scores})  # fmt: skip
            print(json.dumps(mine[-1]), flush=True)
            if opts.out:
                runs, commands = merged_runs(opts.out, settings, mine, command, opts.append)
                report = {
                    "what": "VAE options over seeds: N(0, I) samples of each, scored against "
                    "training digits at random (seed 0)",
                    "machine": f"{torch.get_num_threads()} threads, torch {torch.__version__}",
                    "command": commands,
                    "settings": settings,
                    "runs": runs,
                    "summary": seed_spread(runs),
                }
                opts.out.write_text(json.dumps(report, indent=2) + "\n")
    if opts.out:
        print(table(report))


if __name__ == "__main__":
    main()
