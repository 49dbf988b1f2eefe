"""Sampling the shipped VAE and VAE-GAN from an ex-post Gaussian mixture (Ghosh et al. 2020).

Do the hybrid's weak samples come from prior holes, codes that N(0, I) draws and the decoder
never learned? For each model, a Gaussian mixture with K components is fitted to the posterior
means of the training images before hvg.data.VALIDATION_START (55,000), from several seeds;
K is chosen by the mean log-likelihood of the held-out validation codes (55,000 to 60,000),
never by the test set. Each mixture's samples, and the N(0, I) prior's for comparison (the
seeds then seed the sampling alone), are scored with the domain features on 10,000 samples
against all 10,000 MNIST test images: FID, KID (unbiased), precision and recall.

bench/results.py then scores each model's chosen mixture with TF-Inception, as its own row of
the README's results table: the number to hold against the published ones.

Run: python bench/expost_prior.py --out bench/expost_prior.json   (about 20 min on 2 CPU cores)
One model, keeping the other's rows: ... --models vaegan --update --out bench/expost_prior.json
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

from hvg.course.pretrained import load_pretrained
from hvg.data import VALIDATION_START
from hvg.metrics import evaluate
from hvg.priors import ExPostPrior, GaussianMixture, training_codes

SCORES = ("fid", "kid", "precision", "recall", "f1")


def scored(model: torch.nn.Module, n: int, seed: int) -> dict[str, float]:
    """The domain scores of n samples against the test set."""
    s = evaluate(model, n=n, seed=seed, progress=False, with_kid=True)
    return {k: s[k] for k in SCORES}


def study(name: str, ks: list[int], seeds: list[int], n: int) -> list[dict]:
    """One row per prior (N(0, I), then each K) and seed."""
    model, _ = load_pretrained(name)
    codes = training_codes(model)
    held_out = training_codes(model, start=VALIDATION_START, stop=VALIDATION_START + 5_000)
    rows = [{"model": name, "prior": "N(0, I)", "seed": s, **scored(model, n, s)} for s in seeds]
    for k in ks:
        for seed in seeds:
            tick = time.perf_counter()
            mixture = GaussianMixture.fit(codes, k, seed)
            fitted = time.perf_counter() - tick
            rows.append(
                {
                    "model": name,
                    "prior": f"GMM K={k}",
                    "k": k,
                    "seed": seed,
                    "validation_loglik": mixture.log_prob(held_out).mean().item(),
                    "fit_seconds": fitted,
                    **scored(ExPostPrior(model, mixture), n, seed),
                }
            )
            print(name, rows[-1], flush=True)
    return rows


def summary(rows: list[dict]) -> list[dict]:
    """Mean and standard deviation over the seeds of every score, per model and prior; the K
    each model's validation log-likelihood chooses is marked."""
    out = []
    for key in dict.fromkeys((r["model"], r["prior"]) for r in rows):
        mine = [r for r in rows if (r["model"], r["prior"]) == key]
        entry = {"model": key[0], "prior": key[1]}
        for score in (*SCORES, "validation_loglik"):
            if score in mine[0]:
                values = [r[score] for r in mine]
                entry[score] = {"mean": statistics.mean(values), "std": statistics.stdev(values)}
        out.append(entry)
    for model in dict.fromkeys(r["model"] for r in out):
        fitted = [e for e in out if e["model"] == model and "validation_loglik" in e]
        max(fitted, key=lambda e: e["validation_loglik"]["mean"])["chosen"] = True
    return out


def cell(entry: dict, score: str, form: str, scale: float = 1.0) -> str:
    """ "mean ± std" of one score, or a dash where the prior has none."""
    if score not in entry:
        return "—"
    mean, std = entry[score]["mean"] * scale, entry[score]["std"] * scale
    return f"{form.format(mean)} ± {form.format(std)}"


def table(entries: list[dict]) -> str:
    """The Markdown table of bench/README.md."""
    lines = [
        "| model | prior | FID (domain) | KID x 1000 | precision | recall | validation log-lik |",
        "|---|---|---|---|---|---|---|",
    ]
    for e in entries:
        prior = e["prior"] + (" (chosen)" if e.get("chosen") else "")
        lines.append(
            f"| {e['model']} | {prior} | {cell(e, 'fid', '{:.2f}')} "
            f"| {cell(e, 'kid', '{:.2f}', 1000)} | {cell(e, 'precision', '{:.3f}')} "
            f"| {cell(e, 'recall', '{:.3f}')} | {cell(e, 'validation_loglik', '{:.2f}')} |"
        )
    return "\n".join(lines)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--models", nargs="+", default=["vae", "vaegan"])
    args.add_argument("--ks", nargs="+", type=int, default=[1, 5, 10, 20])
    args.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    args.add_argument("--n", type=int, default=10_000)
    args.add_argument("--out", type=Path, help="write the rows and summary to this JSON file")
    args.add_argument("--update", action="store_true", help="keep --out's other models' rows")
    opts = args.parse_args()
    command = " ".join(["python bench/expost_prior.py", *sys.argv[1:]])
    rows = [row for name in opts.models for row in study(name, opts.ks, opts.seeds, opts.n)]
    if opts.update and opts.out and opts.out.exists():
        kept = json.loads(opts.out.read_text())
        rows = [r for r in kept["rows"] if r["model"] not in opts.models] + rows
        earlier = [c for c in kept.get("command", "").split(" && ") if c and c != command]
        command = " && ".join([*earlier, command])  # the kept rows' commands, then this one
    entries = summary(rows)
    print(table(entries))
    if opts.out:
        report = {
            "what": __doc__.splitlines()[0],
            "command": command,
            "n": opts.n,
            "seeds": opts.seeds,
            "machine": f"{platform.machine()}, torch {torch.__version__}",
            "rows": rows,
            "summary": entries,
        }
        with open(opts.out, "w") as f:
            json.dump(report, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
