"""hvg.data: real MNIST offline, and the other loaders on small files in their real formats.

The small data sets are written to disk as the real ones are laid out (IDX files, CIFAR-10's
pickled batches, CelebA's JPEG folder and text files), as torchvision's own tests do, then read
by torchvision's real loaders. Nothing is mocked, and HVG_OFFLINE is set for every test, so
nothing is ever downloaded.
"""

from __future__ import annotations

import gzip
import hashlib
import pickle
import re
import struct
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from hvg.data import (
    DATASETS,
    DatasetUnavailableError,
    EpochSampler,
    data_root,
    get_dataloader,
    load_dataset,
)

SHIPPED = Path(__file__).resolve().parents[1] / "data" / "mnist"
MNIST_MD5 = {  # of the uncompressed IDX files, as published
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach the network, and none may read a data root set in the environment."""
    monkeypatch.setenv("HVG_OFFLINE", "1")
    monkeypatch.delenv("HVG_DATA", raising=False)


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_specs_describe_the_four_data_sets():
    sizes = {name: (s.channels, s.native_size, s.splits) for name, s in DATASETS.items()}
    assert sizes == {
        "mnist": (1, 28, ("train", "test")),
        "fashion-mnist": (1, 28, ("train", "test")),
        "cifar10": (3, 32, ("train", "test")),
        "celeba": (3, 32, ("train", "valid", "test")),
    }


# MNIST: the real files the repository ships.


def test_mnist_loads_offline_from_the_shipped_files():
    train, test = load_dataset("mnist", "train"), load_dataset("mnist", "test")
    assert (len(train), len(test)) == (60_000, 10_000)
    image, label = train[0]
    assert image.shape == (1, 28, 28) and image.dtype == torch.float32
    assert type(label) is int and label == 5  # the first MNIST training digit is a 5
    batch = torch.stack([train[i][0] for i in range(256)])
    assert batch.min().item() == -1.0 and batch.max().item() == 1.0
    assert all(0 <= test[i][1] <= 9 for i in range(100))
    big = load_dataset("mnist", "test", image_size=32)[0][0]
    assert big.shape == (1, 32, 32) and -1 <= big.min() and big.max() <= 1


def shipped_copy(root: Path) -> Path:
    """A data root holding links to the repository's shipped MNIST .gz files."""
    (root / "mnist").mkdir(parents=True)
    for name in MNIST_MD5:
        (root / "mnist" / f"{name}.gz").symlink_to(SHIPPED / f"{name}.gz")
    return root / "MNIST" / "raw"


def test_mnist_unpacks_once_into_torchvisions_layout(tmp_path):
    raw = shipped_copy(tmp_path)
    assert len(load_dataset("mnist", "test", root=tmp_path)) == 10_000
    assert sorted(p.name for p in raw.iterdir()) == sorted(MNIST_MD5)  # no temp files left
    assert {name: md5(raw / name) for name in MNIST_MD5} == MNIST_MD5
    stamps = {p.name: p.stat().st_mtime_ns for p in raw.iterdir()}
    assert len(load_dataset("mnist", "train", root=tmp_path)) == 60_000
    assert {p.name: p.stat().st_mtime_ns for p in raw.iterdir()} == stamps  # not rewritten


def test_mnist_unpacking_never_leaves_a_half_file(tmp_path):
    (tmp_path / "mnist").mkdir()
    whole = (SHIPPED / "t10k-images-idx3-ubyte.gz").read_bytes()
    (tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DatasetUnavailableError, match="unpacking") as err:
        load_dataset("mnist", "test", root=tmp_path)
    assert "EOFError" in str(err.value)  # the truncated gzip stream, named
    assert list((tmp_path / "MNIST" / "raw").iterdir()) == []  # neither half file nor temp


# Fashion-MNIST: IDX files, as torchvision reads them from FashionMNIST/raw/.


def write_idx(folder: Path, prefix: str, images: np.ndarray, labels: np.ndarray) -> None:
    """An IDX pair: magic 2051 / 2049, big-endian sizes, then the uint8 bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    n, rows, cols = images.shape
    (folder / f"{prefix}-images-idx3-ubyte").write_bytes(
        struct.pack(">IIII", 2051, n, rows, cols) + images.astype(np.uint8).tobytes()
    )
    (folder / f"{prefix}-labels-idx1-ubyte").write_bytes(
        struct.pack(">II", 2049, n) + labels.astype(np.uint8).tobytes()
    )


def write_fashion(root: Path) -> np.ndarray:
    """12 training and 5 test images; returns the training images."""
    rng = np.random.default_rng(0)
    raw = root / "FashionMNIST" / "raw"
    train = rng.integers(0, 256, (12, 28, 28))
    train[0, 0, 0], train[0, 0, 1] = 0, 255
    write_idx(raw, "train", train, np.arange(12) % 10)
    write_idx(raw, "t10k", rng.integers(0, 256, (5, 28, 28)), np.arange(5))
    return train


def test_fashion_mnist_reads_idx_files(tmp_path):
    train = write_fashion(tmp_path)
    ds = load_dataset("fashion-mnist", root=tmp_path, download=False)
    assert len(ds) == 12 and len(load_dataset("FashionMNIST", "test", root=tmp_path)) == 5
    image, label = ds[11]
    assert image.shape == (1, 28, 28) and image.dtype == torch.float32 and label == 1
    first = ds[0][0]
    assert first[0, 0, 0].item() == -1.0 and first[0, 0, 1].item() == 1.0
    assert first[0, 2, 3].item() == pytest.approx(train[0, 2, 3] / 127.5 - 1, abs=1e-6)
    small = load_dataset("fashion_mnist", root=tmp_path, image_size=16)[0][0]
    assert small.shape == (1, 16, 16) and -1 <= small.min() and small.max() <= 1


def test_fashion_mnist_gz_files_fetched_by_hand_are_unpacked_offline(tmp_path):
    write_fashion(tmp_path)
    raw = tmp_path / "FashionMNIST" / "raw"
    for f in list(raw.iterdir()):
        (raw / f"{f.name}.gz").write_bytes(gzip.compress(f.read_bytes()))
        f.unlink()
    assert len(load_dataset("fashion-mnist", "test", root=tmp_path)) == 5


# CIFAR-10: the python version's pickled batches.


def write_cifar10(root: Path, n: int = 4) -> np.ndarray:
    """cifar-10-batches-py/ with its six batches and meta file; returns data_batch_1's rows."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    first = rng.integers(0, 256, (n, 3 * 32 * 32), dtype=np.uint8)
    first[0, 0], first[0, 1024] = 0, 255  # pixel (0, 0): red plane 0, green plane 255
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for i, name in enumerate(names):
        batch = {
            "batch_label": f"{name} of 6",
            "labels": [int(x) for x in rng.integers(0, 10, n)],
            "data": first if i == 0 else rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            "filenames": [f"image_{i}_{j}.png" for j in range(n)],
        }
        with open(folder / name, "wb") as f:
            pickle.dump(batch, f)
    meta = {
        "num_cases_per_batch": n,
        "label_names": [f"class{i}" for i in range(10)],
        "num_vis": 3072,
    }
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump(meta, f)
    return first


def test_cifar10_reads_pickled_batches(tmp_path):
    data = write_cifar10(tmp_path)
    ds = load_dataset("cifar10", root=tmp_path, download=False, verify=False)
    assert len(ds) == 20
    assert len(load_dataset("CIFAR-10", "test", root=tmp_path, verify=False)) == 4
    image, label = ds[0]
    assert image.shape == (3, 32, 32) and image.dtype == torch.float32 and 0 <= label < 10
    assert image[0, 0, 0].item() == -1.0 and image[1, 0, 0].item() == 1.0
    assert image[2, 0, 0].item() == pytest.approx(data[0, 2048] / 127.5 - 1, abs=1e-6)
    assert image[0, 5, 7].item() == pytest.approx(data[0, 5 * 32 + 7] / 127.5 - 1, abs=1e-6)
    small = load_dataset("cifar10", root=tmp_path, verify=False, image_size=16)[0][0]
    assert small.shape == (3, 16, 16) and -1 <= small.min() and small.max() <= 1


def test_cifar10_checksum_failure_is_explained(tmp_path):
    write_cifar10(tmp_path)
    with pytest.raises(DatasetUnavailableError, match="official checksums") as err:
        load_dataset("cifar10", root=tmp_path, download=False)
    assert "verify=False" in str(err.value) and str(tmp_path) in str(err.value)


def test_cifar10_archive_fetched_by_hand_is_unpacked_offline(tmp_path):
    packed = tmp_path / "packing"
    write_cifar10(packed)
    with tarfile.open(tmp_path / "cifar-10-python.tar.gz", "w:gz") as tar:
        tar.add(packed / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    assert len(load_dataset("cifar10", "test", root=tmp_path, verify=False)) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cifar-10-batches-py",
        "cifar-10-python.tar.gz",
        "packing",
    ]  # no half-unpacked folder left behind


# CelebA: aligned 178x218 JPEGs and the five annotation files, headers and all.

CELEBA_ATTRS = (
    "5_o_Clock_Shadow Arched_Eyebrows Attractive Bags_Under_Eyes Bald Bangs Big_Lips Big_Nose "
    "Black_Hair Blond_Hair Blurry Brown_Hair Bushy_Eyebrows Chubby Double_Chin Eyeglasses Goatee "
    "Gray_Hair Heavy_Makeup High_Cheekbones Male Mouth_Slightly_Open Mustache Narrow_Eyes "
    "No_Beard Oval_Face Pale_Skin Pointy_Nose Receding_Hairline Rosy_Cheeks Sideburns Smiling "
    "Straight_Hair Wavy_Hair Wearing_Earrings Wearing_Hat Wearing_Lipstick Wearing_Necklace "
    "Wearing_Necktie Young"
).split()


def write_celeba(root: Path) -> None:
    """7 images: 3 train, 2 valid, 2 test. Each is black inside the 140-px center crop and
    white outside it, so a correct crop gives an all-black image."""
    folder = root / "celeba"
    (folder / "img_align_celeba").mkdir(parents=True)
    names = [f"{i:06d}.jpg" for i in range(1, 8)]
    pixels = np.full((218, 178, 3), 255, dtype=np.uint8)
    pixels[39:179, 19:159] = 0  # CenterCrop(140) of 178x218: rows 39..178, columns 19..158
    for name in names:
        Image.fromarray(pixels).save(folder / "img_align_celeba" / name, quality=95)
    n = len(names)
    attr_row = " ".join(f"{v:2d}" for v in np.where(np.arange(40) % 3 == 0, 1, -1))
    lines = {
        "list_eval_partition.txt": [
            f"{f} {p}" for f, p in zip(names, [0, 0, 0, 1, 1, 2, 2], strict=True)
        ],
        "identity_CelebA.txt": [f"{f} {2880 + i}" for i, f in enumerate(names)],
        "list_attr_celeba.txt": [str(n), " ".join(CELEBA_ATTRS) + " "]
        + [f"{f} {attr_row}" for f in names],
        "list_bbox_celeba.txt": [str(n), "image_id x_1 y_1 width height"]
        + [f"{f}    95   71  226  313" for f in names],
        "list_landmarks_align_celeba.txt": [
            str(n),
            "lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y "
            "rightmouth_x rightmouth_y",
        ]
        + [f"{f} 69  109  106  113   77  142   73  152  108  154" for f in names],
    }
    for filename, rows in lines.items():
        (folder / filename).write_text("\n".join(rows) + "\n")


def test_celeba_reads_jpegs_by_partition_with_the_face_crop(tmp_path):
    write_celeba(tmp_path)
    sizes = {
        split: len(load_dataset("celeba", split, root=tmp_path, download=False, verify=False))
        for split in DATASETS["celeba"].splits
    }
    assert sizes == {"train": 3, "valid": 2, "test": 2}
    image, label = load_dataset("celeba", "valid", root=tmp_path, verify=False)[1]
    assert image.shape == (3, 32, 32) and image.dtype == torch.float32 and label == 0
    assert image.min() >= -1 and image.max() <= 1
    assert image.mean() < -0.95  # the black center only: the white frame was cropped away
    big = load_dataset("celeba", root=tmp_path, verify=False, image_size=64)[0][0]
    assert big.shape == (3, 64, 64)


def test_celeba_checksum_failure_is_explained(tmp_path):
    write_celeba(tmp_path)
    with pytest.raises(DatasetUnavailableError, match="official checksums.*verify=False"):
        load_dataset("celeba", root=tmp_path, download=False)


# Missing files: what to fetch, from where, and the exact folder.


@pytest.mark.parametrize(
    "name,folder,file",
    [
        ("fashion-mnist", "FashionMNIST/raw", "train-images-idx3-ubyte.gz"),
        ("cifar10", "", "cifar-10-python.tar.gz"),
        ("celeba", "celeba", "img_align_celeba.zip"),
    ],
)
def test_missing_files_say_what_where_and_from_where(tmp_path, monkeypatch, name, folder, file):
    expected_folder = f"{tmp_path / folder if folder else tmp_path}/"
    monkeypatch.delenv("HVG_OFFLINE")
    with pytest.raises(DatasetUnavailableError, match="download=False") as err:
        load_dataset(name, root=tmp_path, download=False)
    monkeypatch.setenv("HVG_OFFLINE", "1")
    with pytest.raises(DatasetUnavailableError, match="HVG_OFFLINE=1") as offline_err:
        load_dataset(name, root=tmp_path, download=True)
    for e in (err.value, offline_err.value):
        message = str(e)
        assert expected_folder in message and file in message
        assert "https://" in message and "Traceback" not in message
        assert e.__cause__ is None and e.__suppress_context__  # raised `from None`
    if name == "celeba":
        assert "CelebA.html" in message and "quota" in message
        for txt in ("list_eval_partition", "identity_CelebA", "list_attr_celeba", "list_bbox"):
            assert txt in message
    assert sorted(tmp_path.iterdir()) == []  # nothing was written while failing


# Bad requests: the problem and the fix, named.


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"name": "svhn"}, "unknown data set 'svhn': choose one of mnist, fashion-mnist, cifar10"),
        ({"name": "mnist", "split": "valid"}, "mnist has no split 'valid': choose one of train"),
        ({"name": "celeba", "split": "val"}, "choose one of train, valid, test"),
        ({"name": "mnist", "image_size": 0}, "image_size must be an int from 8 to 256"),
        ({"name": "mnist", "image_size": 1000}, "image_size must be an int from 8 to 256"),
        ({"name": "mnist", "image_size": "32"}, "image_size must be an int .* got '32'"),
    ],
)
def test_bad_requests_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_dataset(**kwargs)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"batch_size": 0}, "batch_size must be a positive int, got 0"),
        ({"batch_size": 2.5}, "batch_size must be a positive int"),
        ({"limit": 0}, "limit must be a positive int .* got 0"),
        ({"limit": -5}, "limit must be a positive int"),
        ({"rank": 2, "world_size": 2}, "rank must be an int from 0 to world_size - 1"),
        ({"world_size": 0}, "world_size a positive int, got rank=0, world_size=0"),
        ({"world_size": 2, "split": "test"}, "shards a shuffled loader only: pass shuffle=True"),
    ],
)
def test_bad_loader_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        get_dataloader("mnist", **kwargs)


