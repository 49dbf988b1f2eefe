"""Data loading: real MNIST offline, and the other loaders on small files in their real formats.

The small data sets are written to disk exactly as the real ones are laid out (IDX files,
CIFAR-10's pickled batches, CelebA's JPEG folder and text files), as torchvision's own tests
do, then read by torchvision's real loaders. Nothing is mocked, and nothing is downloaded.
"""

import gzip
import hashlib
import pickle
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from hvg.data import (
    DatasetUnavailableError,
    EpochSampler,
    data_root,
    get_dataloader,
    load_dataset,
)

SHIPPED = Path(__file__).resolve().parents[1] / "data" / "mnist"
MNIST_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}


def test_shipped_mnist_is_the_original():
    for name, md5 in MNIST_MD5.items():
        with gzip.open(SHIPPED / f"{name}.gz", "rb") as f:
            assert hashlib.md5(f.read()).hexdigest() == md5, name


def test_mnist_loads_offline_with_all_images(monkeypatch):
    monkeypatch.setenv("HVG_OFFLINE", "1")
    train, test = load_dataset("mnist", "train"), load_dataset("mnist", "test")
    assert (len(train), len(test)) == (60_000, 10_000)
    image, label = train[0]
    assert image.shape == (1, 28, 28) and image.dtype == torch.float32
    assert int(label) == 5  # the first MNIST training digit is a 5
    images = train.tensors[0][:1000]
    assert images.min() == -1 and images.max() == 1
    assert load_dataset("mnist", "test", image_size=32)[0][0].shape == (1, 32, 32)


def test_mnist_unpacks_once_into_torchvisions_layout(tmp_path):
    (tmp_path / "mnist").mkdir()
    for f in SHIPPED.glob("*.gz"):
        shutil.copy(f, tmp_path / "mnist" / f.name)
    assert len(load_dataset("mnist", "test", root=tmp_path)) == 10_000
    raw = tmp_path / "MNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == sorted(MNIST_MD5)  # no temp files left
    for name, md5 in MNIST_MD5.items():
        assert hashlib.md5((raw / name).read_bytes()).hexdigest() == md5
    stamp = (raw / "t10k-images-idx3-ubyte").stat().st_mtime_ns
    load_dataset("mnist", "test", root=tmp_path)
    assert (raw / "t10k-images-idx3-ubyte").stat().st_mtime_ns == stamp


def write_idx(folder: Path, prefix: str, images: np.ndarray, labels: np.ndarray) -> None:
    """IDX files as MNIST and Fashion-MNIST ship them (uncompressed)."""
    folder.mkdir(parents=True, exist_ok=True)
    n, rows, cols = images.shape
    (folder / f"{prefix}-images-idx3-ubyte").write_bytes(
        struct.pack(">IIII", 2051, n, rows, cols) + images.astype(np.uint8).tobytes()
    )
    (folder / f"{prefix}-labels-idx1-ubyte").write_bytes(
        struct.pack(">II", 2049, n) + labels.astype(np.uint8).tobytes()
    )


def test_fashion_mnist_reads_idx_files(tmp_path):
    rng = np.random.default_rng(0)
    raw = tmp_path / "FashionMNIST" / "raw"
    train = rng.integers(0, 256, (12, 28, 28))
    train[0, 0, 0], train[0, 0, 1] = 0, 255
    write_idx(raw, "train", train, rng.integers(0, 10, 12))
    write_idx(raw, "t10k", rng.integers(0, 256, (5, 28, 28)), rng.integers(0, 10, 5))
    ds = load_dataset("fashion-mnist", root=tmp_path, download=False)
    assert len(ds) == 12 and len(load_dataset("FashionMNIST", "test", root=tmp_path)) == 5
    image, _ = ds[0]
    assert image.shape == (1, 28, 28)
    assert image[0, 0, 0] == -1.0 and image[0, 0, 1] == 1.0
    assert image[0, 2, 3].item() == pytest.approx(train[0, 2, 3] / 127.5 - 1, abs=1e-6)


