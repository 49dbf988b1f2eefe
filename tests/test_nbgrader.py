"""The nbgrader round trip for every notebook, with README's instructor commands as written.

In a scratch folder holding the repository (as `hvg/`, a clone's place in README), README's
commands make the course and its release. Two students then hand in every assignment:
`wrong` the instructor's version with one checked answer (W, the first that WRONG has a
mistake for) replaced by that realistic mistake, and `blank` the release as it is but for W,
which it answers as the instructor does. README's autograde, feedback and export commands
grade them; the autograde command runs on two halves of the assignments side by side, to use
both CI cores.

Running the notebooks is nearly all the cost, so each run serves several checks. Between
them the two students show every instructor answer scoring its points (W's in `blank`, the
others in `wrong`), every released stub but W's scoring zero (in `blank`), and W's mistake
losing exactly its points (in `wrong`). W's stub, `raise NotImplementedError()`, needs
nothing from the notebook: it fails its check here, in the test's process. W's function is
called by its check alone, so `wrong` differs from the instructor's version, and `blank` from
the release, only in what W's check sees: the rest of each run is what a run of the
instructor's version or of the release would be.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("0*.ipynb"))
STUDENTS = ("blank", "wrong")
STUB = "raise NotImplementedError()"  # nbgrader's code stub
# A realistic mistake (one its check names) for a checked exercise of each notebook.
WRONG = {
    "my_reparameterize": "return mu + torch.exp(logvar) * torch.randn_like(mu)",
    "my_discriminator_loss": "return F.binary_cross_entropy_with_logits(real_logits, "
    "torch.zeros_like(real_logits)) + F.binary_cross_entropy_with_logits(fake_logits, "
    "torch.ones_like(fake_logits))",
    "my_feature_nll": "return (target - mean).pow(2).flatten(1).sum(dim=1).mean()",
    "my_share": "return (step - start) / ramp",
    "my_frechet_distance": "return float((mu1 - mu2).pow(2).sum())",
    "my_psnr": "return (10 * torch.log10(1 / (denoised - clean).pow(2).flatten(1).mean(1))).mean()",
    "my_projection": "return h @ w + b",
}


def readme_commands() -> list[str]:
    """The bash blocks of README's instructors' section: install, release, autograde, feedback."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### For instructors") : readme.index("## Results")]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.S)
    assert len(blocks) == 4, "README's instructors' section should have 4 bash blocks"
    return blocks


def bash(script: str, cwd: Path, **env: str) -> subprocess.Popen:
    """Start a bash script that stops at its first failing command, with this venv first."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env={**os.environ, "PATH": path, "OMP_NUM_THREADS": "1", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(*runs: subprocess.Popen) -> None:
    """Wait for every run; fail with a run's first traceback and output tail if it failed."""
    for run in runs:
        out, _ = run.communicate()
        if run.returncode != 0:
            first = out.find("Traceback")
            head = out[first : first + 4000] + "\n[...]\n" if 0 <= first < len(out) - 5000 else ""
            pytest.fail(f"{run.args[-1]!r} failed:\n{head}{out[-5000:]}")


def assignment(path: Path) -> str:
    """The assignment README puts a notebook in: ps01 for 01_vae_basics.ipynb."""
    return f"ps{path.name[:2]}"


def nbgrader_meta(cell: nbformat.NotebookNode) -> dict:
    return cell.metadata.get("nbgrader", {})


def graded_tests(notebook: nbformat.NotebookNode) -> dict[str, float]:
    """The autograded test cells' grade_ids and points."""
    return {
        m["grade_id"]: m["points"]
        for c in notebook.cells
        if (m := nbgrader_meta(c)).get("grade") and not m.get("solution")
    }


def open_questions(notebook: nbformat.NotebookNode) -> dict[str, float]:
    """The manually graded answer cells' grade_ids and points."""
    return {
        m["grade_id"]: m["points"]
        for c in notebook.cells
        if (m := nbgrader_meta(c)).get("grade") and m.get("solution")
    }


def answers(notebook: nbformat.NotebookNode) -> dict[str, int]:
    """Each checked exercise's function and the index of its solution cell."""
    return {
        m.group(1): i
        for i, c in enumerate(notebook.cells)
        if c.cell_type == "code"
        and nbgrader_meta(c).get("solution")
        and (m := re.search(r"^def (my_\w+)\(", c.source, re.M))
    }


def mistaken(notebook: nbformat.NotebookNode) -> tuple[int, str]:
    """W: the index of the first solution cell WRONG has a mistake for, and its check's grade_id."""
    at = next((i for function, i in answers(notebook).items() if function in WRONG), None)
    assert at is not None, f"WRONG has no mistake for any of {list(answers(notebook))}"
    return at, nbgrader_meta(notebook.cells[at + 1])["grade_id"]