# The data loader.


def test_dataloader_batches_are_seeded():
    loader = get_dataloader("mnist", batch_size=64, limit=256)
    assert len(loader) == 4
    images, labels = next(iter(loader))
    assert images.shape == (64, 1, 28, 28) and images.dtype == torch.float32
    assert labels.shape == (64,) and labels.dtype == torch.int64
    same = next(iter(get_dataloader("mnist", batch_size=64, limit=256)))
    other = next(iter(get_dataloader("mnist", batch_size=64, limit=256, seed=1)))[0]
    assert torch.equal(images, same[0]) and torch.equal(labels, same[1])
    assert not torch.equal(images, other)
    assert torch.equal(next(iter(loader))[0], images)  # iterating again repeats the order


def test_dataloader_keeps_the_test_split_in_order():
    loader = get_dataloader("mnist", split="test", batch_size=10, limit=25)
    batches = [labels for _, labels in loader]
    assert [len(b) for b in batches] == [10, 10, 5]  # no shuffle, so no drop_last either
    test = load_dataset("mnist", "test")
    assert torch.cat(batches).tolist() == [test[i][1] for i in range(25)]


def test_data_root_follows_hvg_data(monkeypatch, tmp_path):
    assert data_root() == SHIPPED.parent  # the repository's data/, which ships MNIST
    monkeypatch.setenv("HVG_DATA", str(tmp_path))
    assert data_root() == tmp_path.resolve()
    with pytest.raises(
        DatasetUnavailableError, match=re.escape(str(tmp_path / "FashionMNIST" / "raw"))
    ):
        load_dataset("fashion-mnist")  # the default root is $HVG_DATA


def test_epoch_sampler_is_a_function_of_seed_and_epoch():
    sampler = EpochSampler(100, seed=3)
    first = list(sampler)
    sampler.set_epoch(1)
    second = list(sampler)
    assert sorted(first) == list(range(100)) and first != second
    sampler.set_epoch(0)
    assert list(sampler) == first


def test_epoch_sampler_shards_each_epoch_between_processes():
    whole = EpochSampler(103, seed=3)
    shards = [EpochSampler(103, seed=3, rank=r, world_size=4) for r in range(4)]
    for epoch in (0, 1):
        for sampler in (whole, *shards):
            sampler.set_epoch(epoch)
        order = list(whole)
        assert all(len(s) == len(list(s)) == 25 for s in shards)  # 3 left out, shards equal
        assert sorted(sum((list(s) for s in shards), [])) == sorted(order[:100])
        assert list(shards[1]) == order[1:100:4]
