"""The nbgrader round trip for every notebook, with README's instructor commands as written.

In a scratch folder holding the repository (as `hvg/`, a clone's place in README), README's
commands make the course and its release. Three students then hand in every assignment:
`instructor` the instructor's version, `blank` the release as it is (every answer missing),
`wrong` the instructor's version with its first checked answer replaced by a realistic
mistake. README's autograde, feedback and export commands grade them; the autograde command
runs on two halves of the assignments side by side, to use both CI cores.
"""

from __future__ import annotations

import csv
import json
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
STUDENTS = ("instructor", "blank", "wrong")
STUB = "raise NotImplementedError()"  # nbgrader's code stub
# A realistic mistake for the first checked exercise of each notebook (one its check names).
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
    """Wait for every run; fail with a run's output tail if it failed."""
    for run in runs:
        out, _ = run.communicate()
        assert run.returncode == 0, f"{run.args[-1]!r} failed:\n{out[-5000:]}"


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


def make_wrong(notebook: nbformat.NotebookNode) -> str:
    """Replace the first solution WRONG has a mistake for; return its test cell's grade_id."""
    cells = notebook.cells
    solutions = [
        (i, m.group(1))
        for i, c in enumerate(cells)
        if "### BEGIN SOLUTION" in c.source and (m := re.search(r"^def (my_\w+)\(", c.source, re.M))
    ]
    at, function = next(((i, f) for i, f in solutions if f in WRONG), (None, None))
    assert at is not None, f"WRONG has no mistake for any of {[f for _, f in solutions]}"
    cells[at].source = re.sub(
        r"( *)### BEGIN SOLUTION\n.*?### END SOLUTION",
        lambda m: f"{m.group(1)}{WRONG[function]}",
        cells[at].source,
        flags=re.S,
    )
    return nbgrader_meta(cells[at + 1])["grade_id"]


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
        shutil.copy(course / "source" / ps / name, course / "submitted" / "instructor" / ps)
        shutil.copy(course / "release" / ps / name, course / "submitted" / "blank" / ps)
        wrong = nbformat.read(course / "source" / ps / name, as_version=4)
        make_wrong(wrong)
        nbformat.write(wrong, course / "submitted" / "wrong" / ps / name)
    ids = [assignment(p) for p in NOTEBOOKS]
    assert autograde.strip() == 'HVG_QUICK=1 nbgrader autograde "ps*"'
    assert all(re.fullmatch(r"ps0\d", i) for i in ids), "the split below expects ps01 to ps09"
    halves = [f"ps0[{''.join(i[-1] for i in ids[k::2])}]" for k in (0, 1)]
    finish(*[bash(autograde.replace('"ps*"', f'"{half}"'), course) for half in halves])
    finish(bash(feedback, course))
    return course


def scores(course: Path, path: Path, student: str) -> dict[str, float]:
    """Each graded cell's score (auto, or manual if given) from nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(path.stem, assignment(path), student)
        return {g.name: g.score for g in notebook.grades}


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
def test_the_instructor_version_scores_full_points(course, path):
    ran = executed(course, path, "instructor")
    assert every_cell_ran(ran) and errors(ran) == [], errors(ran)
    got = scores(course, path, "instructor")
    assert {g: got[g] for g in graded_tests(ran)} == graded_tests(ran)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_release_handed_in_as_it_is_scores_zero(course, path):
    ran = executed(course, path, "blank")
    assert every_cell_ran(ran), "the kernel stopped before the end"
    assert sorted(errors(ran)) == sorted((g, "AssertionError") for g in graded_tests(ran))
    assert set(scores(course, path, "blank").values()) == {0.0}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_one_wrong_answer_loses_exactly_its_points(course, path):
    ran = executed(course, path, "wrong")
    wrong = make_wrong(nbformat.read(path, as_version=4))
    assert every_cell_ran(ran) and errors(ran) == [(wrong, "AssertionError")]
    (cell,) = [c for c in ran.cells if nbgrader_meta(c).get("grade_id") == wrong]
    assert "not yet." in "".join(o.get("text", "") for o in cell.outputs)  # the hint
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
        points = graded_tests(nbformat.read(path, as_version=4))
        wrong = make_wrong(nbformat.read(path, as_version=4))
        row = {s: float(rows[(assignment(path), s)]["score"]) for s in STUDENTS}
        total = sum(points.values())
        assert row == {"instructor": total, "blank": 0.0, "wrong": total - points[wrong]}
        assert json.dumps(row)  # the open questions wait for the Formgrader: not counted yet
