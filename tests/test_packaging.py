"""The install files agree with each other, and README gives the command CI runs."""

import re
from pathlib import Path

import tomllib
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def conda_pip_requirements() -> list[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    return [line for line in pip if not line.startswith("-")]


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    assert sorted(conda_pip_requirements()) == sorted(pyproject()["project"]["dependencies"])


def test_required_dependencies_are_listed():
    names = {Requirement(r).name for r in pyproject()["project"]["dependencies"]}
    assert {
        "torch",
        "torchvision",
        "jupyterlab",
        "matplotlib",
        "ipywidgets",
        "torchmetrics",
        "nbval",
    } <= names


def test_constraints_pin_builds_inside_the_ranges():
    ranges = {
        Requirement(r).name: Requirement(r).specifier
        for r in pyproject()["project"]["dependencies"]
    }
    pins = [
        Requirement(line)
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert {p.name for p in pins} == {"torch", "torchvision"}
    for pin in pins:
        (version,) = [s.version for s in pin.specifier if s.operator == "=="]
        assert version in ranges[pin.name], f"{pin} is outside pyproject's {ranges[pin.name]}"
    assert "2.9.0" in ranges["torch"], "Colab's torch must stay admissible"
    assert isinstance(ranges["torch"], SpecifierSet)


def test_readme_gives_the_test_command_that_ci_runs():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    test_command = ci[ci.index("# The test command, exactly as README.md gives it:") + 1]
    readme = (ROOT / "README.md").read_text()
    assert test_command in readme
    assert "HVG_QUICK" in readme


def test_readme_lists_every_notebook_with_a_colab_badge():
    readme = (ROOT / "README.md").read_text()
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert re.search(
            rf"colab\.research\.google\.com/github/.+/notebooks/{notebook.name}", readme
        ), f"no Colab badge for {notebook.name}"
