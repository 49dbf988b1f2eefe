"""The benchmark reports the notebooks read (bench/*.json), found beside the package, not the cwd.

A notebook may run from anywhere: its own folder, Colab's /content/hvg/notebooks, or an nbgrader
course's autograded/STUDENT/ASSIGNMENT/ folder. The reports ship with the repository, next to
the `hvg` package that `pip install -e` points at, so they are looked up from there.
"""

from __future__ import annotations

import json
import statistics
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
            k: {"mean": statistics.mean(r[k] for r in rows),
                "std": statistics.pstdev(r[k] for r in rows)}
            for k in scores
        }  # fmt: skip
    return out
