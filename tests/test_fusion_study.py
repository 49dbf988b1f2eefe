"""bench/fusion_study.py --merge joins the reports of processes that ran parts of one study."""

import json
import subprocess
import sys

import pytest

from bench.fusion_study import merged
from hvg.config import REPOSITORY

SCRIPT = REPOSITORY / "bench" / "fusion_study.py"
REPORT = json.loads((REPOSITORY / "bench" / "fusion_study.json").read_text())


def written(tmp_path, parts: list[dict]) -> list[str]:
    """`parts` written as reports: their paths."""
    paths = []
    for i, part in enumerate(parts):
        paths.append(str(tmp_path / f"part{i}.json"))
        (tmp_path / f"part{i}.json").write_text(json.dumps(part))
    return paths


def merge(tmp_path, parts: list[dict]) -> subprocess.CompletedProcess:
    """Write `parts` as reports and merge them with the script's own command line."""
    out = tmp_path / "merged.json"
    args = [sys.executable, str(SCRIPT), "--merge", *written(tmp_path, parts), "--out", str(out)]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def part(seeds: set[int], command: str) -> dict:
    """The committed report cut down to the runs of `seeds`, as one process would write it."""
    return {**REPORT, "command": command, "runs": [r for r in REPORT["runs"] if r["seed"] in seeds]}


def test_two_processes_seeds_merge_into_the_whole_studys_spread(tmp_path):
    result = merge(tmp_path, [part({2}, "second"), part({0, 1}, "first")])
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "merged.json").read_text())
    assert report["runs"] == REPORT["runs"]  # back in the order of the models, then the seeds
    assert report["summary"] == REPORT["summary"]
    assert report["command"].startswith("second && first && python bench/fusion_study.py --merge")


def test_a_run_in_two_reports_or_reports_of_other_settings_are_refused(tmp_path):
    with pytest.raises(SystemExit, match="more than one report"):
        merged(written(tmp_path, [part({0, 1}, "a"), part({1, 2}, "b")]), "merge")
    other = {**part({2}, "b"), "what": REPORT["what"].replace("1500 steps", "500 steps")}
    assert "1500 steps" in REPORT["what"]
    with pytest.raises(SystemExit, match="different settings"):
        merged(written(tmp_path, [part({0, 1}, "a"), other]), "merge")
