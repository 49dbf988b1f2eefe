"""The fusion study: VAE, DCGAN, the Larsen VAE-GAN and the three fusion strategies, each
trained with the same budget from several seeds, scored on quality and diversity.

Every run is `hvg.run.train_model(name, ...)` (what `python -m hvg train NAME` runs) with the same
data set, steps, batch size and seed list; the hybrids share the shipped VAE-GAN's options,
and progressive fusion's hand-over is scaled to the budget (VAE alone for the first 10 % of
the steps, the VAE-GAN's objective ramping in over the next 40 %). Each trained model is
scored on n samples against n test images drawn at random (seed 0): FID, precision (quality),
recall (diversity), their F1, and the training clock. The report gives every run, and per model the
mean, standard deviation, minimum and maximum over the seeds: the spread is the stability.

The default budget suits 2 CPU cores: 1,500 steps (where the first shipped VAE-GAN, trained without
gating, sampled best) and 3 seeds, about 45 minutes in all; --seeds 5 is the study's
wish where time allows.

Run (full, the numbers in README): python bench/fusion_study.py --out bench/fusion_study.json
Quick check (minutes):            python bench/fusion_study.py --steps 100 --seeds 2 --n 1000
Table of a saved report:          python bench/fusion_study.py --summary bench/fusion_study.json
In two processes, then one report: ... --run-seeds 0 1 --out a.json (and --run-seeds 2 --out b.json)
                                  python bench/fusion_study.py --merge a.json b.json --out OUT
On CelebA 32x32 (when its files are in data/): add --dataset celeba (Inception features).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
from pathlib import Path

import torch

from hvg.course.pretrained import HYBRID
from hvg.metrics import evaluate
from hvg.recipes.fusion import schedule_for
from hvg.run import train_model
from hvg.train import TrainConfig

MODELS = ["vae", "dcgan", "vaegan", "fusion-early", "fusion-late", "fusion-progressive"]
HYBRIDS = {"vaegan", "fusion-early", "fusion-late", "fusion-progressive"}
SCORES = ["fid", "precision", "recall", "f1", "seconds"]


def options(name: str, steps: int) -> dict:
    """The recipe options of `name` in the study: the shipped VAE-GAN's for every hybrid."""
    if name not in HYBRIDS:
        return {}
    shared = dict(HYBRID)
    if name == "fusion-progressive":
        shared.update(schedule_for(steps))
    return shared


def run(name: str, seed: int, opts: argparse.Namespace) -> dict:
    """Train one model from one seed and score its samples."""
    config = TrainConfig(
        dataset=opts.dataset,
        steps=opts.steps,
        seed=seed,
        batch_size=opts.batch_size,
        options=options(name, opts.steps),
        progress=False,
    )
    model, history = train_model(name, config)
    scores = evaluate(model, opts.dataset, n=opts.n, features=opts.features, progress=False)
    return {
        "model": name,
        "seed": seed,
        **{k: scores[k] for k in ("fid", "precision", "recall", "f1")},
        "seconds": history[-1]["seconds"],
    }


def spread(runs: list[dict]) -> dict[str, dict[str, float]]:
    """Per model and score: mean, standard deviation, minimum and maximum over the seeds."""
    out = {}
    for name in dict.fromkeys(r["model"] for r in runs):
        mine = [r for r in runs if r["model"] == name]
        out[name] = {}
        for key in SCORES:
            values = [r[key] for r in mine]
            out[name][key] = {
                "mean": statistics.fmean(values),
                "std": statistics.stdev(values) if len(values) > 1 else 0.0,
                "min": min(values),
                "max": max(values),
            }
    return out


