"""Student notebooks lose their solutions and nothing else; answer checks tell right from wrong."""

import math
import subprocess
import sys

import nbformat
import pytest
import torch
import torch.nn.functional as F

from hvg import exercises
from hvg.latent import interpolate
from hvg.losses import discriminator_loss, gaussian_nll, kl_normal
from hvg.metrics.fid import frechet_distance
from hvg.metrics.precision_recall import precision_recall
from hvg.metrics.reconstruction import psnr
from hvg.models.vae import reparameterize
from hvg.recipes.fusion import linear_ramp
from hvg.student import (
    NOTEBOOKS,
    PLACEHOLDER,
    SolutionMarkerError,
    strip_solutions,
    student_notebook,
    write_student_notebooks,
)

SOURCES = sorted(NOTEBOOKS.glob("*.ipynb"))
MARKS = ("BEGIN SOLUTION", "END SOLUTION")


@pytest.fixture(scope="module")
def students(tmp_path_factory) -> dict[str, nbformat.NotebookNode]:
    out = tmp_path_factory.mktemp("student")
    written = write_student_notebooks(out)
    assert [p.name for p in written] == [p.name for p in SOURCES]
    return {p.name: nbformat.read(p, as_version=4) for p in written}


def solution_cells(notebook: nbformat.NotebookNode) -> list[int]:
    return [i for i, c in enumerate(notebook.cells) if MARKS[0] in c.source]


def test_every_notebook_has_a_checked_exercise():
    for path in SOURCES:
        notebook = nbformat.read(path, as_version=4)
        solutions = solution_cells(notebook)
        assert solutions, f"{path.name} has no solution cell"
        for i in solutions:
            assert "from hvg.exercises import check_" in notebook.cells[i + 1].source, (
                f"{path.name}: the cell after solution cell {i} should call a check"
            )


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_student_notebook_drops_solutions_and_keeps_everything_else(path, students):
    teacher, student = nbformat.read(path, as_version=4), students[path.name]
    nbformat.validate(student)
    assert len(student.cells) == len(teacher.cells)
    assert "widgets" not in student.metadata
    solutions = solution_cells(teacher)
    for i, (t, s) in enumerate(zip(teacher.cells, student.cells, strict=True)):
        assert (s.cell_type, s.get("id")) == (t.cell_type, t.get("id"))
        assert all(mark not in s.source for mark in MARKS)
        if s.cell_type == "code":
            assert s.outputs == [] and s.execution_count is None
        if i not in solutions:
            assert s.source == t.source, f"cell {i} changed"
            continue
        assert PLACEHOLDER in s.source
        begin = t.source.index("### BEGIN SOLUTION")
        end = t.source.index("### END SOLUTION")
        hidden = [line.strip() for line in t.source[begin:end].splitlines()[1:]]
        assert hidden and all(line not in s.source for line in hidden if line)


def test_generator_is_deterministic(tmp_path, students):
    first = [p.read_bytes() for p in write_student_notebooks(tmp_path)]
    assert [p.read_bytes() for p in write_student_notebooks(tmp_path)] == first
    for path in write_student_notebooks(tmp_path):
        assert nbformat.read(path, as_version=4) == students[path.name]


def test_code_solutions_keep_their_indent_and_markdown_solutions_go():
    code = "def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    return x + y\n    ### END SOLUTION"
    assert strip_solutions(code, "code") == f"def f(x):\n    y = 1\n    {PLACEHOLDER}"
    text = "Why?\n<!-- BEGIN SOLUTION -->\nBecause.\n<!-- END SOLUTION -->\nNext."
    assert strip_solutions(text, "markdown") == "Why?\nNext."
    assert strip_solutions("### BEGIN SOLUTION", "raw") == "### BEGIN SOLUTION"


