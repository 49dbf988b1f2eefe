"""The ring toy: its data, its mode count, and seeded training that reproduces."""

import pytest
import torch

from hvg.course.toy import HIT, MODES, RADIUS, STD, centres, covered, modes_hit, ring, train_toy


def test_the_ring_draws_every_mode_with_its_spread():
    points = ring(8000, torch.Generator().manual_seed(0))
    distance, nearest = torch.cdist(points, centres()).min(dim=1)
    assert centres().norm(dim=1).allclose(torch.full((MODES,), RADIUS))
    assert torch.bincount(nearest, minlength=MODES).min() > 800  # about 1,000 each
    assert abs(distance.pow(2).mean().sqrt().item() - STD * 2**0.5) < 0.002  # a 2-D Gaussian


def test_modes_hit_counts_points_near_each_mode_only():
    on_two = torch.cat([centres()[[0]].repeat(30, 1), centres()[[3]].repeat(10, 1)])
    off = torch.zeros(60, 2)  # the ring's centre: near no mode
    counts, near = modes_hit(torch.cat([on_two, off]))
    assert counts.tolist() == [30, 0, 0, 10, 0, 0, 0, 0] and near == pytest.approx(0.4)
    assert HIT == 20 and covered(torch.cat([on_two, off])) == 1  # 10 points are too few


def test_training_is_seeded_and_keeps_its_snapshots():
    first = train_toy(hybrid=True, steps=40, every=20, batch=64)
    again = train_toy(hybrid=True, steps=40, every=20, batch=64)
    assert list(first) == [20, 40] and first[40].shape == (1000, 2)
    assert all(torch.equal(first[s], again[s]) for s in first)
    assert not torch.equal(train_toy(hybrid=False, steps=40, every=20, batch=64)[40], first[40])
