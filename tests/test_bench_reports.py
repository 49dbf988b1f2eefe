"""Every committed report in bench/ says which script wrote it and how: its "command" runs a
bench script whose name leads the report's, and writes (--out) no other file in bench/; the
notebooks read only reports that are there. The bench package is importable from the repository
root, and stays out of the hvg distribution."""

import json
import re
import shlex
import subprocess
import sys

import pytest
import setuptools
import tomllib

from hvg.config import REPOSITORY

BENCH = REPOSITORY / "bench"
REPORTS = sorted(BENCH.glob("*.json"))


def commands(report: dict) -> list[str]:
    """The report's command, or (bench/notebook_times.json) each of its entries' commands."""
    if "command" in report:
        return [report["command"]]
    return [v["command"] for v in report.values() if isinstance(v, dict) and "command" in v]


def script(command: str) -> str:
    """The bench script `command` runs: `python bench/NAME.py ...` or `python -m bench.NAME ...`."""
    argv = shlex.split(command)
    assert argv[0] == "python", f"not a python command: {command}"
    if argv[1] == "-m":
        assert argv[2].startswith("bench."), f"not a bench module: {command}"
        return argv[2].removeprefix("bench.")
    assert argv[1].startswith("bench/") and argv[1].endswith(".py"), f"not bench/*.py: {command}"
    return argv[1].removeprefix("bench/").removesuffix(".py")


def test_there_are_reports():
    assert len(REPORTS) > 10


@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.name)
def test_each_report_holds_the_commands_of_a_script_that_leads_its_name(path):
    said = commands(json.loads(path.read_text()))
    assert said, f"{path.name} records no command: add the one that made it"
    for command in (c for text in said for c in text.split(" && ")):
        name = script(command)
        assert (BENCH / f"{name}.py").is_file(), f"{path.name}: no bench/{name}.py ({command})"
        assert path.stem == name or path.stem.startswith(f"{name}_"), (
            f"{path.name} is written by bench/{name}.py: its name should start with {name}"
        )
        argv = shlex.split(command)
        outs = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--out"]
        assert all(o == f"bench/{path.name}" for o in outs if o.startswith("bench/")), (
            f"{path.name}'s command writes another report: {command}"
        )


def test_every_report_the_notebooks_read_is_there():
    for path in sorted((REPOSITORY / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        for name in re.findall(r"bench_report\([\"']([^\"']+)[\"']", code):
            assert (BENCH / f"{name}.json").is_file(), f"{path.name}: no bench/{name}.json"


def test_bench_is_a_package_beside_hvg_not_part_of_its_distribution():
    import bench
    import bench.studies

    assert bench.__file__ == str(BENCH / "__init__.py") and bench.__doc__
    config = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = setuptools.find_packages(REPOSITORY, include=include)
    assert "hvg" in packages and not any(p.split(".")[0] == "bench" for p in packages)


SIBLINGS = sorted(str(p) for p in BENCH.glob("*.py") if "from bench." in p.read_text())
AS_SCRIPTS = """
import contextlib, importlib.util, io, runpy, sys
assert importlib.util.find_spec("bench") is None  # not installed, and not in this folder
for path in sys.argv[1:]:  # each as `python bench/NAME.py --help` runs it
    sys.argv = [path, "--help"]
    with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit):
        runpy.run_path(path, run_name="__main__")
    assert out.getvalue().startswith("usage:"), (path, out.getvalue())
"""


def test_the_scripts_that_import_the_bench_package_run_by_their_path_from_anywhere(tmp_path):
    assert SIBLINGS, "no bench script imports the bench package: drop this test"
    args = [sys.executable, "-c", AS_SCRIPTS, *SIBLINGS]
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
