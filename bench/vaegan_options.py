"""VAE-GAN options, each trained the same way and measured: from the paper's settings to the
shipped ones (beta 10 with equilibrium gating), one change at a time.

Every run trains `hvg.run.train_model("vaegan", ...)` (what `python -m hvg train vaegan` runs) for
the same steps, batch and seed, then scores prior samples (domain FID, precision, recall) and the
reconstructions of real digits (domain FID, pixel MSE, sharpness) on --n images of --reference,
drawn at random (seed 0) as `hvg.metrics.evaluate` draws them.

Run: python bench/vaegan_options.py [--steps 3000] [--n 2000] [--out bench/vaegan_options.json]
Over seeds, scored against training images (model selection never looks at the test set):
     python bench/vaegan_options.py --steps 2000 --n 2000 --runs beta10 gating --seeds 0 1 2
         --reference train --out bench/vaegan_options_seeds.json [--append]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

if not __package__:  # run as `python bench/NAME.py`: the bench package is in the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from bench.studies import earlier_report, merged_runs, seed_spread
from hvg.course.pretrained import SHIPPED
from hvg.metrics import evaluate, mse, sharpness
from hvg.metrics.cache import real_images
from hvg.run import train_model
from hvg.train import TrainConfig

BETA10 = {"generator": "non-saturating", "gamma": 1e-3, "beta": 10.0}  # first shipped
GATING = {**BETA10, "margin": 0.35}  # shipped
NORMALISED = {**GATING, "normalise_features": True}
RUNS = {  # key: (label, model sizes, recipe options): the paper first, then one change at a time
    "paper": ("the paper: minimax, gamma 1", {}, {}),
    "non-saturating": ("non-saturating decoder loss", {}, {"generator": "non-saturating"}),
    "gamma": ("... and gamma 1e-3", {}, {"generator": "non-saturating", "gamma": 1e-3}),
    "beta10": ("... and beta 10 (first shipped)", {}, BETA10),
    "pixel": ("beta 10, reconstruction in pixels", {}, {**BETA10, "recon": "pixel"}),
    "gating": ("beta 10, equilibrium gating (margin 0.35; shipped)", {}, GATING),
    "ttur": ("beta 10, TTUR: the discriminator at 4x the learning rate", {},
             {**BETA10, "d_lr_scale": 4.0}),
    "ema": ("gating, decoder's weights averaged over ~250 steps (Yazici et al. 2019)", {"ema": 250},
            GATING),
    "normalised": ("gating, Dis_l features divided by the real batch's RMS", {}, NORMALISED),
    "sn": ("... and spectral norm in D, no batch norm (Miyato et al. 2018)",
           {"spectral_norm": True}, NORMALISED),
    "ema-normalised": ("gating, normalised Dis_l features and the decoder's average", {"ema": 250},
                       NORMALISED),
}  # fmt: skip
FIRST_STUDY = ["paper", "non-saturating", "gamma", "beta10", "pixel", "gating"]


def measure(
    sizes: dict, options: dict, steps: int, n: int, seed: int = 0, reference: str = "test"
) -> dict:
    """Train one VAE-GAN with `sizes`, `options` and `seed`; score its samples and the
    reconstructions of n `reference` images (held out when "test"; "train" for choosing)."""
    batch_size = SHIPPED["vaegan"]["batch_size"]
    config = TrainConfig(
        steps=steps, batch_size=batch_size, seed=seed, sizes=sizes, options=options
    )
    model, history = train_model("vaegan", config)
    real = real_images("mnist", reference, n, None)
    with torch.no_grad():
        recon = torch.cat([model.reconstruct(b) for b in real.split(500)])
    samples = evaluate(model, n=n, split=reference, progress=False)
    recons = evaluate(recon, n=n, split=reference, progress=False)
    live = {}
    if model.decoder_ema is not None:  # also the decoder itself, which trained as without ema
        model.decoder_ema = None
        live = {"live_fid": evaluate(model, n=n, split=reference, progress=False)["fid"]}
    return {
        **live,
        "fid": samples["fid"],
        "precision": samples["precision"],
        "recall": samples["recall"],
        "recon_fid": recons["fid"],
        "recon_mse": mse(recon, real),
        "recon_sharpness": sharpness(recon),
        "seconds": history[-1]["seconds"],
    }


SEED_COLUMNS = [
    ("fid", "{:.2f}"),
    ("precision", "{:.3f}"),
    ("recall", "{:.3f}"),
    ("recon_fid", "{:.2f}"),
    ("recon_sharpness", "{:.3f}"),
]


def seeds_table(summary: dict) -> str:
    """The spread over seeds (mean ± standard deviation) as bench/README.md's markdown table."""
    lines = [
        "| options | FID | precision | recall | recon FID | sharpness |",
        "|---|---|---|---|---|---|",
    ]
    for key, scores in summary.items():
        cells = [
            f"{fmt.format(scores[k]['mean'])} ± {fmt.format(scores[k]['std'])}"
            for k, fmt in SEED_COLUMNS
        ]
        name = RUNS[key][0]
        if key == "beta10":
            name = "first shipped (non-saturating, gamma 1e-3, beta 10)"
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--steps", type=int, default=3000)
    args.add_argument("--n", type=int, default=2000, help="test images and samples scored")
    args.add_argument("--runs", nargs="+", choices=list(RUNS), default=FIRST_STUDY)
    args.add_argument("--seeds", nargs="+", type=int, default=[0])
    args.add_argument("--reference", choices=("test", "train"), default="test")
    args.add_argument("--out", help="write the results to this JSON file (after every run)")
    args.add_argument(
        "--append",
        action="store_true",
        help="add the runs to those already in --out (same "
        "--steps, --n and --reference): options measured in separate processes, one report",
    )
    opts = args.parse_args()
    if opts.append and not opts.out:
        args.error("--append needs --out")
    settings = {"steps": opts.steps, "n": opts.n, "reference": opts.reference}
    command = " ".join(["python bench/vaegan_options.py", *sys.argv[1:]])
    if opts.append and earlier_report(opts.out, settings) is None:
        args.error(f"{opts.out} was measured with other --steps, --n or --reference")
    mine = []
    for key in opts.runs:
        label, sizes, options = RUNS[key]
        for seed in opts.seeds:
            scores = measure(sizes, options, opts.steps, opts.n, seed, opts.reference)
            result = {"key": key, "label": label, "options": options, "seed": seed, **scores}
            if sizes:
                result["sizes"] = sizes
            print(json.dumps(result), flush=True)
            mine.append(result)
            if opts.out:
                runs, commands = merged_runs(opts.out, settings, mine, command, opts.append)
                report = make_report(runs, settings, commands)
                Path(opts.out).write_text(json.dumps(report, indent=2) + "\n")
    if opts.out and "summary" in report:
        print(seeds_table(report["summary"]))


def make_report(runs: list[dict], settings: dict, command: str) -> dict:
    """The JSON report of `runs`, with each option's spread when it has several seeds."""
    real = real_images("mnist", settings["reference"], settings["n"], None)
    seeds = sorted({r["seed"] for r in runs})
    report = {
        "what": f"VAE-GAN on MNIST, {settings['steps']} steps each (batch "
        f"{SHIPPED['vaegan']['batch_size']}, seeds {', '.join(map(str, seeds))}); domain FID of "
        f"{settings['n']} prior samples and of the reconstructions of {settings['n']} "
        f"{settings['reference']} digits at random (seed 0) (their sharpness: "
        f"{sharpness(real):.4f})",
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, "
        f"torch {torch.__version__}",
        "command": command,
        "settings": settings,
        "runs": runs,
    }
    if len(seeds) > 1:
        report["summary"] = seed_spread(runs)
    return report


if __name__ == "__main__":
    main()
