"""Per-sample scores on constructed points with known answers."""

import pytest
import torch

from hvg.metrics import MetricInputError, confidence, nearest, realism


def test_nearest_finds_each_points_closest_reference():
    reference = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    points = torch.tensor([[9.0, 1.0], [0.0, 0.5], [0.0, 10.0]])
    distance, index = nearest(reference, points)
    assert index.tolist() == [1, 0, 2]
    assert torch.allclose(distance, torch.tensor([2**0.5, 0.5, 0.0]))


def test_realism_is_high_on_the_real_manifold_and_low_off_it():
    generator = torch.Generator().manual_seed(0)
    real = torch.randn(2000, 2, generator=generator)
    inside = 0.5 * torch.randn(200, 2, generator=generator)  # well within the real cloud
    outside = torch.randn(200, 2, generator=generator) + torch.tensor([12.0, 0.0])
    on, off = realism(real, inside), realism(real, outside)
    assert on.median() > 1  # most lie inside some real sample's k-NN ball
    assert (off < 0.1).all()
    # Exactly the definition, for one point, with all of the kept balls:
    from hvg.metrics.precision_recall import knn_radii

    radii = knn_radii(real)
    kept = radii <= radii.median()
    expected = (radii[kept] / torch.cdist(outside[:1], real[kept])[0]).max()
    assert off[0].item() == pytest.approx(expected.item())


def test_confidence_of_uniform_and_certain_logits():
    assert torch.allclose(confidence(torch.zeros(3, 10)), torch.full((3,), 0.1))
    assert confidence(torch.tensor([[0.0, 40.0, 0.0]])).item() == pytest.approx(1.0)
    with pytest.raises(MetricInputError, match="expected logits"):
        confidence(torch.zeros(5))