def make_wrong(notebook: nbformat.NotebookNode) -> str:
    """Replace W's solution with its mistake; return W's check's grade_id."""
    at, check = mistaken(notebook)
    cell = notebook.cells[at]
    function = re.search(r"^def (my_\w+)\(", cell.source, re.M).group(1)
    cell.source = re.sub(
        r"( *)### BEGIN SOLUTION\n.*?### END SOLUTION",
        lambda m: f"{m.group(1)}{WRONG[function]}",
        cell.source,
        flags=re.S,
    )
    return check


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A scratch course made, handed in, autograded and given feedback by README's commands."""
    if shutil.which("nbgrader", path=str(Path(sys.executable).parent)) is None:
        pytest.fail("nbgrader is not installed: pip install -c constraints.txt -e '.[dev]'")
    _, release, autograde, feedback = readme_commands()
    base = tmp_path_factory.mktemp("classroom")
    (base / "hvg").symlink_to(ROOT)
    finish(bash(release, base))
    course = base / "course"
    for path in NOTEBOOKS:
        ps, name = assignment(path), path.name
        for student in STUDENTS:
            (course / "submitted" / student / ps).mkdir(parents=True)
        source = nbformat.read(course / "source" / ps / name, as_version=4)
        blank = nbformat.read(course / "release" / ps / name, as_version=4)
        at, _ = mistaken(source)
        blank.cells[at].source = source.cells[at].source
        nbformat.write(blank, course / "submitted" / "blank" / ps / name)
        make_wrong(source)
        nbformat.write(source, course / "submitted" / "wrong" / ps / name)
    ids = [assignment(p) for p in NOTEBOOKS]
    assert autograde.strip() == 'HVG_QUICK=1 nbgrader autograde "ps*"'
    assert all(re.fullmatch(r"ps0\d", i) for i in ids), "the split below expects ps01 to ps09"
    halves = [f"ps0[{''.join(i[-1] for i in ids[k::2])}]" for k in (0, 1)]
    # nbgrader adds a student it has not seen by looking it up, then inserting it: when both
    # halves start on the same new student at once, one insert fails (UNIQUE constraint
    # failed: student.id). Add the students before the halves start.
    finish(bash("".join(f"nbgrader db student add {s}\n" for s in STUDENTS), course))
    finish(*[bash(autograde.replace('"ps*"', f'"{half}"'), course) for half in halves])
    finish(bash(feedback, course))
    return course


def grades(course: Path, path: Path, student: str) -> list[tuple]:
    """nbgrader's grades of a student's notebook: (grade_id, score, auto_score, manual_score,
    needs_manual_grade) for each graded cell."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(path.stem, assignment(path), student)
        return [
            (g.name, g.score, g.auto_score, g.manual_score, g.needs_manual_grade)
            for g in notebook.grades
        ]


def scores(course: Path, path: Path, student: str) -> dict[str, float]:
    """Each graded cell's score (auto, or manual if given; 0 while waiting for a grader)."""
    return {name: score for name, score, *_ in grades(course, path, student)}


def executed(course: Path, path: Path, student: str) -> nbformat.NotebookNode:
    return nbformat.read(course / "autograded" / student / assignment(path) / path.name, 4)


