"""Data sets for the course, through torchvision, with MNIST shipped for offline use.

Every loader returns images as float tensors (C, H, W) in [-1, 1] with an int label.
MNIST loads from the repository's `data/mnist/` with no network; the other data sets download
through torchvision when online and otherwise stop with a message that says what to fetch,
from where, and the exact folder to put it in.
"""

from __future__ import annotations

import gzip
import os
import pickle
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
import torchvision
from torch.utils.data import DataLoader, Dataset, Sampler, Subset, TensorDataset
from torchvision import transforms


@dataclass(frozen=True)
class DatasetSpec:
    """What the course needs to know about a data set."""

    channels: int
    native_size: int
    splits: tuple[str, ...]
    files: tuple[str, ...]  # what to fetch by hand when the download fails
    source: str  # where from
    folder: str  # where torchvision looks, relative to the data root


MNIST_FILES = (
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
)  # fmt: skip
CELEBA_FILES = (
    "img_align_celeba.zip (unzip it there, giving the folder img_align_celeba/)",
    "list_eval_partition.txt", "identity_CelebA.txt", "list_attr_celeba.txt",
    "list_bbox_celeba.txt", "list_landmarks_align_celeba.txt",
)  # fmt: skip

DATASETS: dict[str, DatasetSpec] = {
    "mnist": DatasetSpec(
        1, 28, ("train", "test"), tuple(f + ".gz" for f in MNIST_FILES),
        "https://ossci-datasets.s3.amazonaws.com/mnist/ (or the repository's data/mnist/)",
        "mnist",
    ),
    "fashion-mnist": DatasetSpec(
        1, 28, ("train", "test"), tuple(f + ".gz" for f in MNIST_FILES),
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/ (listed at "
        "https://github.com/zalandoresearch/fashion-mnist)", "FashionMNIST/raw",
    ),
    "cifar10": DatasetSpec(
        3, 32, ("train", "test"), ("cifar-10-python.tar.gz (torchvision unpacks it)",),
        "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz", "",
    ),
    "celeba": DatasetSpec(
        3, 32, ("train", "valid", "test"), CELEBA_FILES,
        "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html (Google Drive, 'Align&Cropped "
        "Images' and 'Anno' / 'Eval' folders)", "celeba",
    ),
}  # fmt: skip
ALIASES = {"fashion_mnist": "fashion-mnist", "fashionmnist": "fashion-mnist", "cifar-10": "cifar10"}
CELEBA_CROP = 140  # the usual face crop of CelebA's 178x218 aligned images for 32/64-px studies


class DatasetUnavailableError(RuntimeError):
    """The data set's files are not on disk and could not be downloaded."""


def data_root() -> Path:
    """$HVG_DATA, else the repository's data/ folder (it ships MNIST), else ~/.cache/hvg."""
    if os.environ.get("HVG_DATA"):
        return Path(os.environ["HVG_DATA"]).expanduser().resolve()
    repo_data = Path(__file__).resolve().parents[1] / "data"
    if (repo_data / "mnist").is_dir():
        return repo_data
    return Path.home() / ".cache" / "hvg"


def canonical_name(name: str) -> str:
    """The registry name of a data set, accepting common spellings; a clear error otherwise."""
    key = str(name).strip().lower()
    key = ALIASES.get(key, key)
    if key not in DATASETS:
        raise ValueError(f"unknown data set {name!r}: choose one of {', '.join(DATASETS)}")
    return key


def _check_args(name: str, split: str, image_size: int | None) -> tuple[str, DatasetSpec]:
    """Validate a request, naming the problem and the fix."""
    name = canonical_name(name)
    spec = DATASETS[name]
    if split not in spec.splits:
        raise ValueError(f"{name} has no split {split!r}: choose one of {', '.join(spec.splits)}")
    if image_size is not None and (
        not isinstance(image_size, int) or isinstance(image_size, bool)
        or not 8 <= image_size <= 256
    ):  # fmt: skip
        raise ValueError(
            f"image_size must be an int from 8 to 256 (or None for the native "
            f"{spec.native_size}), got {image_size!r}"
        )
    return name, spec


def _unavailable(name: str, root: Path, reason: str) -> DatasetUnavailableError:
    """The error that tells a user how to get a data set by hand."""
    spec = DATASETS[name]
    folder = root / spec.folder if spec.folder else root
    files = "\n".join(f"  - {f}" for f in spec.files)
    return DatasetUnavailableError(
        f"{name} is not available: {reason}.\n"
        f"Fetch these files from {spec.source}:\n{files}\n"
        f"and put them in {folder}/ (set HVG_DATA to use another data root), then run again."
    )


def offline() -> bool:
    """True when HVG_OFFLINE forbids downloads."""
    return os.environ.get("HVG_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def unpack_mnist(root: Path) -> None:
    """Decompress the shipped data/mnist/*.gz into MNIST/raw/, torchvision's layout, once.

    Each file is written under a temporary name and renamed, so an interrupted first run never
    leaves a half-written file for the next one to trust.
    """
    raw = root / "MNIST" / "raw"
    for name in MNIST_FILES:
        target, source = raw / name, root / "mnist" / f"{name}.gz"
        if target.exists() or not source.exists():
            continue
        raw.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=raw, prefix=f".{name}.")
        with os.fdopen(fd, "wb") as out, gzip.open(source, "rb") as gz:
            shutil.copyfileobj(gz, out)
        os.replace(tmp, target)


def _torchvision(name: str, root: Path, split: str, download: bool, verify: bool) -> Dataset:
    """The torchvision data set object, downloading if allowed; our error if it can't."""
    kwargs: dict
    if name == "mnist":
        unpack_mnist(root)
        cls, kwargs = torchvision.datasets.MNIST, {"train": split == "train"}
    elif name == "fashion-mnist":
        cls, kwargs = torchvision.datasets.FashionMNIST, {"train": split == "train"}
    elif name == "cifar10":
        cls, kwargs = (_CIFAR10 if verify else _UncheckedCIFAR10), {"train": split == "train"}
    else:
        cls = _CelebA if verify else _UncheckedCelebA
        kwargs = {"split": split, "target_type": [], "transform": _celeba_transform(32)}
    try:
        return cls(str(root), download=False, **kwargs)
    except _Corrupt as err:
        raise _unavailable(name, root, f"files are present but {err}") from None
    except RuntimeError:
        pass  # not on disk yet
    if not download or offline():
        why = "downloads are off (HVG_OFFLINE)" if offline() else "download=False"
        raise _unavailable(name, root, f"its files are not in {root} and {why}") from None
    try:
        return cls(str(root), download=True, **kwargs)
    except Exception as err:  # network errors come in many types; all mean the same here
        reason = f"the download failed ({type(err).__name__}: {err})"
        raise _unavailable(name, root, reason) from None


class _Corrupt(RuntimeError):
    """Files exist but fail torchvision's checksum."""


def _files_exist(folder: Path, names: list[str]) -> bool:
    return all((folder / n).exists() for n in names)


class _CIFAR10(torchvision.datasets.CIFAR10):
    """CIFAR-10 that tells 'missing' from 'present but failing its MD5'."""

    def _check_integrity(self) -> bool:
        names = [n for n, _ in self.train_list + self.test_list]
        folder = Path(self.root) / self.base_folder
        if _files_exist(folder, names) and not super()._check_integrity():
            raise _Corrupt(
                "do not match the official checksums (corrupt or re-packed); "
                "load_dataset(..., verify=False) skips the check"
            )
        return super()._check_integrity()


class _UncheckedCIFAR10(torchvision.datasets.CIFAR10):
    """CIFAR-10 that checks only that its files exist: for copies re-packed by hand, tests."""

    def _check_integrity(self) -> bool:
        names = [n for n, _ in self.train_list + self.test_list]
        return _files_exist(Path(self.root) / self.base_folder, names)

    def _load_meta(self) -> None:
        with open(Path(self.root) / self.base_folder / self.meta["filename"], "rb") as f:
            self.classes = pickle.load(f, encoding="latin1")[self.meta["key"]]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}


