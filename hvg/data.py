"""Data sets for the course, through torchvision, with MNIST shipped for offline use.

Every data set gives (image, label) pairs: a float32 tensor (C, H, W) in [-1, 1] and an int.
MNIST loads from the repository's `data/mnist/` with no network; the others download through
torchvision when they can, and otherwise stop with a message that says what to fetch, from
where, and the exact folder to put it in. `folder:PATH` names any folder of images (hvg.folder).
"""

from __future__ import annotations

import gzip
import os
import pickle
import shutil
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, Sampler, Subset, TensorDataset
from torchvision import datasets, transforms
from torchvision.datasets.utils import check_integrity, extract_archive

from hvg.config import REPOSITORY, offline
from hvg.files import atomic_write
from hvg.folder import is_folder, load_folder

VALIDATION_START = 55_000  # training images from here on are held out to choose settings with


@dataclass(frozen=True)
class DatasetSpec:
    """What the course needs to know about a data set, and what to tell someone who lacks it."""

    channels: int
    native_size: int
    splits: tuple[str, ...]
    folder: str  # where its files go, relative to the data root
    files: tuple[str, ...]  # what to fetch by hand when the download fails
    source: str  # where from
    note: str = ""  # anything else a person fetching the files by hand should know


def _mnist_style(cls: type[datasets.MNIST], folder: str, also: str) -> DatasetSpec:
    """The spec of an IDX data set, its URLs taken from torchvision's own download list."""
    return DatasetSpec(
        channels=1,
        native_size=28,
        splits=("train", "test"),
        folder=folder,
        files=tuple(cls.mirrors[0] + name for name, _ in cls.resources),
        source=f"the URLs torchvision downloads; {also}",
    )


CELEBA_PAGE = "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html"
CELEBA_CROP = 140  # the usual face crop of CelebA's 178x218 aligned images for 32/64-px studies

DATASETS: dict[str, DatasetSpec] = {
    "mnist": _mnist_style(
        datasets.MNIST, "mnist", "other mirror: " + " ".join(datasets.MNIST.mirrors[1:])
    ),
    "fashion-mnist": _mnist_style(
        datasets.FashionMNIST,
        "FashionMNIST/raw",
        "project page: https://github.com/zalandoresearch/fashion-mnist",
    ),
    "cifar10": DatasetSpec(
        channels=3,
        native_size=32,
        splits=("train", "test"),
        folder="",
        files=(
            f"{datasets.CIFAR10.url} (hvg unpacks it into {datasets.CIFAR10.base_folder}/ "
            "there, or unpack it yourself)",
        ),
        source="CIFAR-10 page: https://www.cs.toronto.edu/~kriz/cifar.html",
    ),
    "celeba": DatasetSpec(
        channels=3,
        native_size=32,
        splits=("train", "valid", "test"),
        folder="celeba",
        files=(
            "img_align_celeba.zip, in Img/ (unzip it there, into img_align_celeba/; or let hvg)",
            "list_eval_partition.txt, in Eval/",
            "identity_CelebA.txt, list_attr_celeba.txt, list_bbox_celeba.txt and "
            "list_landmarks_align_celeba.txt, in Anno/",
        ),
        source=f'the Google Drive folder linked as "Align&Cropped Images" on {CELEBA_PAGE}',
        note=(
            "Google Drive's daily download quota often makes the automatic download fail; "
            "the same files fetched by hand in a browser work."
        ),
    ),
}
ALIASES = {"fashion_mnist": "fashion-mnist", "fashionmnist": "fashion-mnist", "cifar-10": "cifar10"}


class DatasetUnavailableError(RuntimeError):
    """The data set's files are not on disk (or fail their checksums) and can't be downloaded."""


class _Corrupt(RuntimeError):
    """The files are all there but fail torchvision's official MD5 checksums."""


def data_root() -> Path:
    """$HVG_DATA, else the repository's data/ folder (it ships MNIST), else ~/.cache/hvg."""
    if os.environ.get("HVG_DATA"):
        return Path(os.environ["HVG_DATA"]).expanduser().resolve()
    repo_data = REPOSITORY / "data"
    if (repo_data / "mnist").is_dir():
        return repo_data
    return Path.home() / ".cache" / "hvg"


