"""hvg.folder: folders of real PNG and JPEG files written here, read through ImageFolder."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from hvg.data import get_dataloader, load_dataset
from hvg.folder import EXAMPLES, Folder, example_folder, load_folder, split_of


def write(path: Path, pixels: np.ndarray) -> Path:
    """Save an array as an image file, its format from the suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


def noise(height: int, width: int, *channels: int, seed: int = 0) -> np.ndarray:
    """A random uint8 picture."""
    return np.random.default_rng(seed).integers(0, 256, (height, width, *channels), np.uint8)


def names_in(split: str, count: int, suffix: str = ".png", prefix: str = "") -> list[str]:
    """The first `count` file names img-NNN that the rule puts into `split`."""
    names = (f"img-{i:03d}{suffix}" for i in range(10_000))
    return [n for n in names if split_of(prefix + n) == split][:count]


def test_the_split_rule_is_the_documented_hash_of_the_relative_path():
    for relative in ("a.png", "cats/001.jpg", "deep/er/x.PNG"):
        digest = hashlib.sha256(f"hvg-folder-split/{relative}".encode()).digest()
        fraction = int.from_bytes(digest[:8], "big") / 2**64
        expected = "test" if fraction < 0.1 else "valid" if fraction < 0.2 else "train"
        assert split_of(relative) == expected
    shares = [split_of(f"{i}.png") for i in range(5000)]
    assert 0.08 < shares.count("test") / 5000 < 0.12
    assert 0.08 < shares.count("valid") / 5000 < 0.12


def test_class_folders_give_labels_and_splits_are_stable_as_files_come(tmp_path):
    for i, name in enumerate(names_in("train", 3, prefix="cats/")):
        write(tmp_path / "cats" / name, noise(20, 30, seed=i))
    test_name = names_in("test", 1, ".jpg", prefix="dogs/")[0]
    write(tmp_path / "dogs" / test_name, noise(40, 25, seed=9))
    train = load_dataset(f"folder:{tmp_path}", "train", 16)
    assert len(train) == 3 and [train[i][1] for i in range(3)] == [0, 0, 0]
    test = load_dataset(f"folder:{tmp_path}", "test", 16)
    assert len(test) == 1 and test[0][1] == 1 and test[0][0].shape == (1, 16, 16)
    assert len(load_dataset(f"folder:{tmp_path}", "all", 16)) == 4
    for i, name in enumerate(names_in("valid", 2, prefix="dogs/")):  # more files arrive
        write(tmp_path / "dogs" / name, noise(16, 16, seed=20 + i))
    again = load_dataset(f"folder:{tmp_path}", "test", 16)
    assert len(again) == 1 and torch.equal(again[0][0], test[0][0])
    assert len(load_dataset(f"folder:{tmp_path}", "train", 16)) == 3


def test_images_are_center_cropped_resized_and_scaled(tmp_path):
    wide = np.zeros((20, 60), np.uint8)
    wide[:, 20:40] = 255  # white in the middle third: the square center crop is all white
    tall = np.full((50, 10), 0, np.uint8)
    tall[20:30] = 255
    write(tmp_path / "wide.png", wide)
    write(tmp_path / "tall.jpg", tall)
    images, labels = load_folder(f"folder:{tmp_path}", "all", 8)
    assert images.shape == (2, 1, 8, 8) and images.dtype == torch.float32
    assert labels.tolist() == [0, 0]  # a flat folder: one class
    assert (images[1] > 0.95).all()  # wide.png, after tall.jpg in path order
    assert (images[0] > 0.8).all()  # JPEG: nearly white
    assert images.min() >= -1 and images.max() <= 1
    assert load_folder(f"folder:{tmp_path}", "all")[0].shape[-1] == 32  # the default size


def test_photos_are_turned_upright_by_their_exif_orientation(tmp_path):
    pixels = np.zeros((8, 8), np.uint8)
    pixels[:4] = 255  # white on top, as stored; orientation 6: shown turned 90 degrees clockwise
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(pixels).save(tmp_path / "phone.png", exif=exif)
    image = load_folder(f"folder:{tmp_path}", "all", 8)[0][0, 0]
    assert (image[:, 4:] == 1).all() and (image[:, :4] == -1).all()


def test_colour_is_the_folders_unless_asked(tmp_path):
    write(tmp_path / "gray.png", noise(12, 12))
    write(tmp_path / "gray-alpha.png", noise(12, 12, 2))  # LA: still grayscale
    assert load_folder(f"folder:{tmp_path}", "all", 8)[0].shape[1] == 1
    rgb = load_folder(f"folder:{tmp_path}?channels=3", "all", 8)[0]
    assert rgb.shape[1] == 3 and torch.equal(rgb[:, 0], rgb[:, 2])
    write(tmp_path / "colour.jpg", noise(12, 12, 3))
    assert load_folder(f"folder:{tmp_path}", "all", 8)[0].shape[1] == 3
    assert load_folder(f"folder:{tmp_path}?channels=1", "all", 8)[0].shape[1] == 1


