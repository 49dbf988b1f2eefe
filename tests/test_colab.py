"""The Colab setup cell: every notebook carries it, and both of its branches do what they say."""

import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

from hvg.course.colab import CELL, COURSE_DIR, REPOSITORY, add_colab_cell

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_starts_with_the_colab_cell(path):
    code = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    fix = f"python -c \"from hvg.course.colab import add_colab_cell; add_colab_cell('{path}')\""
    assert code[0].source == CELL, f"the Colab cell is missing or old; run: {fix}"


@pytest.fixture
def calls(monkeypatch):
    """Record what the cell would run, change directory to, and turn on, instead of doing it."""
    record = {"run": [], "chdir": [], "widgets": 0}
    monkeypatch.setattr(subprocess, "run", lambda args, check: record["run"].append(args))
    monkeypatch.setattr("os.chdir", lambda path: record["chdir"].append(path))
    monkeypatch.setattr(sys, "path", list(sys.path))
    return record


def test_elsewhere_the_cell_does_nothing(calls, monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", None)  # makes the import fail
    exec(CELL, {})
    assert calls == {"run": [], "chdir": [], "widgets": 0}


def test_on_colab_the_cell_installs_the_course_and_enables_widgets(calls, monkeypatch):
    output = types.SimpleNamespace(
        enable_custom_widget_manager=lambda: calls.__setitem__("widgets", calls["widgets"] + 1)
    )
    colab = types.ModuleType("google.colab")
    colab.output = output
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setattr("os.path.isdir", lambda path: False)
    exec(CELL, {})
    assert calls["run"] == [
        ["git", "clone", "--depth", "1", REPOSITORY, COURSE_DIR],
        [sys.executable, "-m", "pip", "install", "-q", "-e", COURSE_DIR],
    ]
    assert calls["chdir"] == [f"{COURSE_DIR}/notebooks"] and calls["widgets"] == 1
    assert sys.path[0] == COURSE_DIR
    monkeypatch.setattr("os.path.isdir", lambda path: True)  # run again: no second clone
    exec(CELL, {})
    assert len(calls["run"]) == 2 and calls["widgets"] == 2


def test_add_colab_cell_puts_it_after_the_title_once(tmp_path):
    path = tmp_path / "n.ipynb"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# title"), nbformat.v4.new_code_cell("1")]
    nbformat.write(notebook, path)
    assert add_colab_cell(path) is True
    assert add_colab_cell(path) is False
    cells = nbformat.read(path, as_version=4).cells
    assert [c.source for c in cells] == ["# title", CELL, "1"]
