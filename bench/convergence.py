"""Quality against training time: the domain FID of the weights kept along a training run
(`python -m hvg train ... --keep-every K`), against that run's training clock.

Each kept file holds the weights at one step and that step's history entry, whose `seconds` is
the training time so far (data and steps; no checkpoint writing, no evaluation). Scoring them
afterwards keeps the evaluation's cost off the clock.

Run: python bench/convergence.py runs/vae-mnist-steps runs/dcgan-mnist-steps ...
         [--n 5000] [--out bench/convergence.json]
Table of a saved run: python bench/convergence.py --summary bench/convergence.json
(bench/README.md has the training commands that make those folders.)
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

import torch

from hvg.checkpoints import load_history, load_model, read_metadata
from hvg.metrics import evaluate


def curve(folder: Path, n: int) -> dict:
    """The kept weights of one run, scored in step order."""
    points = []
    for path in sorted(folder.glob("step-*.safetensors")):
        entry = load_history(path)[-1]
        scores = evaluate(load_model(path), n=n, progress=False)
        point = {"step": int(entry["step"]), "seconds": entry["seconds"]}
        point.update({k: scores[k] for k in ("fid", "precision", "recall")})
        print(folder.name, json.dumps(point), flush=True)
        points.append(point)
    if not points:
        raise SystemExit(f"{folder} holds no step-*.safetensors: train with --keep-every")
    return {"model": read_metadata(path)["hvg_model"], "folder": str(folder), "points": points}


def inception_last(c: dict, n: int) -> dict:
    """Inception FID and KID of a curve's last kept weights, n samples against n test images."""
    path = sorted(Path(c["folder"]).glob("step-*.safetensors"))[-1]
    scores = evaluate(load_model(path), n=n, features="inception", with_kid=True, progress=False)
    return {
        "step": c["points"][-1]["step"],
        "n": n,
        "fid": scores["fid"],
        "kid": 1000 * scores["kid"],
    }


def summary(report: dict, target: float) -> str:
    """Per run: the best FID and when, when FID first reached `target`, and the last FID."""
    lines = [
        f"| model | best FID (minutes, step) | FID <= {target:g} after (minutes, step) | last FID "
        "(minutes) |",
        "|---|---|---|---|",
    ]
    models = [c["model"] for c in report["curves"]]
    for c in report["curves"]:
        points = c["points"]
        name = c["model"] if models.count(c["model"]) == 1 else f"{c['model']} ({c['folder']})"
        best = min(points, key=lambda p: p["fid"])
        reached = next((p for p in points if p["fid"] <= target), None)
        when = "never" if reached is None else f"{reached['seconds'] / 60:.1f}, {reached['step']}"
        lines.append(
            f"| {name} | {best['fid']:.2f} ({best['seconds'] / 60:.1f}, {best['step']}) "
            f"| {when} | {points[-1]['fid']:.2f} ({points[-1]['seconds'] / 60:.1f}) |"
        )
    for c in report["curves"]:
        if "last_inception" in c:
            last = c["last_inception"]
            lines.append(
                f"\n{c['folder']}, step {last['step']}: Inception FID {last['fid']:.1f}, "
                f"KID x 1000 {last['kid']:.1f} ({last['n']} samples, {last['n']} test images)"
            )
    return "\n".join(lines)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("folders", nargs="*", type=Path, help="folders written by --keep-every")
    args.add_argument("--n", type=int, default=5000, help="samples and test images scored")
    args.add_argument("--out", help="write the curves to this JSON file")
    args.add_argument("--summary", type=Path, help="only print the table of this JSON file")
    args.add_argument("--target", type=float, default=16.0, help="FID the table times (16)")
    args.add_argument(
        "--inception-last",
        type=int,
        metavar="N",
        help="also the Inception FID and KID (x 1000) "
        "of each run's last weights, N samples against N test images",
    )
    opts = args.parse_args()
    if opts.summary:
        print(summary(json.loads(opts.summary.read_text()), opts.target))
        return
    if not opts.folders:
        args.error("name the folders to score, or --summary FILE.json")
    report = {
        "what": f"domain FID of {opts.n} samples against {opts.n} MNIST test images (at random, "
        "seed 0), along each run's training clock",
        "command": " ".join(["python bench/convergence.py", *sys.argv[1:]]),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, "
        f"torch {torch.__version__}",
        "curves": [curve(folder, opts.n) for folder in opts.folders],
    }
    if opts.inception_last:
        for c in report["curves"]:
            c["last_inception"] = inception_last(c, opts.inception_last)
            print(c["folder"], json.dumps(c["last_inception"]), flush=True)
    print(summary(report, opts.target))
    if opts.out:
        Path(opts.out).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