def test_16_bit_grayscale_is_scaled_not_clipped(tmp_path):
    write(tmp_path / "scan.png", np.full((8, 8), 100 * 257, np.uint16))
    images, _ = load_folder(f"folder:{tmp_path}", "all", 8)
    assert torch.allclose(images, torch.full_like(images, 100 / 127.5 - 1))


def test_unreadable_files_stop_with_their_name_or_are_skipped(tmp_path):
    write(tmp_path / "good.png", noise(10, 10))
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match=r"cannot read .*broken\.png .*skip-unreadable"):
        load_folder(f"folder:{tmp_path}", "all", 8)
    with pytest.warns(UserWarning, match=r"skipped .*broken\.png"):
        images, _ = load_folder(f"folder:{tmp_path}?skip-unreadable", "all", 8)
    assert len(images) == 1


def test_a_truncated_jpeg_is_unreadable_too(tmp_path):
    data = write(tmp_path / "cut.jpg", noise(64, 64)).read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cannot read .*cut\.jpg"):
        load_folder(f"folder:{tmp_path}", "all", 8)


def test_bad_folders_are_one_clear_line(tmp_path):
    empty, texts, mixed, few = (tmp_path / n for n in ("empty", "texts", "mixed", "few"))
    empty.mkdir()
    texts.mkdir()
    (texts / "notes.txt").write_text("no images here")
    write(mixed / "top.png", noise(8, 8))
    write(mixed / "class" / "inner.png", noise(8, 8))
    for name in names_in("train", 2):
        write(few / name, noise(8, 8))
    cases = {
        f"folder:{empty}": r"no images found in .*empty: hvg reads \.jpg \.jpeg \.png",
        f"folder:{texts}": r"no images found in .*texts: .*\.webp files \(any case\)",
        f"folder:{tmp_path / 'missing'}": r"there is no folder .*missing",
        f"folder:{mixed}": r"images both in itself and in sub-folders",
        f"folder:{few}": r"no readable image in its 'test' split \(0 of its 2 images",
        "folder:": r"names no folder: write folder:PATH",
        f"folder:{few}?colour=3": r"unknown option 'colour=3'; a folder takes \?channels=1",
        f"folder:{few}?channels=2": r"channels must be 1 \(grayscale\) or 3 \(RGB\), got '2'",
    }
    for name, message in cases.items():
        with pytest.raises(ValueError, match=message):
            load_folder(name, "test", 8)
    with pytest.raises(ValueError, match="no split 'val': choose one of train, valid, test, all"):
        load_folder(f"folder:{few}", "val")
    with pytest.raises(ValueError, match="image_size must be an int from 8 to 256"):
        load_folder(f"folder:{few}", "train", 4)


def test_names_are_canonical(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = Folder.parse("folder:imgs?skip-unreadable&channels=3")
    assert folder == Folder(tmp_path.resolve() / "imgs", 3, True)
    assert folder.name == f"folder:{tmp_path.resolve() / 'imgs'}?channels=3&skip-unreadable"
    assert Folder.parse(folder.name) == folder and folder.short == "folder-imgs"


def test_the_dataloader_batches_a_folder(tmp_path):
    for i, name in enumerate(names_in("train", 10)):
        write(tmp_path / name, noise(24, 24, 3, seed=i))
    loader = get_dataloader(f"folder:{tmp_path}", 16, batch_size=4, seed=1)
    images, labels = next(iter(loader))
    assert images.shape == (4, 3, 16, 16) and labels.dtype == torch.int64
    assert len(loader) == 2  # 10 images, drop_last
    assert torch.equal(
        next(iter(get_dataloader(f"folder:{tmp_path}", 16, batch_size=4, seed=1)))[0], images
    )


def test_example_folder_writes_bundled_pictures_flat_or_by_class(tmp_path):
    flat = example_folder(tmp_path / "flat", n=14, size=24)
    assert len(list(flat.glob("*.png"))) == 14
    images, labels = load_folder(f"folder:{flat}", "all", 16)
    assert images.shape == (14, 1, 16, 16) and labels.unique().tolist() == [0]
    assert images.std() > 0.1
    classes = example_folder(tmp_path / "classes", n=14, size=24, classes=True)
    assert sorted(p.name for p in classes.iterdir()) == sorted(EXAMPLES)
    _, labels = load_folder(f"folder:{classes}", "all", 16)
    assert labels.tolist() == [i for i in range(len(EXAMPLES)) for _ in range(2)]
    with pytest.raises(ValueError, match="size must be from 8 to 172"):
        example_folder(tmp_path / "big", size=200)