def _check_args(name: str, split: str, image_size: int | None) -> tuple[str, DatasetSpec]:
    """The registry name and spec of a request, or a ValueError naming the problem and the fix."""
    key = str(name).strip().lower()
    key = ALIASES.get(key, key)
    if key not in DATASETS:
        raise ValueError(
            f"unknown data set {name!r}: choose one of {', '.join(DATASETS)}, or folder:PATH "
            "(any folder of images)"
        )
    spec = DATASETS[key]
    if split not in spec.splits:
        raise ValueError(f"{key} has no split {split!r}: choose one of {', '.join(spec.splits)}")
    if image_size is not None and (
        not isinstance(image_size, int)
        or isinstance(image_size, bool)
        or not 8 <= image_size <= 256
    ):
        raise ValueError(
            f"image_size must be an int from 8 to 256 (or None for the native "
            f"{spec.native_size}), got {image_size!r}"
        )
    return key, spec


def _unavailable(name: str, root: Path, reason: str) -> DatasetUnavailableError:
    """The error that tells a person how to get a data set by hand."""
    spec = DATASETS[name]
    folder = root / spec.folder if spec.folder else root
    files = "\n".join(f"  - {f}" for f in spec.files)
    return DatasetUnavailableError(
        f"{name} is not available: {reason}.\n"
        f"Fetch these files ({spec.source}):\n{files}\n"
        f"and put them in {folder}/ (or set HVG_DATA to another data root), then run again."
        + (f"\n{spec.note}" if spec.note else "")
    )


def _gunzip(names: list[str], sources: list[Path], raw: Path) -> None:
    """Decompress each missing raw/<name> from a <name>.gz found in `sources`.

    Each file is written atomically (hvg.files), so an interrupted run never leaves a
    half-written file for the next one to trust.
    """
    for name in names:
        target = raw / name
        found = [gz for gz in (s / f"{name}.gz" for s in sources) if gz.is_file()]
        if target.exists() or not found:
            continue
        with atomic_write(target) as tmp, open(tmp, "wb") as out, gzip.open(found[0]) as src:
            shutil.copyfileobj(src, out)


def _unpack(archive: Path, folder: Path) -> None:
    """Unpack `archive`, whose top folder is `folder`'s name, next to it: once, all or nothing."""
    if folder.exists() or not archive.is_file():
        return
    tmp = Path(tempfile.mkdtemp(dir=archive.parent, prefix=".unpacking-"))
    try:
        extract_archive(archive, tmp)
        if (tmp / folder.name).is_dir():
            os.replace(tmp / folder.name, folder)
    finally:
        shutil.rmtree(tmp)


def _unpack_local(name: str, root: Path) -> None:
    """Turn files fetched by hand (or shipped) into the layout torchvision reads, no network."""
    if name in ("mnist", "fashion-mnist"):
        cls = datasets.MNIST if name == "mnist" else datasets.FashionMNIST
        raw = root / cls.__name__ / "raw"
        shipped = [root / "mnist"] if name == "mnist" else []
        _gunzip([Path(gz).stem for gz, _ in cls.resources], [*shipped, raw], raw)
    elif name == "cifar10":
        _unpack(root / datasets.CIFAR10.filename, root / datasets.CIFAR10.base_folder)
    else:
        _unpack(root / "celeba" / "img_align_celeba.zip", root / "celeba" / "img_align_celeba")


_CORRUPT = (
    "do not match the official checksums (corrupt, or re-packed by hand, as Kaggle's copies "
    "are); pass verify=False to load_dataset or get_dataloader to skip the check"
)


class _CIFAR10(datasets.CIFAR10):
    """CIFAR-10 that tells 'missing' from 'present but failing the official MD5s'."""

    verify = True

    def _check_integrity(self) -> bool:
        folder = Path(self.root) / self.base_folder
        names = [n for n, _ in self.train_list + self.test_list] + [self.meta["filename"]]
        if not all((folder / n).is_file() for n in names):
            return False
        meta = str(folder / self.meta["filename"])
        if self.verify and not (
            check_integrity(meta, self.meta["md5"]) and super()._check_integrity()
        ):
            raise _Corrupt(_CORRUPT)
        return True

    def _load_meta(self) -> None:
        """The class names, without a second checksum (checked, or skipped on purpose, above)."""
        with open(Path(self.root) / self.base_folder / self.meta["filename"], "rb") as f:
            self.classes = pickle.load(f, encoding="latin1")[self.meta["key"]]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}


