"""Latent interpolation, quick mode and seeding."""

import random

import numpy as np
import pytest
import torch

from hvg.config import pick, quick_mode, seed_everything
from hvg.latent import interpolate


def test_linear_and_spherical_ends_and_norms():
    g = torch.Generator().manual_seed(0)
    z0, z1 = torch.randn(64, generator=g), torch.randn(64, generator=g)
    for spherical in (False, True):
        assert torch.allclose(interpolate(z0, z1, 0.0, spherical), z0, atol=1e-5)
        assert torch.allclose(interpolate(z0, z1, 1.0, spherical), z1, atol=1e-5)
    middle_linear = interpolate(z0, z1, 0.5).norm()
    middle_spherical = interpolate(z0, z1, 0.5, spherical=True).norm()
    assert middle_linear < 0.8 * min(z0.norm(), z1.norm())  # cuts through the middle
    assert middle_spherical > 0.95 * min(z0.norm(), z1.norm())  # keeps the norm
    with pytest.raises(ValueError, match=r"t must be in \[0, 1\]"):
        interpolate(z0, z1, 1.5)


@pytest.mark.parametrize("value,expected", [("1", True), ("true", True), ("0", False), ("", False)])
def test_quick_mode_reads_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("HVG_QUICK", value)
    assert quick_mode() is expected
    assert pick("full", "quick") == ("quick" if expected else "full")


def test_quick_mode_rejects_nonsense(monkeypatch):
    monkeypatch.setenv("HVG_QUICK", "maybe")
    with pytest.raises(ValueError, match="HVG_QUICK='maybe' is not understood"):
        quick_mode()


def test_seed_everything_repeats_draws():
    seed_everything(3)
    a, b, c = torch.randn(5), np.random.rand(3), random.random()
    seed_everything(3)
    assert torch.equal(a, torch.randn(5))
    assert np.array_equal(b, np.random.rand(3)) and c == random.random()
