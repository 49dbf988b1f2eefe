"""nbgrader's view of the course: where a notebook's solution markers and cell metadata disagree.

nbgrader itself makes the students' release, grades and gives feedback (README, "For
instructors"); this module only finds, before nbgrader would stop on them, the mistakes that
editing an exercise can introduce, each named by notebook and cell with its fix. It needs the
`classroom` extra (nbgrader), whose own metadata validator it runs on every cell.

    problems = course_problems(Path("notebooks"))   # [] when nbgrader will accept them all
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbgrader.nbgraderformat import MetadataValidator, ValidationError

from hvg.config import REPOSITORY

NOTEBOOKS = REPOSITORY / "notebooks"
BEGIN, END = "BEGIN SOLUTION", "END SOLUTION"  # nbgrader's delimiters, matched anywhere in a line
GRADE_ID = re.compile(r"^[a-zA-Z0-9_-]+$")  # what nbgrader's gradebook accepts
CHECKED = re.compile(r"^assert check_\w+\(", re.M)


def _where(name: str, index: int, cell: NotebookNode) -> str:
    """How a message names a cell: notebook, index and id."""
    return f"{name}, cell {index} (id {cell.get('id', '?')})"


def _marker_problems(cell: NotebookNode) -> tuple[list[str], bool]:
    """Unbalanced solution markers in a cell, and whether it has a solution region at all."""
    problems, opened, regions = [], None, 0
    for number, line in enumerate(cell.source.splitlines(), start=1):
        if BEGIN in line:
            if opened is not None:
                problems.append(f"line {number}: {BEGIN} inside the one opened on line {opened}")
            opened = number
        elif END in line:
            if opened is None:
                problems.append(f"line {number}: {END} without a {BEGIN} before it")
            opened, regions = None, regions + 1
    if opened is not None:
        problems.append(f"line {opened}: {BEGIN} without an {END} after it")
    return [f"{p}: add the missing marker" for p in problems], bool(regions or opened)


def _metadata_problems(cell: NotebookNode) -> list[str]:
    """What is wrong with a cell's nbgrader metadata (points, grade_id, nbgrader's own rules)."""
    meta = cell.metadata.get("nbgrader")
    if meta is None:
        return []
    problems = []
    points = meta.get("points")
    if meta.get("grade") and not (isinstance(points, int | float) and points > 0):
        problems.append(
            f"a graded cell with points {points!r}: set its nbgrader points to what it is "
            "worth, a number above 0"
        )
    grade_id = meta.get("grade_id")
    if grade_id is not None and not GRADE_ID.match(str(grade_id)):
        problems.append(
            f"grade_id {grade_id!r} has characters nbgrader refuses: use letters, digits, - and _"
        )
    if problems:
        return problems
    try:
        MetadataValidator().validate_cell(cell)
    except ValidationError as error:
        return [f"nbgrader refuses its metadata ({error}): fix it in the cell's nbgrader metadata"]
    return []


def notebook_problems(notebook: NotebookNode, name: str = "notebook") -> list[str]:
    """Every disagreement between markers and nbgrader metadata in a notebook, cell by cell."""
    problems, owners = [], {}
    for index, cell in enumerate(notebook.cells):
        where = _where(name, index, cell)
        markers, has_region = _marker_problems(cell)
        problems += [f"{where}: {p}" for p in markers]
        meta = cell.metadata.get("nbgrader", {})
        if has_region and not meta.get("solution"):
            problems.append(
                f"{where}: a solution region in a cell that is not a solution cell, which "
                "nbgrader's generate_assignment refuses: mark the cell as a solution cell "
                "(nbgrader metadata solution: true and a grade_id) or remove the markers"
            )
        problems += [f"{where}: {p}" for p in _metadata_problems(cell)]
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            if not CHECKED.search(cell.source):
                problems.append(
                    f"{where}: a test cell that does not `assert check_...(...)`; a check alone "
                    "never raises, so nbgrader would give its points for any answer"
                )
        if meta.get("grade") or meta.get("solution") or meta.get("locked"):
            grade_id = meta.get("grade_id")
            if grade_id is not None and grade_id in owners:
                problems.append(
                    f"{where}: grade_id {grade_id!r} is already used by "
                    f"{_where(name, owners[grade_id], notebook.cells[owners[grade_id]])}: "
                    "nbgrader keys grades by it, so give each cell its own"
                )
            owners.setdefault(grade_id, index)
    return problems


def course_problems(directory: Path = NOTEBOOKS) -> list[str]:
    """notebook_problems for every *.ipynb in a folder; a folder without any is a problem."""
    paths = sorted(directory.glob("*.ipynb"))
    if not paths:
        return [f"no notebooks (*.ipynb) in {directory}"]
    return [p for path in paths for p in notebook_problems(nbformat.read(path, 4), path.name)]
