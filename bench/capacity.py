"""Network size: parameters and training images/s of each model at the course's and the field's.

The VAE, DCGAN, VAE-GAN and fusion models at the course's size and at the field's (`arch`,
hvg.models.infogan: the InfoGAN MNIST networks, and the same with FC 512), on this machine.

Each (model, arch) is built as `python -m hvg train MODEL --arch ARCH` builds it (hvg.registry,
the recipe's default options) and trained on MNIST batches through `hvg.train.fit`: `--warmup`
steps, then `--steps` timed ones, from the history's training seconds (data and steps). The
rows run in turn, `--repeats` times over; the median images/s is reported with its spread
(max - min, in % of the median), and as a multiple of the course size's rate
(`rate_vs_course`), which a busy machine moves less than the rates themselves. The machine may
be shared with other work: the load average before and after is recorded, and a busy machine
lowers the rates. `minutes_20_epochs` is the time 20 MNIST epochs (18,740 steps of 64, the
schedule of Lucic et al. 2018) would take at that rate.

Run: python bench/capacity.py [--steps N] [--warmup N] [--repeats R] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
from pathlib import Path

# Before torch starts OpenMP: its threads sleep while they wait, instead of spinning, which on a
# shared machine made 2 threads 4 times slower (a VAE step: 0.97 s spinning, 0.21 s sleeping).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

from hvg.data import get_dataloader  # noqa: E402
from hvg.registry import REGISTRY, build_model  # noqa: E402
from hvg.train import TrainConfig, fit  # noqa: E402

MODELS = ("vae", "dcgan", "vaegan", "fusion-early", "fusion-late")
ARCHS = ("course", "infogan", "infogan-512")
BATCH = 64
EPOCH_STEPS = 60_000 // BATCH  # 937 steps of 64, as Lucic et al. count 20 epochs


def parameters(model: torch.nn.Module) -> dict[str, int]:
    """Parameters of each network of the model (the weight averages, if any, left out)."""
    return {
        name: sum(p.numel() for p in net.parameters())
        for name, net in model.named_children()
        if not name.endswith("_ema")
    }


def rate(name: str, arch: str, loader, warmup: int, steps: int) -> float:
    """Images/s of `steps` training steps of a fresh model, after `warmup` steps."""
    torch.manual_seed(0)
    model = build_model(name, arch=arch)
    recipe = REGISTRY[name].recipe(model)
    config = TrainConfig(steps=warmup + steps, batch_size=BATCH, progress=False)
    history = fit(recipe, loader, config)
    seconds = history[-1]["seconds"] - history[warmup - 1]["seconds"]
    return steps * BATCH / seconds


def table(rows: list[dict]) -> str:
    """The report as a markdown table, for bench/README.md."""
    lines = [
        "| model | arch | parameters per network | total | images/s | spread | x course "
        "| 20 epochs |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        nets = ", ".join(f"{k} {v / 1e6:.2f}M" for k, v in r["parameters"].items())
        lines.append(
            f"| {r['model']} | {r['arch']} | {nets} | {sum(r['parameters'].values()) / 1e6:.2f}M "
            f"| {r['images_per_s']:,} | {r['spread_pct']} % | {r['rate_vs_course']} "
            f"| {r['minutes_20_epochs']:,} min |"
        )
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=40, help="timed steps per row and repeat")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    p.add_argument("--archs", nargs="+", default=list(ARCHS), choices=ARCHS)
    p.add_argument("--out", type=Path, default=Path("bench/capacity.json"))
    args = p.parse_args()
    torch.set_num_threads(2)
    loader = get_dataloader("mnist", batch_size=BATCH, limit=BATCH * (args.warmup + args.steps))
    load_before = os.getloadavg()
    rows = [(name, arch) for name in args.models for arch in args.archs]
    rates: dict[tuple[str, str], list[float]] = {row: [] for row in rows}
    for repeat in range(args.repeats):
        for row in rows:
            rates[row].append(rate(*row, loader, args.warmup, args.steps))
            print(f"repeat {repeat + 1}: {row[0]} {row[1]} {rates[row][-1]:.0f} images/s")
    load_after = os.getloadavg()
    results = []
    for name, arch in rows:
        median = statistics.median(rates[name, arch])
        results.append(
            {
                "model": name,
                "arch": arch,
                "parameters": parameters(build_model(name, arch=arch)),
                "images_per_s": round(median),
                "spread_pct": round(
                    100 * (max(rates[name, arch]) - min(rates[name, arch])) / median
                ),
                "minutes_20_epochs": round(20 * EPOCH_STEPS * BATCH / median / 60),
            }
        )
    for r in results:  # the cost of the size, less sensitive to the load than the rates
        course = [c for c in results if c["model"] == r["model"] and c["arch"] == "course"]
        r["rate_vs_course"] = (
            round(r["images_per_s"] / course[0]["images_per_s"], 2) if course else None
        )
    report = {
        "what": __doc__.splitlines()[0],
        "command": " ".join(["python bench/capacity.py", *sys.argv[1:]]),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, "
        f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}, torch {torch.__version__}; "
        "shared with other work: load average (1, 5, 15 min) "
        f"{', '.join(f'{x:.1f}' for x in load_before)} before, "
        f"{', '.join(f'{x:.1f}' for x in load_after)} after",
        "batch_size": BATCH,
        "warmup": args.warmup,
        "steps": args.steps,
        "repeats (median reported)": args.repeats,
        "rows": results,
    }
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(table(results))


if __name__ == "__main__":
    main()
