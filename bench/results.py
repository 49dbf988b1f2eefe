"""The README's results table: every shipped generative model, scored the same way.

For each shipped generative checkpoint: FID, precision, recall, F1 and IS with the domain
features (the shipped MNIST classifier) and FID and KID with TF-Inception, each on n samples
against the MNIST test images (all 10,000 at n = 10,000, else n at random, seed 0); the
training time its history records and the images a second it implies. The VAE and the VAE-GAN
get a second row, sampled from their ex-post prior (hvg.priors: a Gaussian mixture on the
training codes, with the K that bench/expost_prior.json chose on validation codes). Writes
bench/results.json and prints the Markdown table that README.md shows.

Run (full, the README's numbers): python bench/results.py --out bench/results.json
Re-score some rows, keeping the rest: ... --models dcgan --update --out bench/results.json
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
from hvg.course.pretrained import load_pretrained
from hvg.metrics import evaluate
from hvg.priors import expost_prior

GENERATIVE = ["vae", "dcgan", "vaegan", "fusion-early", "fusion-late", "fusion-progressive"]
STUDY = Path(__file__).parent / "expost_prior.json"  # bench/expost_prior.py's report
PRIORS = ("normal", "expost")
COLUMNS = [  # (key, heading, format)
    ("prior", "prior", "{}"),
    ("fid_inception", "FID (Inception)", "{:.1f}"),
    ("kid_inception", "KID x 1000 (Inception)", "{:.1f}"),
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


def chosen_k(name: str, study: Path = STUDY) -> int:
    """The mixture size bench/expost_prior.py chose for `name` on its validation codes."""
    summary = json.loads(study.read_text())["summary"]
    entry = next(e for e in summary if e["model"] == name and e.get("chosen"))
    return int(entry["prior"].removeprefix("GMM K="))


def score(name: str, prior: str, n: int, inception_n: int) -> dict:
    """Every number of one shipped model, sampled from `prior` ("normal" or "expost")."""
    model, _ = load_pretrained(name)
    label = "N(0, I)"
    if prior == "expost":
        k = chosen_k(name)
        model, label = expost_prior(model, k), f"ex-post, K={k}"
    domain = evaluate(model, n=n, progress=False)
    row = {k: domain[k] for k in ("fid", "precision", "recall", "f1", "is")}
    row.update(fid_inception=None, kid_inception=None)
    if inception_n:
        inception = evaluate(model, n=inception_n, features="inception", with_kid=True)
        row["fid_inception"], row["inception_features"] = inception["fid"], inception["features"]
        row["kid_inception"] = 1000 * inception["kid"]
        row["reference"] = inception["reference"]
    return {"model": name, "prior": label, **row, **training(name)}


def wanted(models: list[str], priors: list[str]) -> list[tuple[str, str]]:
    """(model, prior) pairs to score: the ex-post prior for the models its study chose a K for."""
    studied = {entry["model"] for entry in json.loads(STUDY.read_text())["summary"]}
    return [(m, p) for m in models for p in priors if p == "normal" or m in studied]


def table(rows: list[dict]) -> str:
    """The results as a Markdown table; a dash where a number was not measured."""
    lines = ["| model | " + " | ".join(h for _, h, _ in COLUMNS) + " |"]
    lines.append("|---" * (len(COLUMNS) + 1) + "|")
    for row in rows:
        cells = [("—" if row.get(k) is None else fmt.format(row[k])) for k, _, fmt in COLUMNS]
        lines.append(f"| {row['model']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def slot(row: dict) -> tuple[int, bool]:
    """A row's place in the table: its model, then N(0, I) before the ex-post prior (whatever
    its K, so that a re-run with a new K replaces the old mixture's row)."""
    return GENERATIVE.index(row["model"]), row["prior"] != "N(0, I)"


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--n", type=int, default=10_000, help="samples for the domain metrics")
    args.add_argument("--inception-n", type=int, default=10_000, help="0 skips Inception")
    args.add_argument("--models", nargs="+", default=GENERATIVE, choices=GENERATIVE)
    args.add_argument("--priors", nargs="+", default=list(PRIORS), choices=PRIORS)
    args.add_argument("--out", type=Path, help="write the results to this JSON file")
    args.add_argument(
        "--update", action="store_true", help="keep --out's other rows, replace these"
    )
    opts = args.parse_args()
    command = f"python bench/results.py --n {opts.n} --inception-n {opts.inception_n}"
    rows = [
        {**score(name, prior, opts.n, opts.inception_n), "scored_by": command}
        for name, prior in wanted(opts.models, opts.priors)
    ]
    if opts.update and opts.out and opts.out.exists():
        kept = json.loads(opts.out.read_text())["rows"]
        fresh = {slot(r): r for r in rows}
        old = {slot(r): r for r in kept}
        rows = [fresh.get(key, old.get(key)) for key in {**old, **fresh}]
    rows.sort(key=slot)
    print(table(rows))
    if opts.out:
        report = {
            "what": "domain metrics, and Inception FID and KID where measured, of n samples "
            "against the MNIST test images (all 10,000 at n=10000; else n at random, seed 0); "
            "a row's scored_by is the command that scored it, where --update re-scored some "
            "rows and kept the rest; rows without one come from command",
            "command": "python bench/results.py --n 10000 --inception-n 10000",
            "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, "
            f"torch {torch.__version__}",
            "rows": rows,
        }
        opts.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
