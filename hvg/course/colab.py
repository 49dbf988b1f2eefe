"""The first code cell of every notebook: on Colab it fetches and installs the course.

Colab opens a notebook alone, without the repository beside it. This cell clones the
repository (which ships MNIST, the checkpoints and bench results) to /content/hvg, installs
`hvg` from it, moves into its notebooks/ folder so relative paths work, and turns on Colab's
custom widget manager, which ipywidgets need there. Anywhere else it does nothing. The cell
cannot import `hvg` (it is what installs it), so its text lives here as a string: the tests
check every notebook carries it and run both of its branches.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

REPOSITORY = "https://github.com/hvg-course/hvg"
COURSE_DIR = "/content/hvg"

CELL = f"""\
# On Colab: fetch the course, install it, turn on its widgets. Elsewhere: nothing happens.
import os
import subprocess
import sys

try:
    from google.colab import output as colab_output
except ImportError:
    colab_output = None
if colab_output is not None:
    course = "{COURSE_DIR}"
    if not os.path.isdir(course):
        repository = "{REPOSITORY}"
        subprocess.run(["git", "clone", "--depth", "1", repository, course], check=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", course], check=True)
    sys.path.insert(0, course)
    os.chdir(f"{{course}}/notebooks")
    colab_output.enable_custom_widget_manager()"""


def add_colab_cell(path: str | Path) -> bool:
    """Put CELL first among the notebook's code cells (after its title); True if it changed."""
    notebook = nbformat.read(path, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    if code and code[0].source == CELL:
        return False
    if code and code[0].source.startswith(CELL.splitlines()[0]):
        code[0].source = CELL  # an older version of the cell: replace it
    else:
        cell = nbformat.v4.new_code_cell(CELL)
        cell.id = "colab-setup"
        at = 1 if notebook.cells and notebook.cells[0].cell_type == "markdown" else 0
        notebook.cells.insert(at, cell)
    nbformat.write(notebook, path)
    return True
