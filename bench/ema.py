"""Does an average of DCGAN's generator weights (Yazici et al. 2019) beat the generator itself?

One run, `python -m hvg train dcgan --dataset mnist --steps 16000 --ema 1000 --keep-every 2000
--out runs/ema`, keeps at every 2,000th step both the generator and its exponential moving
average over about the last 1,000 steps (hvg.ema). The average never feeds back into training,
so the live generator is exactly that of a run without --ema (tests/test_dcgan.py checks it):
one run gives both curves. Each kept file is scored twice with the domain features, 10,000
samples against all 10,000 test digits: decoded by the average (with batch norm's running
statistics copied from the live generator, as hvg.ema does), and by the live generator.

Run: python bench/ema.py runs/ema/dcgan-mnist-steps --out bench/ema.json   (a minute)
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import torch

from hvg.checkpoints import load_history, load_model
from hvg.metrics import evaluate

SCORES = ("fid", "precision", "recall", "f1")


def scores(model: torch.nn.Module, n: int) -> dict[str, float]:
    s = evaluate(model, n=n, progress=False)
    return {k: s[k] for k in SCORES}


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("folder", type=Path, help="the run's kept weights (--keep-every)")
    args.add_argument("--n", type=int, default=10_000)
    args.add_argument("--out", type=Path, help="write the points to this JSON file")
    opts = args.parse_args()
    points = []
    for path in sorted(opts.folder.glob("step-*.safetensors")):
        model = load_model(path).eval()
        entry = load_history(path)[-1]
        points.append(
            {
                "step": int(entry["step"]),
                "seconds": entry["seconds"],
                "average": scores(model, opts.n),
                "live": scores(model.live(), opts.n),
            }
        )
        p = points[-1]
        print(
            f"step {p['step']:>6}: FID average {p['average']['fid']:.2f}, "
            f"live {p['live']['fid']:.2f}",
            flush=True,
        )
    if opts.out:
        report = {
            "what": __doc__.splitlines()[0],
            "n": opts.n,
            "ema": model.config.get("ema"),
            "command": f"python bench/ema.py {opts.folder} --out {opts.out}",
            "machine": f"{platform.machine()}, torch {torch.__version__}",
            "points": points,
        }
        opts.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