def table(summary: dict[str, dict[str, dict[str, float]]]) -> str:
    """Mean ± standard deviation per model, and the FID's range over the seeds."""
    lines = [
        "| model | FID | FID range | precision | recall | F1 | training (min, fastest seed) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, s in summary.items():
        fid = s["fid"]
        cells = [
            f"{fid['mean']:.2f} ± {fid['std']:.2f}",
            f"{fid['min']:.2f} to {fid['max']:.2f}",
            *(f"{s[k]['mean']:.3f} ± {s[k]['std']:.3f}" for k in ("precision", "recall", "f1")),
            f"{s['seconds']['min'] / 60:.1f}",
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def in_order(runs: list[dict]) -> list[dict]:
    """Runs in the order of MODELS, then of seeds."""
    return sorted(runs, key=lambda r: (MODELS.index(r["model"]), r["seed"]))


def with_runs(report: dict, runs: list[dict], options_of: dict[str, dict]) -> dict:
    """`report` with `runs` in the order of MODELS and seeds, their models' options (from
    `options_of`) and the spread per model."""
    runs = in_order(runs)
    models = dict.fromkeys(r["model"] for r in runs)
    options = {name: options_of[name] for name in models}
    return {**report, "options": options, "summary": spread(runs), "runs": runs}


def report_of(opts: argparse.Namespace, runs: list[dict], command: str) -> dict:
    """The study's report: its settings and every run so far."""
    models = dict.fromkeys(r["model"] for r in runs)
    report = {
        "what": f"{opts.dataset}, {opts.steps} steps of batch {opts.batch_size} per run, "
        f"seeds 0-{opts.seeds - 1}; {opts.features} FID, precision, recall, F1 of "
        f"{opts.n} samples against {opts.n} test images drawn at random (seed 0)",
        "command": command,
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, "
        f"torch {torch.__version__}",
    }
    return with_runs(report, runs, {name: options(name, opts.steps) for name in models})


def merged(paths: list[str], command: str) -> dict:
    """One report from several of the same study (each process ran some models or seeds),
    its command theirs and then the merge's."""
    reports = [json.loads(Path(p).read_text()) for p in paths]
    if len({r["what"] for r in reports}) > 1:
        raise SystemExit("--merge: these reports measured different settings (their 'what')")
    runs = [run for r in reports for run in r["runs"]]
    if len({(r["model"], r["seed"]) for r in runs}) < len(runs):
        raise SystemExit("--merge: a (model, seed) run is in more than one report")
    report = {
        **reports[0],
        "command": " && ".join([*(r["command"] for r in reports), command]),
        "machine": "; ".join(dict.fromkeys(r["machine"] for r in reports)),
    }
    return with_runs(report, runs, {k: v for r in reports for k, v in r["options"].items()})


def write(path: str, report: dict) -> None:
    """Write `report` as indented JSON to `path`."""
    Path(path).write_text(json.dumps(report, indent=2) + "\n")


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--dataset", default="mnist")
    args.add_argument("--steps", type=int, default=1500, help="training steps of every run")
    args.add_argument("--batch-size", type=int, default=64)
    args.add_argument("--seeds", type=int, default=3, help="seeds 0 .. S-1 per model")
    args.add_argument(
        "--run-seeds",
        type=int,
        nargs="+",
        help="only these of the seeds, in this process (merge the reports after)",
    )
    args.add_argument("--n", type=int, default=5000, help="samples and test images scored")
    args.add_argument("--models", nargs="+", default=MODELS, choices=MODELS)
    args.add_argument("--out", help="write the report to this JSON file (after every run)")
    args.add_argument("--summary", help="only print the table of this JSON report")
    args.add_argument("--merge", nargs="+", help="write one --out report from these reports")
    opts = args.parse_args()
    if opts.summary:
        with open(opts.summary) as f:
            print(table(json.load(f)["summary"]))
        return
    command = " ".join(["python bench/fusion_study.py", *sys.argv[1:]])
    if opts.merge:
        if not opts.out:
            args.error("--merge needs --out")
        report = merged(opts.merge, command)
        write(opts.out, report)
        print(table(report["summary"]))
        return
    seeds = opts.run_seeds if opts.run_seeds is not None else list(range(opts.seeds))
    if opts.seeds < 1 or opts.steps < 10 or not set(seeds) <= set(range(opts.seeds)):
        args.error("need --seeds >= 1, --steps >= 10 and --run-seeds among 0 .. --seeds - 1")
    opts.features = "domain" if opts.dataset == "mnist" else "inception"
    runs = []
    for name in opts.models:
        for seed in seeds:
            runs.append(run(name, seed, opts))
            print(json.dumps(runs[-1]), flush=True)
            if opts.out:
                write(opts.out, report_of(opts, runs, command))
    print(table(spread(runs)))


if __name__ == "__main__":
    main()