@pytest.mark.parametrize(
    "source",
    ["### BEGIN SOLUTION\nx = 1", "x = 1\n### END SOLUTION", "### BEGIN SOLUTION\n" * 2],
)
def test_unbalanced_markers_are_an_error(source, tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    with pytest.raises(SolutionMarkerError, match="cell 0"):
        student_notebook(notebook)
    nbformat.write(notebook, tmp_path / "broken.ipynb")
    run = subprocess.run(
        [sys.executable, "-m", "hvg.student", str(tmp_path / "out"), "--notebooks", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1 and "broken.ipynb, cell 0" in run.stderr
    assert not (tmp_path / "out").exists()


def wrong_reparameterize_variance(mu, logvar):
    return mu + torch.exp(logvar) * torch.randn_like(mu)


def wrong_reparameterize_no_gradient(mu, logvar):
    return torch.normal(mu.detach(), torch.exp(0.5 * logvar.detach()))


def wrong_discriminator_loss_swapped(real, fake):
    real_term = F.binary_cross_entropy_with_logits(real, torch.zeros_like(real))
    return real_term + F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))


def wrong_frechet_elementwise(mu1, s1, mu2, s2):
    return (mu1 - mu2).pow(2).sum() + (s1 + s2 - 2 * (s1 * s2).sqrt()).trace()


def wrong_precision_with_self(real, fake, k):
    radii = torch.cdist(real, real).topk(k, dim=1, largest=False).values[:, -1]
    return (torch.cdist(fake, real) <= radii).any(1).float().mean().item()


# (check, the package's answer, [(a realistic wrong answer, what the hint must say)])
CHECKS = [
    (exercises.check_reparameterize, reparameterize, [
        (wrong_reparameterize_variance, "exp(0.5 * logvar)"),
        (wrong_reparameterize_no_gradient, "no gradient"),
        (lambda mu, logvar: mu, "no noise"),
    ]),
    (exercises.check_kl, kl_normal, [
        (lambda mu, logvar: -kl_normal(mu, logvar), "sign is flipped"),
        (lambda mu, logvar: kl_normal(mu, logvar).mean(), "one KL per image"),
        (lambda mu, logvar: 2 * kl_normal(mu, logvar), "factor 1/2"),
    ]),
    (exercises.check_discriminator_loss, discriminator_loss, [
        (wrong_discriminator_loss_swapped, "labels are swapped"),
        (lambda r, f: discriminator_loss(torch.sigmoid(r), torch.sigmoid(f)), "sigmoid"),
    ]),
    (exercises.check_slerp, lambda z0, z1, t: interpolate(z0, z1, t, spherical=True), [
        (lambda z0, z1, t: interpolate(z0, z1, t), "straight line"),
    ]),
    (exercises.check_feature_nll, gaussian_nll, [
        (lambda target, mean: 0.5 * F.mse_loss(mean, target), "averaged over the features"),
        (lambda target, mean: 2 * gaussian_nll(target, mean), "twice"),
    ]),
    (exercises.check_ramp, lambda step, start, ramp: linear_ramp(start, ramp)(step), [
        (lambda step, start, ramp: (step - start) / ramp, "before `start`"),
        (lambda step, start, ramp: max(0.0, (step - start) / ramp), "stays 1"),
    ]),
    (exercises.check_frechet_distance, frechet_distance, [
        (wrong_frechet_elementwise, "matrix square root"),
        (lambda m1, s1, m2, s2: frechet_distance(m1 * 0, s1, m2 * 0, s2), "means are missing"),
    ]),
    (exercises.check_precision, lambda r, f, k: precision_recall(r, f, k)["precision"], [
        (lambda r, f, k: precision_recall(r, f, k)["recall"], "that is recall"),
        (wrong_precision_with_self, "its own nearest neighbour"),
    ]),
    (exercises.check_psnr, psnr, [
        (lambda d, c: psnr(d, c) - 20 * math.log10(2), "2, not 1"),
        (lambda d, c: 10 * torch.log10(4 / (d - c).pow(2).mean()), "per image"),
    ]),
]  # fmt: skip


@pytest.mark.parametrize(
    "check, right", [c[:2] for c in CHECKS], ids=[c[0].__name__ for c in CHECKS]
)
def test_checks_accept_the_package_implementation(check, right, capsys):
    check(right)
    assert capsys.readouterr().out.endswith(": correct\n")


@pytest.mark.parametrize(
    "check, wrong, hint",
    [(check, wrong, hint) for check, _, mistakes in CHECKS for wrong, hint in mistakes],
    ids=[f"{c[0].__name__}: {h}" for c in CHECKS for _, h in c[2]],
)
def test_checks_name_the_mistake(check, wrong, hint, capsys):
    check(wrong)
    out = capsys.readouterr().out
    assert "not yet" in out and hint in out, out


def test_checks_explain_a_missing_or_crashing_answer(capsys):
    def unanswered(mu, logvar):
        raise NotImplementedError("your answer here")

    exercises.check_kl(unanswered)
    exercises.check_kl(lambda mu: mu)
    out = capsys.readouterr().out.splitlines()
    assert "NotImplementedError" in out[0] and "raised TypeError" in out[1]


def test_every_check_is_tested():
    names = {n for n in dir(exercises) if n.startswith("check_")}
    assert names == {check.__name__ for check, _, _ in CHECKS}