class _UncheckedCIFAR10(_CIFAR10):
    """CIFAR-10 that only checks its files exist: for copies re-packed by hand, test fixtures."""

    verify = False


class _CelebA(datasets.CelebA):
    """CelebA that tells 'missing' from 'present but failing the official MD5s'."""

    verify = True

    def _check_integrity(self) -> bool:
        folder = Path(self.root) / self.base_folder
        names = [f for _, _, f in self.file_list if not f.endswith(".zip")]
        if not (
            all((folder / n).is_file() for n in names) and (folder / "img_align_celeba").is_dir()
        ):
            return False
        if self.verify and not super()._check_integrity():
            raise _Corrupt(_CORRUPT)
        return True


class _UncheckedCelebA(_CelebA):
    """CelebA that only checks its files exist: for copies re-packed by hand, test fixtures."""

    verify = False


def _celeba_transform(size: int) -> transforms.Compose:
    """Center-crop the face to 140 px, resize to `size`, scale to [-1, 1].

    A 140-px center crop of the 178x218 aligned images is the standard face crop of the
    32- and 64-px GAN studies: the face fills the frame, with little background.
    """
    return transforms.Compose(
        [
            transforms.CenterCrop(CELEBA_CROP),
            transforms.Resize(size, antialias=True),
            transforms.ToTensor(),
            transforms.Normalize(0.5, 0.5),
        ]
    )


def _torchvision(
    name: str, root: Path, split: str, size: int, verify: bool, download: bool
) -> datasets.VisionDataset:
    """The torchvision data set, from disk, else downloaded if allowed; our error if neither."""
    cls: type[datasets.VisionDataset]
    kwargs: dict[str, object]
    if name == "celeba":  # target_type=[]: no targets to build per item, the cheapest
        cls = _CelebA if verify else _UncheckedCelebA
        kwargs = {"split": split, "target_type": [], "transform": _celeba_transform(size)}
    else:
        cifar = _CIFAR10 if verify else _UncheckedCIFAR10
        cls = {"mnist": datasets.MNIST, "fashion-mnist": datasets.FashionMNIST, "cifar10": cifar}[
            name
        ]
        kwargs = {"train": split == "train"}
    try:
        _unpack_local(name, root)
    except (OSError, EOFError, zlib.error, tarfile.TarError, zipfile.BadZipFile) as err:
        reason = f"unpacking its local files failed ({type(err).__name__}: {err})"
        raise _unavailable(name, root, reason) from None
    try:
        return cls(root, download=False, **kwargs)
    except _Corrupt as err:
        raise _unavailable(name, root, f"its files are present but {err}") from None
    except (RuntimeError, OSError):
        pass  # not on disk, or not all of it: download below if allowed
    if not download or offline():
        why = (
            f"downloads are off (HVG_OFFLINE={os.environ['HVG_OFFLINE']})"
            if offline()
            else "download=False"
        )
        raise _unavailable(name, root, f"its files are not on disk and {why}") from None
    try:
        return cls(root, download=True, **kwargs)
    except Exception as err:  # network errors come in many types; all mean the same here
        reason = f"the download failed ({type(err).__name__}: {err})"
        raise _unavailable(name, root, reason) from None


class _Images(TensorDataset):
    """Images held in one tensor, each with its label as an int (as torchvision gives it)."""

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.tensors[0][index], int(self.tensors[1][index])


def _in_memory(ds: datasets.VisionDataset, size: int) -> _Images:
    """A torchvision data set's uint8 images as one float tensor in [-1, 1], resized once."""
    data = torch.as_tensor(ds.data)
    images = (data[:, None] if data.dim() == 3 else data.permute(0, 3, 1, 2)).contiguous()
    images = images.float() / 127.5 - 1
    if images.shape[-1] != size:
        images = F.interpolate(
            images, size=(size, size), mode="bilinear", antialias=True, align_corners=False
        ).clamp(-1, 1)
    return _Images(images, torch.as_tensor(ds.targets, dtype=torch.int64))


