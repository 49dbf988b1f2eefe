"""The README's result tables are the ones the bench scripts print from their own JSON reports:
a number changed in one place and not the other fails here."""

import importlib
import json
from types import ModuleType

import pytest

from hvg.config import REPOSITORY
from hvg.course.reports import conditional_table

BENCH = REPOSITORY / "bench"


def bench_script(name: str) -> ModuleType:
    """bench/NAME.py, imported from the bench package (the repository root is on sys.path)."""
    return importlib.import_module(f"bench.{name}")


def report(name: str) -> dict:
    return json.loads((BENCH / f"{name}.json").read_text())


TABLES = {
    "results": lambda: bench_script("results").table(report("results")["rows"]),
    "fusion_study": lambda: bench_script("fusion_study").table(report("fusion_study")["summary"]),
    "expost_prior": lambda: bench_script("expost_prior").table(report("expost_prior")["summary"]),
    "conditional": lambda: conditional_table(report("conditional")["rows"]),
    "vaegan_options_seeds": lambda: bench_script("vaegan_options").seeds_table(
        report("vaegan_options_seeds")["summary"]
    ),
    "vae_options": lambda: bench_script("vae_options").table(report("vae_options")),
    "dcgan_options": lambda: bench_script("dcgan_options").table(report("dcgan_options")),
    "convergence": lambda: bench_script("convergence").summary(report("convergence"), 16.0),
    "convergence_fusion": lambda: bench_script("convergence").summary(
        report("convergence_fusion"), 16.0
    ),
    "capacity": lambda: bench_script("capacity").table(report("capacity")["rows"]),
}
WHERE = {  # which documents show each table
    "results": ["README.md"],
    "fusion_study": ["README.md"],
    "expost_prior": ["bench/README.md"],
    "conditional": ["README.md", "bench/README.md"],
    "vaegan_options_seeds": ["bench/README.md"],
    "vae_options": ["bench/README.md"],
    "dcgan_options": ["bench/README.md"],
    "convergence": ["bench/README.md"],
    "convergence_fusion": ["bench/README.md"],
    "capacity": ["bench/README.md"],
}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_each_table_is_its_reports(name):
    table = TABLES[name]()
    for document in WHERE[name]:
        text = (REPOSITORY / document).read_text()
        assert table in text, (
            f"{document}'s table of bench/{name}.json is not what the report holds: paste the "
            f"table that its script (the report's command) prints, or this one:\n{table}"
        )


def test_the_notebooks_run_times_are_the_measured_ones():
    times, script = report("notebook_times"), bench_script("notebook_times")
    lines = (REPOSITORY / "README.md").read_text().splitlines()
    rows = {line.split("|")[1].strip(): line for line in lines if line.startswith("| 0")}
    for path in sorted((REPOSITORY / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cell = script.column(times, path.stem)
        assert f"| {cell} |" in rows[path.stem[:2]], (
            f"README.md's run time of {path.name} is not bench/notebook_times.json's: "
            f"write {cell!r} (or re-measure: python bench/notebook_times.py --mode quick)"
        )


def test_each_notebooks_header_gives_the_measured_run_times():
    times, script = report("notebook_times"), bench_script("notebook_times")
    for path in sorted((REPOSITORY / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        header = json.loads(path.read_text())["cells"][0]["source"]
        seconds = (times[mode]["seconds"][path.stem] for mode in ("full", "quick"))
        full, quick = map(script.shown, seconds)
        said = f"*Run time:* {full} in full mode and {quick} in quick mode"
        assert said in "".join(header), f"{path.name}'s first cell should say: {said}"
