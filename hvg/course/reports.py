"""The benchmark reports the notebooks read (bench/*.json), found beside the package, not the cwd.

A notebook may run from anywhere: its own folder, Colab's /content/hvg/notebooks, or an nbgrader
course's autograded/STUDENT/ASSIGNMENT/ folder. The reports ship with the repository, next to
the `hvg` package that `pip install -e` points at, so they are looked up from there.

The harness that makes the reports (training options over seeds, merging runs, the spread) is
the bench package's, `bench.studies`, beside them in the repository: it is not installed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hvg.config import REPOSITORY

BENCH_DIR = REPOSITORY / "bench"


def bench_report(name: str, directory: Path = BENCH_DIR) -> dict[str, Any]:
    """The report bench/NAME.json, or a FileNotFoundError naming the file and the fix."""
    path = directory / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"no benchmark report {path}: the reports ship with the course's repository, so "
            "install hvg from a clone (git clone, then pip install -e CLONE), not from a copy "
            "of the package alone."
        )
    return json.loads(path.read_text())


def conditional_table(rows: list[dict[str, Any]]) -> str:
    """bench/conditional.json's rows as the markdown table of bench/README.md and notebook 07."""
    lines = [
        "| model | class accuracy | FID | KID x 1000 | worst class FID | style ratio "
        "| translation accuracy | code (nats) | training |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        worst = max(r["per_class"].items(), key=lambda item: item[1]["fid"])
        style = r["style"]
        kept = (
            f"{style['ratio']:.2f} | {100 * style['accuracy']:.1f} % | {r['code_nats']:.1f}"
            if style
            else "- | - | -"
        )
        lines.append(
            f"| {r['model']} | {100 * r['accuracy']:.1f} % | {r['fid']:.2f} | "
            f"{1000 * r['kid']:.1f} | {worst[1]['fid']:.2f} (digit {worst[0]}) | {kept} | "
            f"{r['train_seconds'] / 60:.1f} min |"
        )
    return "\n".join(lines)