class _Unlabelled(Dataset):
    """CelebA's images, each with label 0: the course uses it without its attributes."""

    def __init__(self, images: Dataset) -> None:
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.images[index][0], 0


def load_dataset(
    name: str,
    split: str = "train",
    image_size: int | None = None,
    root: str | Path | None = None,
    download: bool = True,
    verify: bool = True,
) -> Dataset:
    """(image (C, S, S) in [-1, 1], int label) pairs at `image_size` (None: native size).

    `root` defaults to data_root(). MNIST, Fashion-MNIST and CIFAR-10 are held in memory as
    one tensor; CelebA reads its JPEGs per item and has label 0. `verify=False` skips the
    official MD5 checks of CIFAR-10 and CelebA, for copies re-packed by hand. `folder:PATH`
    reads any folder of images, held in memory (hvg.folder: its splits, colour and options).
    """
    if is_folder(name):
        return _Images(*load_folder(name, split, image_size))
    name, spec = _check_args(name, split, image_size)
    root = Path(root).expanduser().resolve() if root is not None else data_root()
    size = image_size or spec.native_size
    ds = _torchvision(name, root, split, size, verify, download)
    return _Unlabelled(ds) if name == "celeba" else _in_memory(ds, size)


class EpochSampler(Sampler[int]):
    """Shuffles with a permutation fixed by (seed, epoch), like DistributedSampler.

    The same epoch always gives the same order, however often the loader was iterated
    before, so a training run that sets the epoch repeats exactly (and can resume mid-way).
    With `world_size` processes, process `rank` takes every world_size-th index of that order
    from its rank on: disjoint shards of equal size (the last size % world_size images of
    each epoch's order are left out). One process takes the whole order, as before.
    """

    def __init__(self, size: int, seed: int = 0, rank: int = 0, world_size: int = 1) -> None:
        if not _positive_int(world_size) or not (isinstance(rank, int) and 0 <= rank < world_size):
            raise ValueError(
                f"rank must be an int from 0 to world_size - 1 and world_size a positive int, "
                f"got rank={rank!r}, world_size={world_size!r}"
            )
        self.size, self.seed, self.epoch = size, seed, 0
        self.rank, self.world_size = rank, world_size

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose order the next iteration gives."""
        self.epoch = epoch

    def __len__(self) -> int:
        return self.size // self.world_size

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        order = torch.randperm(self.size, generator=generator)
        return iter(order[self.rank : len(self) * self.world_size : self.world_size].tolist())


def _positive_int(value: object) -> bool:
    """True for an int >= 1 (bools excluded)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


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
    rank: int = 0,
    world_size: int = 1,
) -> DataLoader:
    """The one way the course loads data: batches (B, C, S, S) in [-1, 1] and their labels.

    `shuffle` defaults to True for "train" only, and `drop_last` to `shuffle`. Shuffled
    batches come from an EpochSampler seeded with `seed`, so the same seed gives the same
    batches; `limit` keeps the first `limit` images, for quick runs. With `world_size`
    processes training together, process `rank` gets its own shard of every epoch.
    """
    if not _positive_int(batch_size):
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if limit is not None and not _positive_int(limit):
        raise ValueError(f"limit must be a positive int (or None for all), got {limit!r}")
    shuffle = split == "train" if shuffle is None else shuffle
    if world_size != 1 and not shuffle:
        raise ValueError(
            f"world_size={world_size!r} shards a shuffled loader only: pass shuffle=True (or "
            "leave world_size at 1 and load the whole split in order)"
        )
    ds = load_dataset(name, split, image_size, root, download, verify)
    if limit is not None and limit < len(ds):
        ds = Subset(ds, range(limit))
    return DataLoader(
        ds,
        batch_size=batch_size,
        sampler=EpochSampler(len(ds), seed, rank, world_size) if shuffle else None,
        num_workers=num_workers,
        drop_last=shuffle if drop_last is None else drop_last,
        generator=torch.Generator().manual_seed(seed),  # keeps torch's global RNG untouched
    )