class _CelebA(torchvision.datasets.CelebA):
    """CelebA that tells 'missing' from 'present but failing its MD5'."""

    def _check_integrity(self) -> bool:
        folder = Path(self.root) / self.base_folder
        names = [f for _, _, f in self.file_list if not f.endswith(".zip")]
        present = _files_exist(folder, names) and (folder / "img_align_celeba").is_dir()
        if present and not super()._check_integrity():
            raise _Corrupt(
                "do not match the official checksums (corrupt, or a re-packed copy such as "
                "Kaggle's); load_dataset(..., verify=False) skips the check"
            )
        return present


class _UncheckedCelebA(torchvision.datasets.CelebA):
    """CelebA that checks only that its files exist: for copies re-packed by hand, tests."""

    def _check_integrity(self) -> bool:
        folder = Path(self.root) / self.base_folder
        names = [f for _, _, f in self.file_list if not f.endswith(".zip")]
        return _files_exist(folder, names) and (folder / "img_align_celeba").is_dir()


def _celeba_transform(size: int) -> transforms.Compose:
    """Center-crop the face, resize, scale to [-1, 1]."""
    return transforms.Compose([
        transforms.CenterCrop(CELEBA_CROP),
        transforms.Resize(size, antialias=True),
        transforms.ToTensor(),
        transforms.Normalize(0.5, 0.5),
    ])  # fmt: skip


