"""The benchmark reports the notebooks read (bench/*.json), found beside the package, not the cwd.

A notebook may run from anywhere: its own folder, Colab's /content/hvg/notebooks, or an nbgrader
course's autograded/STUDENT/ASSIGNMENT/ folder. The reports ship with the repository, next to
the `hvg` package that `pip install -e` points at, so they are looked up from there.
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
