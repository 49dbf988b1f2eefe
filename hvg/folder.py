"""Any folder of images as a data set: `folder:PATH` wherever a data set's name goes.

Layout: one sub-folder per class (read by torchvision's ImageFolder: the sub-folders, in sorted
order, are labels 0, 1, ...) or a flat folder of images, all label 0; a folder with images both
at its top and in sub-folders is refused. Files ending in IMG_EXTENSIONS (any case) are read,
anything else is ignored.

Each image is turned upright (its EXIF orientation), converted to grayscale or RGB,
center-cropped to a square and resized to `image_size` (32 by default: a folder has no native
size; the models take multiples of 4 from 16 to 64), then scaled to [-1, 1]. 16-bit grayscale,
as medical scans come, is scaled to 8 bits rather than clipped. The colour is the folder's:
1 channel if every image is grayscale, else 3; `folder:PATH?channels=3` (or `=1`) asks for it.

Splits: a file goes to "test" (10 %), "valid" (10 %) or "train" by the SHA-256 of SPLIT_SEED and
its path relative to the folder (`split_of`), so the same file always lands in the same split,
whatever other files come or go and whatever seed a run trains with. "all" is every image.

An unreadable file stops loading, with its name; `folder:PATH?skip-unreadable` skips it with a
warning instead. A split is read into memory once, as one tensor, like MNIST: 10,000 RGB
images at 64x64 take 0.5 GB, fine for the small models of the course.
"""

from __future__ import annotations

import dataclasses
import hashlib
import warnings
from pathlib import Path

import numpy as np
import torch
import torchvision.transforms.functional as TF
from PIL import Image, ImageOps
from torchvision.datasets import ImageFolder
from torchvision.datasets.folder import IMG_EXTENSIONS, has_file_allowed_extension

PREFIX = "folder:"
SPLITS = ("train", "valid", "test", "all")
SPLIT_SEED = "hvg-folder-split"
HELD_OUT = {"test": (0.0, 0.1), "valid": (0.1, 0.2)}  # each a range of the hash's fraction
DEFAULT_SIZE = 32
SKIP = "skip-unreadable"
UNREADABLE = (OSError, SyntaxError, ValueError)  # what PIL raises for broken files
EXAMPLES = ("brick", "camera", "coins", "grass", "gravel", "moon", "text")


def is_folder(name: object) -> bool:
    """True for a `folder:PATH` data set name."""
    return isinstance(name, str) and name.startswith(PREFIX)


@dataclasses.dataclass(frozen=True)
class Folder:
    """A folder data set: where, in how many channels (None: the folder's), and whether
    unreadable files are skipped."""

    root: Path
    channels: int | None = None
    skip_unreadable: bool = False

    def __post_init__(self) -> None:
        if self.channels not in (None, 1, 3):
            raise ValueError(f"channels must be 1 (grayscale) or 3 (RGB), got {self.channels!r}")

    @classmethod
    def parse(cls, name: str) -> Folder:
        """`folder:PATH`, optionally `?channels=1|3` and `&skip-unreadable`; PATH made absolute."""
        path, mark, query = name.removeprefix(PREFIX).rpartition("?")
        path, query = (path, query) if mark else (query, "")
        if not path.strip():
            raise ValueError(f"{name!r} names no folder: write folder:PATH, e.g. folder:my_images")
        options = dict(item.partition("=")[::2] for item in query.split("&") if item)
        unknown = set(options) - {"channels", SKIP}
        if unknown or options.get(SKIP, ""):
            raise ValueError(
                f"{name!r}: unknown option {query!r}; a folder takes ?channels=1, ?channels=3 "
                f"and ?{SKIP} (e.g. folder:PATH?channels=3&{SKIP})"
            )
        channels = options.get("channels")
        return cls(
            Path(path).expanduser().resolve(),
            int(channels) if channels in ("1", "3") else channels,
            SKIP in options,
        )

    @property
    def name(self) -> str:
        """The canonical `folder:/absolute/path[?options]`, as checkpoints record it."""
        options = [f"channels={self.channels}"] if self.channels else []
        options += [SKIP] if self.skip_unreadable else []
        return PREFIX + str(self.root) + ("?" + "&".join(options) if options else "")

    @property
    def short(self) -> str:
        """`folder-NAME`, NAME the folder's own: for file names (checkpoints)."""
        return f"folder-{self.root.name}"


def split_of(relative: str) -> str:
    """The split of a file ("train", "valid" or "test") from its path in the folder, "/"-joined."""
    digest = hashlib.sha256(f"{SPLIT_SEED}/{relative}".encode()).digest()
    fraction = int.from_bytes(digest[:8], "big") / 2**64
    return next((s for s, (lo, hi) in HELD_OUT.items() if lo <= fraction < hi), "train")