def errors(notebook: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """(cell grade_id or id, exception name) for every error output."""
    return [
        (nbgrader_meta(c).get("grade_id", c.get("id")), o.ename)
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]


def every_cell_ran(notebook: nbformat.NotebookNode) -> bool:
    return all(c.execution_count for c in notebook.cells if c.cell_type == "code")


def printed(notebook: nbformat.NotebookNode, grade_id: str) -> str:
    (cell,) = [c for c in notebook.cells if nbgrader_meta(c).get("grade_id") == grade_id]
    return "".join(o.get("text", "") for o in cell.outputs)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_release_has_no_solution_text(course, path):
    source = nbformat.read(course / "source" / assignment(path) / path.name, 4)
    release = nbformat.read(course / "release" / assignment(path) / path.name, 4)
    text = (course / "release" / assignment(path) / path.name).read_text()
    assert "BEGIN SOLUTION" not in text and "Instructor notes" not in text
    assert [c.id for c in release.cells] == [c.id for c in source.cells]
    for mine, theirs in zip(source.cells, release.cells, strict=True):
        if theirs.cell_type == "code":
            assert theirs.outputs == [], f"{theirs.id} kept its outputs"
        if not nbgrader_meta(mine).get("solution"):
            continue
        if mine.cell_type == "markdown":
            assert theirs.source == "YOUR ANSWER HERE", theirs.id
            continue
        region = mine.source.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
        hidden = [line.strip() for line in region.splitlines() if line.strip()]
        assert hidden and not any(line in theirs.source for line in hidden), theirs.id
        assert STUB in theirs.source, theirs.id


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_w_is_called_by_its_check_alone(path):
    """What lets `wrong` and `blank` stand for the instructor's version and the release: W's
    answer changes no cell's outcome but its check's. (Another answer may be used further on:
    each student hands it in as the instructor's version or the release has it.)"""
    notebook = nbformat.read(path, as_version=4)
    at, _ = mistaken(notebook)
    (function,) = [f for f, i in answers(notebook).items() if i == at]
    callers = [
        i
        for i, c in enumerate(notebook.cells)
        if c.cell_type == "code" and i != at and re.search(rf"\b{function}\b", c.source)
    ]
    assert callers == [at + 1], f"{function} is called outside its check: cells {callers}"
    assert nbgrader_meta(notebook.cells[at + 1]).get("grade"), f"cell {at + 1} is not graded"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_instructor_version_scores_full_points(course, path):
    """Every answer but W in `wrong`'s run, and W in `blank`'s."""
    _, w = mistaken(nbformat.read(path, as_version=4))
    wrong, blank = executed(course, path, "wrong"), executed(course, path, "blank")
    assert every_cell_ran(wrong) and errors(wrong) == [(w, "AssertionError")], errors(wrong)
    assert every_cell_ran(blank) and w not in dict(errors(blank)), errors(blank)
    assert printed(blank, w).rstrip().endswith("correct")
    got = {**scores(course, path, "wrong"), w: scores(course, path, "blank")[w]}
    assert {g: got[g] for g in graded_tests(wrong)} == graded_tests(wrong)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_release_handed_in_as_it_is_scores_zero(course, path):
    """Every stub but W's in `blank`'s run (W's answer is the instructor's), W's stub here."""
    ran = executed(course, path, "blank")
    points = graded_tests(ran)
    at, w = mistaken(ran)
    assert every_cell_ran(ran), "the kernel stopped before the end"
    assert sorted(errors(ran)) == sorted((g, "AssertionError") for g in points if g != w)
    got = scores(course, path, "blank")  # the unanswered open questions included
    assert got == {**dict.fromkeys(got, 0.0), w: points[w]}
    release = nbformat.read(course / "release" / assignment(path) / path.name, 4)
    stub, check = release.cells[at].source, release.cells[at + 1].source
    assert STUB in stub and check == ran.cells[at + 1].source
    said = io.StringIO()
    with contextlib.redirect_stdout(said), pytest.raises(AssertionError):
        namespace: dict = {}
        exec(stub, namespace)
        exec(check, namespace)
    assert "NotImplementedError" in said.getvalue(), said.getvalue()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_one_wrong_answer_loses_exactly_its_points(course, path):
    ran = executed(course, path, "wrong")
    wrong = make_wrong(nbformat.read(path, as_version=4))
    assert every_cell_ran(ran) and errors(ran) == [(wrong, "AssertionError")]
    assert "not yet." in printed(ran, wrong)  # the hint
    got = scores(course, path, "wrong")
    assert {g: got[g] for g in graded_tests(ran)} == {**graded_tests(ran), wrong: 0.0}


def test_feedback_and_the_grades_table(course):
    for path in NOTEBOOKS:
        for student in STUDENTS:
            page = course / "feedback" / student / assignment(path) / f"{path.stem}.html"
            assert page.is_file(), f"no feedback at {page}"
    with open(course / "grades.csv", newline="") as table:
        rows = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(table)}
    assert len(rows) == len(NOTEBOOKS) * len(STUDENTS)
    for path in NOTEBOOKS:
        source = nbformat.read(path, as_version=4)
        points, questions = graded_tests(source), open_questions(source)
        _, w = mistaken(source)
        total = sum(points.values())
        row = {s: float(rows[(assignment(path), s)]["score"]) for s in STUDENTS}
        assert row == {"blank": points[w], "wrong": total - points[w]}
        # The open questions count in the maximum but in no score until the Formgrader grades
        # them: `wrong`'s answers (the instructor's notes) wait for a grader, and `blank`'s,
        # left as released, score 0 without one.
        assert questions, f"{path.name} has no open question"
        maximum = {s: float(rows[(assignment(path), s)]["max_score"]) for s in STUDENTS}
        assert maximum == dict.fromkeys(STUDENTS, total + sum(questions.values()))
        waiting = {
            student: {
                name
                for name, _, auto, manual, pending in grades(course, path, student)
                if pending and auto is None and manual is None
            }
            for student in STUDENTS
        }
        assert waiting == {"blank": set(), "wrong": set(questions)}
