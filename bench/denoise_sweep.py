"""The denoising sweep: every noise kind and level, the classic filters against the shipped
denoisers (the VAE-GAN, the same with a pixel loss, the denoising VAE, the plain denoising
autoencoder), on MNIST's test set.

Each filter's parameter is chosen per kind and level on a validation split (training images
55,000 on, never the test set; `hvg.denoising.sweep`). Scores: PSNR, SSIM, MSE against the
clean test images, and sharpness (variance of the Laplacian; the clean digits' own is the
reference). The aims (issue 7) are checked at Gaussian sigma = 0.5.

Run (the numbers in README and notebook 06, about 10 minutes on 2 CPU cores):
    python bench/denoise_sweep.py --out bench/denoise_sweep.json --plot bench/denoise_sweep.png
Quick check (a minute):    python bench/denoise_sweep.py --n-test 500 --n-val 100
Tables of a saved report:  python bench/denoise_sweep.py --summary bench/denoise_sweep.json
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import matplotlib
import torch

from hvg.course.plots import plot_denoise_sweep
from hvg.course.pretrained import load_pretrained
from hvg.denoising import splits, sweep, sweep_table
from hvg.metrics import sharpness
from hvg.noise import KINDS, LEVELS

DENOISERS = {
    "VAE-GAN": "denoiser",
    "VAE-GAN, pixel loss": "denoiser-pixel",
    "denoising VAE": "denoiser-vae",
    "DAE": "denoiser-ae",
}
FILTERS = ("gaussian blur", "median", "non-local means")


def aims(rows: list[dict]) -> dict[str, object]:
    """Issue 7's aims at Gaussian sigma 0.5: VAE-GAN vs the best filter and the plain DAE."""
    at = {r["method"]: r for r in rows if r["kind"] == "gaussian" and r["level"] == 0.5}
    if not {"VAE-GAN", "DAE"} <= at.keys():
        return {}
    best = max(FILTERS, key=lambda f: at[f]["psnr"])
    gan, dae = at["VAE-GAN"], at["DAE"]
    best_ssim = max(at[f]["ssim"] for f in FILTERS)
    return {
        "best filter": best,
        "psnr gain over best filter (aim >= 5 dB)": gan["psnr"] - at[best]["psnr"],
        "ssim gain over best filter (aim >= 0.15)": gan["ssim"] - best_ssim,
        "psnr vs DAE (aim >= 0)": gan["psnr"] - dae["psnr"],
        "sharpness VAE-GAN / DAE (aim > 1)": gan["sharpness"] / dae["sharpness"],
    }


def summary(report: dict) -> str:
    rows = report["rows"]
    parts = [f"clean test digits' sharpness: {report['clean sharpness']:.4f}"]
    for kind in dict.fromkeys(r["kind"] for r in rows):
        for score in ("psnr", "ssim"):
            parts += [f"\n{score.upper()}, {kind}:", sweep_table(rows, kind, score)]
    sharpness = sweep_table(rows, "gaussian", "sharpness")
    parts.append("\nsharpness, gaussian:\n" + sharpness)
    parts.append("\naims at Gaussian 0.5: " + json.dumps(report["aims"], indent=1))
    return "\n".join(parts)


def plot(rows: list[dict], path: str) -> None:
    """PSNR and SSIM against the level, one panel per kind and score."""
    matplotlib.use("Agg")
    plot_denoise_sweep(rows).savefig(path, dpi=110, bbox_inches="tight")


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--n-val", type=int, default=500, help="validation images (filters)")
    args.add_argument("--n-test", type=int, default=10_000, help="test images scored")
    args.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    args.add_argument("--out", help="write the report to this JSON file")
    args.add_argument("--plot", help="save the sweep's plot to this PNG file")
    args.add_argument("--summary", help="only print the tables of this JSON report")
    opts = args.parse_args()
    if opts.summary:
        with open(opts.summary) as f:
            print(summary(json.load(f)))
        return
    models = {label: load_pretrained(name)[0] for label, name in DENOISERS.items()}
    val, test = splits(opts.n_val, opts.n_test)
    start = time.perf_counter()
    denoisers = {k: m.denoise for k, m in models.items()}
    rows = sweep(denoisers, val, test, opts.kinds, LEVELS, FILTERS, progress=True)
    report = {
        "what": f"MNIST: filters tuned on {opts.n_val} validation images (training images "
        f"55,000 on), every method scored on the first {opts.n_test} test images; noise seeded",
        "command": f"python bench/denoise_sweep.py --n-val {opts.n_val} --n-test {opts.n_test} "
        f"--kinds {' '.join(opts.kinds)}",
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, "
        f"torch {torch.__version__}",
        "seconds": round(time.perf_counter() - start, 1),
        "clean sharpness": sharpness(test),
        "rows": rows,
        "aims": aims(rows),
    }
    print(summary(report))
    if opts.out:
        with open(opts.out, "w") as f:
            f.write(json.dumps(report, indent=1) + "\n")
    if opts.plot:
        plot(rows, opts.plot)


if __name__ == "__main__":
    main()
