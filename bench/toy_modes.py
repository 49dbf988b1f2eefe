"""Mode collapse on the ring of eight Gaussians: the toy GAN against the toy VAE-GAN, by seed.

`hvg.course.toy.train_toy` trains each with the same generator, discriminator, batches and learning
rate; the VAE-GAN adds an encoder and its reconstruction. Every `every` steps, 1,000 samples
from fixed noise are counted per mode (a mode is hit when at least 20 land within 0.3 of its
centre), with the share of samples near any mode.

Run: python bench/toy_modes.py --out bench/toy_modes.json   (about 3 minutes on 2 CPU cores)
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch

from hvg.course.toy import HIT, covered, modes_hit, train_toy


def run(hybrid: bool, seed: int, steps: int) -> dict:
    """One training run: per snapshot, modes hit and the share of samples near a mode."""
    start = time.perf_counter()
    snapshots = train_toy(hybrid=hybrid, steps=steps, seed=seed, every=steps // 8)
    points = []
    for step, samples in snapshots.items():
        points.append({"step": step, "modes": covered(samples), "near": modes_hit(samples)[1]})
    return {"seed": seed, "seconds": time.perf_counter() - start, "points": points}


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--seeds", type=int, default=3)
    args.add_argument("--steps", type=int, default=4000)
    args.add_argument("--out", type=Path, help="write the report to this JSON file")
    opts = args.parse_args()
    report = {
        "what": __doc__.splitlines()[0],
        "hit": HIT,
        "steps": opts.steps,
        "command": f"python bench/toy_modes.py --seeds {opts.seeds} --steps {opts.steps}"
        + (f" --out {opts.out}" if opts.out else ""),
        "machine": f"{platform.machine()}, torch {torch.__version__}",
        "runs": {},
    }
    for name, hybrid in (("gan", False), ("vaegan", True)):
        report["runs"][name] = [run(hybrid, seed, opts.steps) for seed in range(opts.seeds)]
        for r in report["runs"][name]:
            trace = " ".join(str(p["modes"]) for p in r["points"])
            print(f"{name:<7} seed {r['seed']}: modes hit along training {trace}", flush=True)
    if opts.out:
        opts.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
