"""Run time of each notebook, executed top to bottom in a fresh kernel, in quick or full mode.

    python bench/notebook_times.py --mode quick            # HVG_QUICK=1, outputs thrown away
    python bench/notebook_times.py --mode full --inplace   # HVG_QUICK=0, outputs saved

Writes the mode's times into bench/notebook_times.json (the other mode's stay), from which the
README's run-time column is made (`column`; tests/test_readme_tables.py checks the two agree).
Time it on an otherwise idle machine: other work on the cores slows every cell.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path

import nbformat
import torch
from nbconvert.preprocessors import ExecutePreprocessor

REPOSITORY = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPOSITORY / "notebooks"
REPORT = Path(__file__).with_suffix(".json")
MODES = {"quick": "1", "full": "0"}


def run_time(path: Path, inplace: bool) -> float:
    """Seconds to execute the notebook at `path` in a fresh kernel (saved back if `inplace`)."""
    notebook = nbformat.read(path, as_version=4)
    executor = ExecutePreprocessor(timeout=None, kernel_name="python3")
    start = time.perf_counter()
    executor.preprocess(notebook, {"metadata": {"path": str(path.parent)}})
    seconds = time.perf_counter() - start
    if inplace:
        nbformat.write(notebook, path)
    return seconds


def shown(seconds: float) -> str:
    """A run time as the README gives it: seconds under a minute, else minutes to 0.1."""
    return f"{seconds:.0f} s" if seconds < 59.5 else f"{seconds / 60:.1f} min"


def column(report: dict, notebook: str) -> str:
    """The README's "full / quick" cell for one notebook (its file name without .ipynb)."""
    return " / ".join(shown(report[mode]["seconds"][notebook]) for mode in ("full", "quick"))


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--mode", choices=sorted(MODES), required=True)
    args.add_argument("--inplace", action="store_true", help="save the outputs in the notebooks")
    args.add_argument("notebooks", nargs="*", help="names like 01_vae_basics (default: all)")
    opts = args.parse_args()
    os.environ["HVG_QUICK"] = MODES[opts.mode]  # the kernel inherits it
    names = opts.notebooks or sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    report = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    entry = report.setdefault(opts.mode, {"seconds": {}})
    for name in names:
        seconds = run_time(NOTEBOOKS / f"{name}.ipynb", opts.inplace)
        entry["seconds"][name] = round(seconds, 1)
        print(f"{name:<20} {shown(seconds):>8}", flush=True)
    entry["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}"
    entry["date"] = datetime.date.today().isoformat()
    entry["command"] = f"python bench/notebook_times.py --mode {opts.mode}" + (
        " --inplace" if opts.inplace else ""
    )
    REPORT.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