def load_folder(
    name: str, split: str = "train", image_size: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """A folder's split: images (N, C, S, S) in [-1, 1] and their labels (N,), int64."""
    folder = Folder.parse(name)
    size = _size(image_size)
    if split not in SPLITS:
        raise ValueError(f"a folder has no split {split!r}: choose one of {', '.join(SPLITS)}")
    samples = _samples(folder.root)
    chosen = [
        (path, label)
        for path, label in samples
        if split == "all" or split_of(path.relative_to(folder.root).as_posix()) == split
    ]
    channels = folder.channels or _channels(samples, folder.skip_unreadable)
    read = [(_read(path, channels, size, folder.skip_unreadable), label) for path, label in chosen]
    read = [(image, label) for image, label in read if image is not None]
    if not read:
        raise ValueError(
            f"{folder.root} has no readable image in its {split!r} split ({len(chosen)} of its "
            f"{len(samples)} images fall in it: about 10 % go to 'valid' and 10 % to 'test', by "
            "a hash of each file's path): add images, or use another split ('all': every image)"
        )
    images = torch.stack([image for image, _ in read]).float() / 127.5 - 1
    return images, torch.tensor([label for _, label in read], dtype=torch.int64)


def _size(image_size: int | None) -> int:
    """The side to resize to: `image_size`, checked, or DEFAULT_SIZE."""
    if image_size is None:
        return DEFAULT_SIZE
    if (
        not isinstance(image_size, int)
        or isinstance(image_size, bool)
        or not 8 <= image_size <= 256
    ):
        raise ValueError(
            f"image_size must be an int from 8 to 256 (or None for a folder's default "
            f"{DEFAULT_SIZE}), got {image_size!r}"
        )
    return image_size


def _samples(root: Path) -> list[tuple[Path, int]]:
    """Every image file of a folder with its label: ImageFolder's classes, or 0 if flat."""
    if not root.is_dir():
        raise ValueError(f"there is no folder {root}: check the path after folder:")
    entries = sorted(root.iterdir())
    flat = [
        (p, 0)
        for p in entries
        if p.is_file() and has_file_allowed_extension(p.name, IMG_EXTENSIONS)
    ]
    nested = ImageFolder(root, allow_empty=True).samples if any(p.is_dir() for p in entries) else []
    if flat and nested:
        raise ValueError(
            f"{root} has images both in itself and in sub-folders: put every image in a "
            "sub-folder per class, or keep the folder flat"
        )
    if not flat and not nested:
        raise ValueError(
            f"no images found in {root}: hvg reads {' '.join(IMG_EXTENSIONS)} files (any case), "
            "in the folder itself or in one sub-folder per class"
        )
    return flat or [(Path(path), label) for path, label in nested]


def _channels(samples: list[tuple[Path, int]], skip: bool) -> int:
    """1 if every image is grayscale (judged by its header alone), else 3."""
    return 1 if all(_gray(_mode(path, skip)) for path, _ in samples) else 3


def _gray(mode: str | None) -> bool:
    """Whether a PIL mode is grayscale (None, an unreadable file skipped, counts as gray)."""
    return mode is None or mode in ("1", "L", "LA", "I", "F") or mode.startswith("I;16")


def _mode(path: Path, skip: bool) -> str | None:
    """The PIL mode of an image file, from its header; None if unreadable and skipped."""
    try:
        with Image.open(path) as image:
            return image.mode
    except UNREADABLE as err:
        return _unreadable(path, err, skip)


def _read(path: Path, channels: int, size: int, skip: bool) -> torch.Tensor | None:
    """One image as uint8 (C, size, size): upright, converted, center-cropped, resized."""
    try:
        with Image.open(path) as file:
            image = ImageOps.exif_transpose(file)  # a copy, decoded: broken data raise here
    except UNREADABLE as err:
        return _unreadable(path, err, skip)
    if image.mode.startswith("I;16"):  # 0-65535 onto 0-255; PIL's convert would clip at 255
        image = Image.fromarray((np.asarray(image) // 257).astype(np.uint8))
    image = image.convert("L" if channels == 1 else "RGB")
    side = min(image.size)
    image = TF.resize(TF.center_crop(image, [side, side]), [size, size], antialias=True)
    return TF.pil_to_tensor(image)


def _unreadable(path: Path, err: Exception, skip: bool) -> None:
    """Skip an unreadable file with a warning, or stop with its name and the way to skip it."""
    if not skip:
        raise ValueError(
            f"cannot read {path} ({err}): fix or remove it, or skip unreadable files "
            f"(folder:PATH?{SKIP}, or --{SKIP} on the command line)"
        )
    warnings.warn(f"skipped {path}, which cannot be read ({err})", stacklevel=4)


def example_folder(
    path: str | Path, n: int = 280, size: int = 64, classes: bool = False, seed: int = 0
) -> Path:
    """Write `n` random size x size PNG crops of scikit-image's bundled grayscale pictures
    (EXAMPLES, no download) into `path`: a folder to try `folder:PATH` on. With `classes`, each
    picture's crops go into a sub-folder named after it, their label."""
    import skimage.data  # here: importing it takes seconds that loading data never needs

    pictures = {name: getattr(skimage.data, name)() for name in EXAMPLES}
    smallest = min(min(p.shape) for p in pictures.values())
    if not 8 <= size <= smallest or n < 1:
        raise ValueError(f"size must be from 8 to {smallest} and n at least 1, got {size}, {n}")
    rng = np.random.default_rng(seed)
    root = Path(path)
    for i in range(n):
        name = EXAMPLES[i % len(EXAMPLES)]
        picture = pictures[name]
        y, x = (int(rng.integers(0, side - size + 1)) for side in picture.shape)
        folder = root / name if classes else root
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(picture[y : y + size, x : x + size]).save(folder / f"{name}-{i:04d}.png")
    return root
