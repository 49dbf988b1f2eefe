"""The notebooks' exercises carry nbgrader metadata that agrees with their solution markers, and
a notebook where they disagree is named, cell and fix, before nbgrader would stop on it."""

import re

import nbformat
import pytest

from hvg.course import exercises
from hvg.course.classroom import NOTEBOOKS, course_problems, notebook_problems

SOURCES = sorted(NOTEBOOKS.glob("*.ipynb"))


def nbgrader(grade_id, *, solution=False, grade=False, points=None, locked=None):
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": (grade and not solution) if locked is None else locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def notebook(*cells):
    """A notebook of (cell type, source, nbgrader metadata or None) cells, with ids c0, c1, ..."""
    nb = nbformat.v4.new_notebook()
    for i, (kind, source, meta) in enumerate(cells):
        cell = getattr(nbformat.v4, f"new_{kind}_cell")(source)
        cell.id = f"c{i}"
        cell.metadata.update(meta or {})
        nb.cells.append(cell)
    return nb


REGION = "<!-- BEGIN SOLUTION -->\nx\n<!-- END SOLUTION -->"
SOLUTION = "def my_kl(mu, logvar):\n    ### BEGIN SOLUTION\n    return mu\n    ### END SOLUTION"
CHECK = 'from hvg.course.exercises import check_kl\n\nassert check_kl(my_kl), "not right yet"'
GOOD = [
    ("code", SOLUTION, nbgrader("kl", solution=True)),
    ("code", CHECK, nbgrader("kl-check", grade=True, points=2)),
    ("markdown", "Notes.", nbgrader("why", solution=True, grade=True, points=3)),
]


def test_the_course_notebooks_have_no_problems():
    assert course_problems() == []


def test_a_well_formed_exercise_has_no_problems():
    assert notebook_problems(notebook(*GOOD)) == []


@pytest.mark.parametrize(
    "cell, where, says",
    [
        (("code", SOLUTION, None), "cell 1 (id c1)", "not a solution cell"),
        (("markdown", REGION, None), "cell 1", "not a solution cell"),
        (("code", "### BEGIN SOLUTION\nx = 1", nbgrader("x", solution=True)), "cell 1", "an END"),
        (("code", "x = 1\n### END SOLUTION", nbgrader("x", solution=True)), "cell 1", "without a"),
        (("code", CHECK, nbgrader("kl", grade=True, points=1)), "cell 1 (id c1)", "c0"),
        (("code", CHECK, nbgrader("kl-check2", grade=True)), "cell 1", "points None"),
        (("code", CHECK, nbgrader("kl-check2", grade=True, points=0)), "cell 1", "above 0"),
        (("code", "check_kl(my_kl)", nbgrader("t", grade=True, points=1)), "cell 1", "any answer"),
        (("code", CHECK, nbgrader("bad id!", grade=True, points=1)), "cell 1", "characters"),
        (("markdown", "Why?", nbgrader("m", grade=True, points=1)), "cell 1", "nbgrader refuses"),
    ],
    ids=[
        "code region, no metadata",
        "markdown region, no metadata",
        "BEGIN without END",
        "END without BEGIN",
        "duplicate grade_id",
        "test cell without points",
        "test cell with 0 points",
        "check not asserted",
        "grade_id with spaces",
        "markdown graded but no solution",
    ],
)
def test_a_disagreement_is_named_with_its_notebook_and_cell(cell, where, says, tmp_path):
    nbformat.write(notebook(GOOD[0], cell), tmp_path / "broken.ipynb")
    problems = course_problems(tmp_path)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"broken.ipynb, {where}") and says in problems[0], problems


def test_a_folder_without_notebooks_is_a_problem(tmp_path):
    assert course_problems(tmp_path) == [f"no notebooks (*.ipynb) in {tmp_path}"]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_every_solution_is_followed_by_its_graded_check(path):
    cells = nbformat.read(path, as_version=4).cells
    solutions = [i for i, c in enumerate(cells) if "### BEGIN SOLUTION" in c.source]
    assert solutions, f"{path.name} has no checked exercise"
    for i in solutions:
        function = re.search(r"^def (my_\w+)\(", cells[i].source, re.M)
        test = cells[i + 1]
        assert function and f"({function.group(1)})" in test.source, f"{path.name}, cell {i + 1}"
        grade_id = cells[i].metadata["nbgrader"]["grade_id"]
        assert test.metadata["nbgrader"]["grade_id"] == f"{grade_id}-check"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_every_open_question_has_a_manually_graded_answer_cell(path):
    cells = nbformat.read(path, as_version=4).cells
    questions = [i for i, c in enumerate(cells) if c.get("id", "").endswith("-question")]
    assert questions, f"{path.name} has no open question"
    for i in questions:
        answer = cells[i + 1]
        meta = answer.metadata.get("nbgrader", {})
        assert answer.cell_type == "markdown" and meta.get("solution") and meta.get("grade"), (
            f"{path.name}, cell {i + 1}: the answer cell of {cells[i].id}"
        )
        assert answer.source.startswith("**Instructor notes.**"), f"{path.name}, cell {i + 1}"


def test_every_check_is_graded_in_some_notebook():
    sources = "".join(c.source for p in SOURCES for c in nbformat.read(p, as_version=4).cells)
    unused = {n for n in dir(exercises) if n.startswith("check_") and f"assert {n}(" not in sources}
    assert not unused, f"checks no notebook grades: {sorted(unused)}"
