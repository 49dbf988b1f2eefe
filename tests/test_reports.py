"""The seed studies' report helpers (bench.studies): runs from separate processes merge into one
report; and hvg.course.reports finds the reports the notebooks read."""

import json

import pytest

from bench.studies import earlier_report, merged_runs, seed_spread
from hvg.course.reports import bench_report

SETTINGS = {"steps": 100, "n": 50}


def run(key: str, seed: int, fid: float) -> dict:
    return {"key": key, "seed": seed, "fid": fid, "parameters": 7}


def test_a_missing_report_has_no_runs_and_one_of_other_settings_is_refused(tmp_path):
    path = tmp_path / "study.json"
    assert earlier_report(path, SETTINGS) == {"runs": []}
    path.write_text(json.dumps({"settings": {**SETTINGS, "n": 60}, "runs": []}))
    assert earlier_report(path, SETTINGS) is None


def test_appending_keeps_the_other_processes_runs_and_commands(tmp_path):
    path = tmp_path / "study.json"
    theirs = [run("a", 0, 3.0), run("b", 0, 9.0)]
    path.write_text(json.dumps({"settings": SETTINGS, "runs": theirs, "command": "first"}))
    mine = [run("b", 0, 5.0), run("b", 1, 7.0)]
    runs, command = merged_runs(path, SETTINGS, mine, "second", append=True)
    assert runs == [theirs[0], *mine]  # my (b, 0) replaces theirs
    assert command == "first && second"
    assert merged_runs(path, SETTINGS, mine, "second", append=False) == (mine, "second")


def test_the_spread_is_over_seeds_per_option_of_float_scores_only():
    summary = seed_spread([run("a", 0, 3.0), run("a", 1, 5.0), run("b", 0, 9.0)])
    assert summary["a"]["fid"] == {"mean": 4.0, "std": 1.0}
    assert summary["b"]["fid"] == {"mean": 9.0, "std": 0.0}
    assert "parameters" not in summary["a"]


def test_a_notebooks_report_is_read_from_bench_and_a_missing_one_says_where_it_looked(tmp_path):
    assert bench_report("conditional")["command"].startswith("python bench/conditional.py")
    with pytest.raises(FileNotFoundError, match="study.json"):
        bench_report("study", tmp_path)
