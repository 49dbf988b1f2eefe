"""Choose a run's checkpoint on validation digits, never on the test set.

`python -m hvg train ... --keep-every N` keeps the weights every N steps, in
OUT/MODEL-DATASET-steps/step-000500.safetensors (for step 500). `select_checkpoint(folder)`
scores each of them by the domain FID of its samples against the validation images, the
split "validation" of hvg.metrics (MNIST's training images from hvg.data.VALIDATION_START,
55,000, on), and returns the scores per step and the best file; `python -m hvg select
FOLDER` prints them as a table. The test set is never read.

The shipped models trained on all 60,000 training digits, so for them this selects on digits
the model trained on: it is what issue 36 asks (training images 55,000 on), and it still
leaves the test set alone. A clean protocol holds those digits out: train with `--limit
55000` (`TrainConfig(limit=55_000)`), which keeps the first 55,000 training images, so the
validation digits are ones the model never saw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from hvg.checkpoints import load_history, load_model, read_metadata
from hvg.metrics import evaluate
from hvg.metrics.cache import VALIDATION
from hvg.registry import model_name

SCORES = ("fid", "precision", "recall", "kid", "kid_std")


@dataclass(frozen=True)
class Selection:
    """What `select_checkpoint` found: one row per kept file, in step order (step, seconds of
    training, file, and the scores), the best file (lowest FID; the earliest of a tie), and
    what the scores were measured against."""

    scores: list[dict[str, float | int | str | None]]
    best: Path
    dataset: str
    split: str
    n: int
    features: str
    reference: str

    def table(self) -> str:
        """The scores as an aligned text table, the best row marked."""
        lines = ["  step  seconds  FID      precision  recall  KID x 1000"]
        for row in self.scores:
            seconds = "-" if row["seconds"] is None else f"{row['seconds']:.0f}"
            mark = "  <- best" if Path(str(row["file"])) == self.best else ""
            lines.append(
                f"{row['step'] if row['step'] is not None else '-':>6}  {seconds:>7}  "
                f"{row['fid']:<7.4g}  {row['precision']:<9.3f}  {row['recall']:<6.3f}  "
                f"{1000 * row['kid']:.3g}{mark}"
            )
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        """All of it, JSON-ready."""
        about = {"dataset": self.dataset, "split": self.split, "n": self.n}
        about |= {"features": self.features, "reference": self.reference}
        return {**about, "best": str(self.best), "scores": self.scores}


def kept_files(folder: str | Path) -> list[Path]:
    """The checkpoints in `folder` (*.safetensors), each checked readable, in step order;
    a clear error for a path that is not a folder, a folder without any, or a file that is
    not an hvg checkpoint."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(
            f"{folder} is not a folder: pass the OUT/MODEL-DATASET-steps/ folder that "
            "`train --keep-every N` writes"
        )
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise ValueError(
            f"{folder} holds no kept weights (*.safetensors): train with --keep-every N, which "
            "keeps them in OUT/MODEL-DATASET-steps/"
        )
    for path in files:
        read_metadata(path)  # CheckpointError, naming the file, for one that is not a checkpoint
    return sorted(files, key=lambda p: (_step(p) is None, _step(p) or 0, p.name))


def _step(path: Path) -> int | None:
    """The training step of kept weights: their history entry's, else their file name's."""
    history = load_history(path)
    if history:
        return int(history[-1]["step"])
    match = re.fullmatch(r"step-(\d+)", path.stem)
    return int(match[1]) if match else None


def run_dataset(folder: str | Path) -> str:
    """The data set a run trained on: what its kept weights record, else what the run's own
    checkpoint (OUT/MODEL-DATASET.safetensors, beside the folder) records, else mnist."""
    folder = Path(folder)
    for path in [*sorted(folder.glob("*.safetensors")), _run_checkpoint(folder)]:
        if path.is_file() and "dataset" in read_metadata(path):
            return read_metadata(path)["dataset"]
    return "mnist"


def _run_checkpoint(folder: Path) -> Path:
    """OUT/MODEL-DATASET.safetensors for OUT/MODEL-DATASET-steps/."""
    return folder.with_name(folder.name.removesuffix("-steps") + ".safetensors")


def select_checkpoint(
    folder: str | Path,
    n: int = 5000,
    dataset: str | None = None,
    split: str = VALIDATION,
    features: str = "domain",
    seed: int = 0,
    progress: bool = False,
) -> Selection:
    """Score every kept file of a run (`kept_files(folder)`) with `hvg.metrics.evaluate`: n
    samples (drawn with `seed`, the same for every file) against n real images of `split`
    (by default the validation digits, training images 55,000 on: all 5,000 of them at the
    default n), by `features` (the data set's domain classifier by default). `dataset`
    defaults to `run_dataset(folder)`. Returns a `Selection`: the scores per step and the
    file with the lowest FID. Only generative models are scored; anything else is refused."""
    files = kept_files(folder)
    dataset = dataset or run_dataset(folder)
    rows, result = [], {}
    for path in tqdm(files, desc="scoring", disable=not progress):
        model = load_model(path)
        if not model.samples:
            raise ValueError(
                f"{path} holds a {model_name(model)}, which does not generate images: select "
                "among a generative model's kept weights"
            )
        result = evaluate(
            model, dataset, n, features, split, seed=seed, progress=False, with_kid=True
        )
        history = load_history(path)
        seconds = history[-1].get("seconds") if history else None
        rows.append(
            {"step": _step(path), "seconds": seconds, "file": str(path)}
            | {key: result[key] for key in SCORES}
        )
    best = min(rows, key=lambda row: row["fid"])
    return Selection(
        rows,
        Path(str(best["file"])),
        dataset,
        split,
        n,
        str(result["features"]),
        str(result["reference"]),
    )
