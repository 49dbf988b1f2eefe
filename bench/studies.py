"""The options studies' harness (bench/*_options.py): train each option from several seeds,
score it, write the report after every run, and merge runs made by separate processes.

A study's report holds its `settings` (steps, samples scored), every run (one option from one
seed: its `key`, `seed` and scores), the `summary` (per option and score, the mean and standard
deviation over seeds) and the `command`s that made it, joined by " && " when several processes
each ran some options or seeds (`--append`). Only the bench scripts and their tests use it,
so it is no part of the installed `hvg` package.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from hvg.metrics import evaluate


def earlier_report(path: str | Path, settings: dict[str, Any]) -> dict[str, Any] | None:
    """The seed study's report already at `path` ({"runs": []} if none), or None if it was
    measured with other `settings` (so its runs must not be mixed with new ones)."""
    if not Path(path).exists():
        return {"runs": []}
    report = json.loads(Path(path).read_text())
    return report if report.get("settings") == settings else None


def merged_runs(
    path: str | Path, settings: dict[str, Any], mine: list[dict], command: str, append: bool
) -> tuple[list[dict], str]:
    """This process's runs, with (when `append`) the other (key, seed) runs already in `path`,
    read again now since another process may have written it; and every command that made them."""
    before = earlier_report(path, settings) if append else None
    before = before or {"runs": []}
    ours = {(r["key"], r["seed"]) for r in mine}
    runs = [r for r in before["runs"] if (r["key"], r["seed"]) not in ours] + mine
    commands = [c for c in before.get("command", "").split(" && ") if c and c != command]
    return runs, " && ".join([*commands, command])


def seed_spread(runs: list[dict]) -> dict[str, dict[str, dict[str, float]]]:
    """Per option (each run's "key") and score: the mean and standard deviation over seeds."""
    out = {}
    for key in dict.fromkeys(r["key"] for r in runs):
        rows = [r for r in runs if r["key"] == key]
        scores = [k for k, v in rows[0].items() if isinstance(v, float)]
        out[key] = {
            k: {
                "mean": statistics.mean(r[k] for r in rows),
                "std": statistics.pstdev(r[k] for r in rows),
            }
            for k in scores
        }
    return out


def options_table(report: dict, columns: list[tuple[str, str, float]]) -> str:
    """An options study's mean ± standard deviation over seeds, one row per option: `columns`
    holds (score, format, scale) for each score shown, the clock comes last."""
    headers = {
        "fid": "FID (domain)",
        "precision": "precision",
        "recall": "recall",
        "fid_inception": f"FID (Inception, {report['settings']['inception_n']:,})",
        "kid_inception": "KID x 1000 (Inception)",
        "recon_mse": "recon MSE",
        "recon_sharpness": "recon sharpness",
    }
    scored = next(iter(report["summary"].values()), {})
    columns = [c for c in columns if c[0] in scored]  # without Inception scores (--inception-n 0)
    names = ["options", "parameters", *(headers[k] for k, _, _ in columns), "training (min)"]
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    for key, scores in report["summary"].items():
        run = next(r for r in report["runs"] if r["key"] == key)
        cells = [
            f"{fmt.format(scale * scores[k]['mean'])} ± {fmt.format(scale * scores[k]['std'])}"
            for k, fmt, scale in columns
        ]
        minutes = scores["seconds"]["mean"] / 60
        lines.append(
            f"| {run['label']} | {run['parameters']:,} | "
            + " | ".join(cells)
            + f" | {minutes:.1f} |"
        )
    return "\n".join(lines)


def write_options_report(
    path: Path, settings: dict[str, Any], mine: list[dict], command: str, append: bool, what: str
) -> dict[str, Any]:
    """Write an options study's report to `path` after each run (nothing lost if interrupted):
    every run so far, with (when `append`) another process's, and the spread over seeds."""
    runs, commands = merged_runs(path, settings, mine, command, append)
    report = {
        "what": what,
        "machine": f"{torch.get_num_threads()} threads, torch {torch.__version__}",
        "command": commands,
        "settings": settings,
        "runs": runs,
        "summary": seed_spread(runs),
    }
    path.write_text(json.dumps(report, indent=2) + "\n")
    return report


def sample_scores(model: torch.nn.Module, n: int, inception_n: int, split: str) -> dict:
    """An options study's scores of `model`'s samples against `split` images at random: domain
    FID, precision and recall on `n`; TF-Inception FID and KID on `inception_n` (0: skipped)."""
    domain = evaluate(model, n=n, split=split, progress=False)
    scores = {k: domain[k] for k in ("fid", "precision", "recall")}
    if inception_n:
        inception = evaluate(
            model,
            n=inception_n,
            split=split,
            features="inception",
            with_kid=True,
            progress=False,
        )
        scores |= {"fid_inception": inception["fid"], "kid_inception": inception["kid"]}
    return scores


def options_study(
    doc: str,
    what: str,
    runs: dict[str, tuple[str, dict, dict]],
    measure: Callable[..., dict],
    table: Callable[[dict], str],
    steps: tuple[int, str],
    default_runs: list[str],
) -> None:
    """The command line of a bench/*_options.py study: train and score each option (`runs`:
    key -> label, model sizes, recipe options) from each seed with `measure`, write the report
    (`what` it holds) after every run, and print its `table`."""
    args = argparse.ArgumentParser(description=doc.splitlines()[0])
    args.add_argument("--steps", type=int, default=steps[0], help=steps[1])
    args.add_argument("--n", type=int, default=5000, help="samples and training images scored")
    args.add_argument("--inception-n", type=int, default=1000, help="... with TF-Inception")
    args.add_argument("--runs", nargs="+", choices=list(runs), default=default_runs)
    args.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    args.add_argument("--out", type=Path, help="write the results here (after every run)")
    args.add_argument("--append", action="store_true", help="add to the runs in --out")
    opts = args.parse_args()
    settings = {
        "steps": opts.steps,
        "n": opts.n,
        "inception_n": opts.inception_n,
        "reference": "train",
    }
    command = " ".join([f"python bench/{Path(sys.argv[0]).stem}.py", *sys.argv[1:]])
    if opts.append and (not opts.out or earlier_report(opts.out, settings) is None):
        args.error("--append needs an --out measured with the same --steps, --n, --inception-n")
    mine: list[dict] = []
    for key in opts.runs:
        label, sizes, options = runs[key]
        for seed in opts.seeds:
            scores = measure(sizes, options, opts.steps, opts.n, opts.inception_n, seed)
            mine.append(
                {
                    "key": key,
                    "label": label,
                    "sizes": sizes,
                    "options": options,
                    "seed": seed,
                    **scores,
                }
            )
            print(json.dumps(mine[-1]), flush=True)
            if opts.out:
                report = write_options_report(opts.out, settings, mine, command, opts.append, what)
    if opts.out:
        print(table(report))
