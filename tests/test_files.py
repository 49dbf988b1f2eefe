"""hvg.files: atomic writes leave the whole file or none, and npz images round-trip."""

import stat

import numpy as np
import pytest
import torch

from hvg.files import atomic_write, read_npz, write_npz


def test_atomic_write_renames_on_success_and_leaves_nothing_on_error(tmp_path):
    target = tmp_path / "sub" / "file.bin"
    with atomic_write(target) as tmp:
        tmp.write_bytes(b"whole")
        assert not target.exists()  # nothing under the real name until the block ends
    assert target.read_bytes() == b"whole"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    with pytest.raises(RuntimeError), atomic_write(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("crash mid-write")
    assert target.read_bytes() == b"whole"  # the old file stands
    assert [p.name for p in target.parent.iterdir()] == ["file.bin"]  # no temp file left


def test_npz_images_round_trip_through_uint8(tmp_path):
    images = torch.rand(3, 1, 28, 28) * 2 - 1
    path = write_npz(images, tmp_path / "images.npz")
    stored = np.load(path)["images"]
    assert stored.dtype == np.uint8 and stored.shape == (3, 1, 28, 28)
    assert (read_npz(path, 1, 28) - images).abs().max() <= 1 / 127.5