class _Unlabelled(Dataset):
    """Pairs each image with label 0 (CelebA is used without attributes here)."""

    def __init__(self, images: Dataset):
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.images[i][0], 0


def _in_memory(ds: Dataset, size: int) -> TensorDataset:
    """uint8 images held by a torchvision data set -> one float tensor in [-1, 1], resized once."""
    data = torch.as_tensor(ds.data)
    images = (data[:, None] if data.dim() == 3 else data.permute(0, 3, 1, 2)).float()
    images = images / 127.5 - 1
    if images.shape[-1] != size:
        images = F.interpolate(
            images, size=(size, size), mode="bilinear", antialias=True, align_corners=False
        ).clamp(-1, 1)
    return TensorDataset(images, torch.as_tensor(ds.targets, dtype=torch.int64))


def load_dataset(
    name: str,
    split: str = "train",
    image_size: int | None = None,
    root: str | Path | None = None,
    download: bool = True,
    verify: bool = True,
) -> Dataset:
    """A data set of (image (C, S, S) in [-1, 1], label) at `image_size` (None: native)."""
    name, spec = _check_args(name, split, image_size)
    root = Path(root).expanduser().resolve() if root is not None else data_root()
    size = image_size or spec.native_size
    ds = _torchvision(name, root, split, download, verify)
    if name == "celeba":
        ds.transform = _celeba_transform(size)
        return _Unlabelled(ds)
    return _in_memory(ds, size)


class EpochSampler(Sampler[int]):
    """Shuffles with a permutation fixed by (seed, epoch), like DistributedSampler.

    The same epoch always gives the same order, however often the loader was iterated
    before, so a training run that sets the epoch repeats exactly (and can resume mid-way).
    """

    def __init__(self, size: int, seed: int = 0):
        self.size, self.seed, self.epoch = size, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.size

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        return iter(torch.randperm(self.size, generator=generator).tolist())


def get_dataloader(
    name: str,
    image_size: int | None = None,
    split: str = "train",
    batch_size: int = 128,
    shuffle: bool | None = None,
    limit: int | None = None,
    seed: int = 0,
    num_workers: int = 0,
    drop_last: bool | None = None,
    root: str | Path | None = None,
    download: bool = True,
    verify: bool = True,
) -> DataLoader:
    """The one way the course loads data: batches (B, C, S, S) in [-1, 1] and labels.

    Training batches are shuffled by an EpochSampler seeded with `seed`, so runs repeat;
    `limit` keeps the first `limit` images, for quick runs.
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise ValueError(f"limit must be a positive int (or None for all), got {limit!r}")
    ds = load_dataset(name, split, image_size, root, download, verify)
    if limit is not None and limit < len(ds):
        ds = Subset(ds, range(limit))
    shuffle = split == "train" if shuffle is None else shuffle
    return DataLoader(
        ds, batch_size=batch_size, sampler=EpochSampler(len(ds), seed) if shuffle else None,
        num_workers=num_workers, drop_last=shuffle if drop_last is None else drop_last,
        generator=torch.Generator().manual_seed(seed),  # keeps torch's global RNG untouched
    )  # fmt: skip
