"""Files the course writes and reads: atomic writes, images as uint8 npz arrays, PNG grids.

Checkpoints, metric caches and unpacked data sets are written through `atomic_write`, so a
crash never leaves a half-written file to be trusted later. The CLI's image files are npz
archives holding uint8 (N, C, H, W) under the key `images`: `write_npz` writes them and
`read_npz` reads them back (a user's own files too), or says what is wrong.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torchvision.utils import make_grid


@contextlib.contextmanager
def atomic_write(path: str | Path) -> Iterator[Path]:
    """A temporary path beside `path` to write to: renamed to `path` (readable by all, as a
    shared file should be) when the block ends, removed if it raises."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)  # mkstemp's file is private
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """Images in [-1, 1], (B, C, H, W) -> uint8 array (B, H, W, C)."""
    if images.dim() != 4:
        raise ValueError(f"expected a batch (B, C, H, W), got shape {tuple(images.shape)}")
    x = ((images.detach().cpu().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).numpy()


def from_uint8(images: np.ndarray, channels: int, size: int, what: str) -> torch.Tensor:
    """uint8 (N, C, H, W) -> the course's float images in [-1, 1], checked against a model's
    channels and side; anything else raises a ValueError that names the fix."""
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8:
        kind = getattr(images, "dtype", type(images).__name__)
        raise ValueError(
            f"{what} must be uint8 (0-255), got {kind}: for floats x in [0, 1] save "
            "(x * 255).round().astype(numpy.uint8)"
        )
    if images.ndim != 4 or images.shape[1:] != (channels, size, size):
        raise ValueError(
            f"{what} has shape {images.shape}; this model takes (N, {channels}, {size}, {size}) "
            f"images (N images, {channels} channel(s), {size}x{size} pixels)"
        )
    return torch.from_numpy(images).float() / 127.5 - 1


def read_npz(path: str | Path, channels: int, size: int) -> torch.Tensor:
    """The `images` array of an npz file as the course's images (see `from_uint8`)."""
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, EOFError, ValueError) as err:  # missing, or not numpy's format
        raise ValueError(f"cannot read {path} as an npz file: {err}") from err
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"{path} holds one bare array: save it with numpy.savez(path, images=x)")
    with archive:
        if "images" not in archive:
            keys = ", ".join(archive.files) or "none"
            raise ValueError(f"{path} has no array named 'images' (its keys: {keys})")
        images = archive["images"]
    return from_uint8(images, channels, size, f"'images' in {path}")


def write_npz(images: torch.Tensor, path: str | Path) -> Path:
    """Save [-1, 1] images (B, C, H, W) as uint8 (N, C, H, W) under `images`, compressed."""
    out = Path(path)
    with atomic_write(out) as tmp, open(tmp, "wb") as file:
        np.savez_compressed(file, images=to_uint8(images).transpose(0, 3, 1, 2))
    return out


def grid(images: torch.Tensor, nrow: int = 8) -> np.ndarray:
    """Tile a batch in [-1, 1] into one uint8 image (H, W, C), with a thin dark border."""
    tiled = make_grid(
        images.detach().cpu().float().clamp(-1, 1), nrow=nrow, padding=2, pad_value=-1
    )
    return to_uint8(tiled[None])[0]


def png_bytes(images: torch.Tensor, nrow: int = 8, scale: int = 4) -> bytes:
    """A batch in [-1, 1] as PNG bytes, upscaled `scale` times (crisp pixels) for widgets."""
    tiled = grid(images, nrow) if len(images) > 1 else to_uint8(images)[0]
    picture = Image.fromarray(tiled.squeeze(-1) if tiled.shape[-1] == 1 else tiled)
    picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()
