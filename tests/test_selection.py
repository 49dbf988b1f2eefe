"""Choosing a run's kept weights on validation digits (hvg.selection, `python -m hvg select`)."""

import json
from pathlib import Path

import pytest
import torch

import hvg.data
from hvg.checkpoints import CheckpointError
from hvg.cli import main
from hvg.data import VALIDATION_START, load_dataset
from hvg.metrics.cache import real_images, reference_indices
from hvg.run import train_model
from hvg.selection import Selection, kept_files, select_checkpoint
from hvg.train import TrainConfig


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny VAE run that kept its weights at steps 2 and 4."""
    folder = tmp_path_factory.mktemp("run") / "vae-mnist-steps"
    config = TrainConfig(
        steps=4, keep_every=2, keep_dir=folder, batch_size=8, limit=64, progress=False
    )
    train_model("vae", config)
    return folder


@pytest.fixture
def splits_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every split of a registry data set read from disk while the test runs."""
    read, reader = [], hvg.data._torchvision

    def recording(name, root, split, *rest):
        read.append(split)
        return reader(name, root, split, *rest)

    monkeypatch.setattr(hvg.data, "_torchvision", recording)
    return read


def test_select_scores_every_kept_file_on_validation_digits_only(kept, splits_read):
    chosen = select_checkpoint(kept, n=200)
    assert isinstance(chosen, Selection)
    assert [row["step"] for row in chosen.scores] == [2, 4]
    assert [Path(row["file"]).name for row in chosen.scores] == [
        "step-000002.safetensors",
        "step-000004.safetensors",
    ]
    assert 0 < chosen.scores[0]["seconds"] < chosen.scores[1]["seconds"]
    best = min(chosen.scores, key=lambda row: row["fid"])
    assert chosen.best == Path(best["file"]) and chosen.best.parent == kept
    assert (chosen.dataset, chosen.split, chosen.n) == ("mnist", "validation", 200)
    assert chosen.reference == "200 at random (seed 0)"
    assert "<- best" in chosen.table() and len(chosen.table().splitlines()) == 3
    assert json.loads(json.dumps(chosen.as_dict()))["best"] == str(chosen.best)
    assert splits_read and set(splits_read) == {"train"}, "the test set was read"


def test_the_validation_reference_is_training_images_55000_on(splits_read):
    train = load_dataset("mnist", "train").tensors[0]
    assert len(train) - VALIDATION_START == 5000
    indices = VALIDATION_START + reference_indices(5000, 300)
    assert torch.equal(real_images("mnist", "validation", 300, None), train[indices])
    assert torch.equal(real_images("mnist", "validation", 5000, None), train[VALIDATION_START:])
    assert "test" not in splits_read
    with pytest.raises(ValueError, match="n must be an int from 2 to 5000"):
        real_images("mnist", "validation", 5001, None)
    with pytest.raises(ValueError, match='holds out its own images: use split="valid"'):
        real_images("celeba", "validation", 10, None)


def test_select_on_the_command_line_prints_writes_and_copies(kept, tmp_path, capsys):
    scores, best = tmp_path / "scores.json", tmp_path / "best.safetensors"
    command = ["select", str(kept), "-n", "200", "--json", str(scores), "--copy", str(best)]
    assert main(command) == 0
    out = capsys.readouterr().out
    written = json.loads(scores.read_text())
    assert written["split"] == "validation" and len(written["scores"]) == 2
    assert f"best: {written['best']}" in out and "<- best" in out
    assert best.read_bytes() == Path(written["best"]).read_bytes()
    fids = [row["fid"] for row in written["scores"]]
    assert written["best"] == written["scores"][fids.index(min(fids))]["file"]


def test_select_refuses_what_holds_no_kept_weights(kept, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not weights")
    with pytest.raises(ValueError, match="holds no kept weights"):
        kept_files(empty)
    with pytest.raises(ValueError, match="is not a folder"):
        kept_files(kept / "step-000002.safetensors")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "step-000002.safetensors").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="is not a readable safetensors checkpoint"):
        select_checkpoint(broken, n=200)
    for folder, message in [
        (empty, "holds no kept weights (*.safetensors): train with --keep-every N"),
        (broken, "step-000002.safetensors is not a readable safetensors checkpoint"),
        (tmp_path / "missing", "is not a folder"),
    ]:
        assert main(["select", str(folder)]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
