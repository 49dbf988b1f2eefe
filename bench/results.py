"""The README's results table: every shipped generative model, scored the same way.

For each shipped checkpoint: FID, precision, recall, F1 and IS with the domain features (the
shipped MNIST classifier) and FID with TF-Inception, each on n samples against the first n
MNIST test images; the training time its history records and the images a second it implies.
Writes bench/results.json and prints the Markdown table that README.md shows.

Run (full, the README's numbers): python bench/results.py --out bench/results.json
Quick check (minutes): python bench/results.py --n 2000 --inception-n 0
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
from pathlib import Path

import torch

from hvg.checkpoints import load_history, pretrained_path, read_metadata
from hvg.cli import parser
from hvg.metrics import evaluate
from hvg.pretrained import SHIPPED, load_pretrained

GENERATIVE = [name for name in SHIPPED if name != "classifier"]
COLUMNS = [  # (key, heading, format)
    ("fid_inception", "FID (Inception)", "{:.1f}"),
    ("fid", "FID (domain)", "{:.2f}"),
    ("precision", "precision", "{:.3f}"),
    ("recall", "recall", "{:.3f}"),
    ("f1", "F1", "{:.3f}"),
    ("is", "IS (domain)", "{:.2f}"),
    ("minutes", "training (min)", "{:.1f}"),
    ("images_per_s", "images/s", "{:,.0f}"),
]


def training(name: str) -> dict[str, float | None]:
    """Training minutes and images a second, from the shipped file's history and command."""
    path = pretrained_path(name)
    seconds = load_history(path)[-1].get("seconds")
    args = parser().parse_args(shlex.split(read_metadata(path)["command"])[3:])
    if seconds is None:  # trained before histories kept the clock
        return {"minutes": None, "images_per_s": None}
    return {"minutes": seconds / 60, "images_per_s": args.steps * args.batch_size / seconds}


def score(name: str, n: int, inception_n: int) -> dict:
    """Every number of one shipped model."""
    model, _ = load_pretrained(name)
    domain = evaluate(model, n=n, progress=False)
    row = {k: domain[k] for k in ("fid", "precision", "recall", "f1", "is")}
    row["fid_inception"] = None
    if inception_n:
        inception = evaluate(model, n=inception_n, features="inception")
        row["fid_inception"], row["inception_features"] = inception["fid"], inception["features"]
    return {"model": name, **row, **training(name)}


def table(rows: list[dict]) -> str:
    """The results as a Markdown table; a dash where a number was not measured."""
    lines = ["| model | " + " | ".join(h for _, h, _ in COLUMNS) + " |"]
    lines.append("|---" * (len(COLUMNS) + 1) + "|")
    for row in rows:
        cells = [("—" if row[k] is None else fmt.format(row[k])) for k, _, fmt in COLUMNS]
        lines.append(f"| {row['model']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--n", type=int, default=10_000, help="samples for the domain metrics")
    args.add_argument("--inception-n", type=int, default=10_000, help="0 skips Inception")
    args.add_argument("--models", nargs="+", default=GENERATIVE, choices=GENERATIVE)
    args.add_argument("--out", type=Path, help="write the results to this JSON file")
    opts = args.parse_args()
    rows = [score(name, opts.n, opts.inception_n) for name in opts.models]
    print(table(rows))
    if opts.out:
        report = {
            "what": f"domain metrics at n={opts.n}, Inception FID at n={opts.inception_n}, "
            "samples against the first n MNIST test images",
            "command": "python bench/results.py "
            + f"--n {opts.n} --inception-n {opts.inception_n}",
            "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, "
            f"torch {torch.__version__}",
            "rows": rows,
        }
        opts.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