def write_cifar10(root: Path, n: int = 4) -> np.ndarray:
    """CIFAR-10's python batches: pickled dicts of uint8 rows (R, G, B planes) and labels."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    first = None
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (n, 3 * 32 * 32), dtype=np.uint8)
        first = data if first is None else first
        with open(folder / name, "wb") as f:
            pickle.dump({"data": data, "labels": list(rng.integers(0, 10, n))}, f)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": [f"class{i}" for i in range(10)]}, f)
    return first


def test_cifar10_reads_pickled_batches(tmp_path):
    data = write_cifar10(tmp_path)
    ds = load_dataset("cifar10", root=tmp_path, download=False, verify=False)
    assert len(ds) == 20
    assert len(load_dataset("cifar-10", "test", root=tmp_path, verify=False)) == 4
    image, label = ds[0]
    assert image.shape == (3, 32, 32) and 0 <= int(label) < 10
    red, green = data[0, 0], data[0, 1024]  # pixel (0, 0) of the red and green planes
    assert torch.allclose(image[:, 0, 0][:2], torch.tensor([red, green]) / 127.5 - 1)
    assert load_dataset("cifar10", root=tmp_path, verify=False, image_size=16)[0][0].shape == (
        3,
        16,
        16,
    )


def test_cifar10_checksum_failure_is_explained(tmp_path):
    write_cifar10(tmp_path)
    with pytest.raises(DatasetUnavailableError, match="official checksums") as err:
        load_dataset("cifar10", root=tmp_path, download=False)
    assert "verify=False" in str(err.value)


def write_celeba(root: Path) -> None:
    """CelebA's aligned JPEGs (178x218) and its five annotation files, headers and all."""
    folder = root / "celeba"
    (folder / "img_align_celeba").mkdir(parents=True)
    names = [f"{i:06d}.jpg" for i in range(1, 8)]
    partition = [0, 0, 0, 1, 1, 2, 2]
    rng = np.random.default_rng(2)
    for name in names:
        pixels = rng.integers(0, 256, (218, 178, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / "img_align_celeba" / name)
    attrs = ["5_o_Clock_Shadow", "Smiling"]
    lines = {
        "list_eval_partition.txt": [f"{n} {p}" for n, p in zip(names, partition, strict=True)],
        "identity_CelebA.txt": [f"{n} {i + 1}" for i, n in enumerate(names)],
        "list_attr_celeba.txt": [str(len(names)), " ".join(attrs)] + [f"{n}  1 -1" for n in names],
        "list_bbox_celeba.txt": [str(len(names)), "image_id x_1 y_1 width height"]
        + [f"{n} 95 71 226 313" for n in names],
        "list_landmarks_align_celeba.txt": [
            str(len(names)),
            "lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y "
            "rightmouth_x rightmouth_y",
        ]
        + [f"{n} 69 109 106 113 77 142 73 152 108 154" for n in names],
    }
    for filename, rows in lines.items():
        (folder / filename).write_text("\n".join(rows) + "\n")


def test_celeba_reads_jpegs_and_partition(tmp_path):
    write_celeba(tmp_path)
    sizes = {
        s: len(load_dataset("celeba", s, root=tmp_path, download=False, verify=False))
        for s in ("train", "valid", "test")
    }
    assert sizes == {"train": 3, "valid": 2, "test": 2}
    image, label = load_dataset("celeba", root=tmp_path, verify=False)[0]
    assert image.shape == (3, 32, 32) and label == 0
    assert image.min() >= -1 and image.max() <= 1
    big = load_dataset("celeba", root=tmp_path, verify=False, image_size=64)[0][0]
    assert big.shape == (3, 64, 64)


@pytest.mark.parametrize(
    "name,folder,file",
    [
        ("fashion-mnist", "FashionMNIST/raw", "train-images-idx3-ubyte.gz"),
        ("cifar10", "", "cifar-10-python.tar.gz"),
        ("celeba", "celeba", "img_align_celeba.zip"),
    ],
)
def test_missing_files_say_what_where_and_from_where(tmp_path, monkeypatch, name, folder, file):
    with pytest.raises(DatasetUnavailableError) as err:
        load_dataset(name, root=tmp_path, download=False)
    message = str(err.value)
    assert f"{(tmp_path / folder) if folder else tmp_path}/" in message
    assert file in message and "https://" in message
    assert err.value.__cause__ is None and err.value.__suppress_context__
    monkeypatch.setenv("HVG_OFFLINE", "1")
    with pytest.raises(DatasetUnavailableError, match="HVG_OFFLINE"):
        load_dataset(name, root=tmp_path, download=True)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"name": "svhn"}, "unknown data set 'svhn': choose one of mnist, fashion-mnist"),
        ({"name": "mnist", "split": "valid"}, "mnist has no split 'valid'"),
        ({"name": "mnist", "image_size": 0}, "image_size must be an int from 8 to 256"),
        ({"name": "mnist", "image_size": 1000}, "image_size must be an int from 8 to 256"),
        ({"name": "mnist", "image_size": "32"}, "image_size must be an int"),
    ],
)
def test_bad_requests_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_dataset(**kwargs)


def test_bad_loader_arguments_are_named():
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        get_dataloader("mnist", batch_size=0)
    with pytest.raises(ValueError, match="limit must be a positive int"):
        get_dataloader("mnist", limit=0)


def test_dataloader_batches_and_seeded_order():
    loader = get_dataloader("mnist", batch_size=64, limit=256)
    images, labels = next(iter(loader))
    assert images.shape == (64, 1, 28, 28) and labels.shape == (64,)
    same = next(iter(get_dataloader("mnist", batch_size=64, limit=256)))[0]
    other = next(iter(get_dataloader("mnist", batch_size=64, limit=256, seed=1)))[0]
    assert torch.equal(images, same) and not torch.equal(images, other)
    assert torch.equal(next(iter(loader))[0], images)  # re-iterating repeats epoch 0
    test_images = next(iter(get_dataloader("mnist", split="test", batch_size=8)))[0]
    assert torch.equal(test_images, load_dataset("mnist", "test").tensors[0][:8])


def test_epoch_sampler_is_a_function_of_seed_and_epoch():
    sampler = EpochSampler(100, seed=3)
    first = list(sampler)
    sampler.set_epoch(1)
    second = list(sampler)
    assert sorted(first) == list(range(100)) and first != second
    sampler.set_epoch(0)
    assert list(sampler) == first


def test_data_root_follows_hvg_data(monkeypatch, tmp_path):
    monkeypatch.setenv("HVG_DATA", str(tmp_path))
    assert data_root() == tmp_path.resolve()
    monkeypatch.delenv("HVG_DATA")
    assert data_root() == SHIPPED.parent
