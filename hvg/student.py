"""Student notebooks: the course's notebooks with every solution taken out and every output cleared.

Solutions are marked the nbgrader way: in a code cell, the lines from `### BEGIN SOLUTION` to
`### END SOLUTION` become `raise NotImplementedError("your answer here")` at the same indent;
in a markdown cell, the lines from `<!-- BEGIN SOLUTION -->` to `<!-- END SOLUTION -->` go.

    python -m hvg.student OUT_DIR [--notebooks notebooks]
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path

import nbformat
from nbformat import NotebookNode

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
MARKERS = {
    "code": ("### BEGIN SOLUTION", "### END SOLUTION"),
    "markdown": ("<!-- BEGIN SOLUTION -->", "<!-- END SOLUTION -->"),
}
PLACEHOLDER = 'raise NotImplementedError("your answer here")'


class SolutionMarkerError(ValueError):
    """A BEGIN SOLUTION without its END, or the reverse: where a solution ends is unknown."""


def strip_solutions(source: str, cell_type: str, where: str = "cell") -> str:
    """The cell's source with each marked solution replaced (code) or removed (markdown)."""
    if cell_type not in MARKERS:
        return source
    begin, end = MARKERS[cell_type]
    kept, opened = [], None
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        marker = line.strip()
        if marker == begin:
            if opened is not None:
                raise SolutionMarkerError(f"{where}, line {number}: {begin} inside another one")
            opened = number
            if cell_type == "code":
                indent = line[: len(line) - len(line.lstrip())]
                kept.append(f"{indent}{PLACEHOLDER}\n")
        elif marker == end:
            if opened is None:
                raise SolutionMarkerError(f"{where}, line {number}: {end} without {begin}")
            opened = None
        elif opened is None:
            kept.append(line)
    if opened is not None:
        raise SolutionMarkerError(f"{where}, line {opened}: {begin} without {end}")
    text = "".join(kept)
    return text if source.endswith("\n") else text.removesuffix("\n")


def clear_outputs(notebook: NotebookNode) -> NotebookNode:
    """A copy without outputs, execution counts or saved widget state: as if never run."""
    notebook = copy.deepcopy(notebook)
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return notebook


def student_notebook(notebook: NotebookNode, name: str = "notebook") -> NotebookNode:
    """The student version of a notebook: solutions out, outputs cleared, all else unchanged."""
    student = clear_outputs(notebook)
    for index, cell in enumerate(student.cells):
        where = f"{name}, cell {index} (id {cell.get('id', '?')})"
        cell.source = strip_solutions(cell.source, cell.cell_type, where)
    return student


def write_student_notebooks(out_dir: Path, notebooks: Path = NOTEBOOKS) -> list[Path]:
    """Write the student version of every notebooks/*.ipynb into out_dir; return their paths."""
    sources = sorted(notebooks.glob("*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"no notebooks (*.ipynb) in {notebooks}")
    students = [
        student_notebook(nbformat.read(path, as_version=4), path.name) for path in sources
    ]  # all checked before any is written
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path, student in zip(sources, students, strict=True):
        nbformat.validate(student)
        nbformat.write(student, out_dir / path.name)
        written.append(out_dir / path.name)
    return written


def main(argv: list[str] | None = None) -> None:
    """Command line: python -m hvg.student OUT_DIR [--notebooks DIR]."""
    parser = argparse.ArgumentParser(
        prog="python -m hvg.student",
        description="Write student versions of the course's notebooks: solutions replaced by "
        "`raise NotImplementedError`, outputs cleared.",
    )
    parser.add_argument("out_dir", type=Path, help="folder to write the student notebooks to")
    parser.add_argument(
        "--notebooks", type=Path, default=NOTEBOOKS, help=f"source folder (default {NOTEBOOKS})"
    )
    args = parser.parse_args(argv)
    try:
        written = write_student_notebooks(args.out_dir, args.notebooks)
    except (SolutionMarkerError, FileNotFoundError) as error:
        parser.exit(1, f"error: {error}\n")
    for path in written:
        print(path)


if __name__ == "__main__":
    main()
