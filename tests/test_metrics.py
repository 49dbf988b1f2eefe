"""Metrics from features and images: FID, IS, precision/recall, discriminator scores, MSE/PSNR/
SSIM, each against an independent computation or a case with a known answer; and bad input."""

import math

import numpy as np
import pytest
import scipy.linalg
import torch
import torchvision
from torch import nn
from torchmetrics.functional.image import peak_signal_noise_ratio
from torchmetrics.image.fid import FrechetInceptionDistance
from torchmetrics.image.inception import InceptionScore

from hvg.course.pretrained import load_pretrained
from hvg.data import load_dataset
from hvg.metrics import (
    MetricInputError,
    check_images,
    discriminate,
    discriminator_scores,
    feature_statistics,
    fid,
    inception_score,
    mse,
    precision_recall,
    psnr,
    sharpness,
    ssim,
)


def skewed_features(n: int, d: int, seed: int) -> torch.Tensor:
    """Non-Gaussian, correlated features: exponentials mixed by a random matrix."""
    g = torch.Generator().manual_seed(seed)
    return torch.empty(n, d).exponential_(generator=g) @ torch.randn(d, d, generator=g)


@pytest.fixture(scope="module")
def mnist_test():
    data = load_dataset("mnist", "test")
    return torch.stack([data[i][0] for i in range(256)])


# FID


def scipy_fid(real: np.ndarray, fake: np.ndarray) -> float:
    """The textbook formula, as in the original FID code: scipy's sqrtm of S1 S2."""
    mu1, mu2 = real.mean(0), fake.mean(0)
    s1, s2 = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    root = scipy.linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * root))


def test_fid_equals_scipy_on_the_same_features():
    real, fake = skewed_features(600, 48, seed=1), skewed_features(500, 48, seed=2) + 0.3
    expected = scipy_fid(real.double().numpy(), fake.double().numpy())
    assert expected > 1
    assert fid(real, fake) == pytest.approx(expected, rel=1e-7)


def test_fid_equals_torchmetrics_fed_the_same_features():
    real, fake = skewed_features(600, 48, seed=3), skewed_features(500, 48, seed=4) * 1.2
    identity = nn.Identity()
    identity.num_features = 48  # tells torchmetrics the width without a dummy image
    metric = FrechetInceptionDistance(feature=identity)
    metric.update(real, real=True)
    metric.update(fake, real=False)
    assert fid(real, fake) == pytest.approx(metric.compute().item(), rel=1e-5)


def test_fid_of_a_set_with_itself_is_zero():
    features = skewed_features(800, 64, seed=5)
    _, cov = feature_statistics(features)
    assert abs(fid(features, features)) < 1e-9 * cov.trace().item()


def test_fid_grows_with_the_shift_of_the_mean():
    real = skewed_features(500, 16, seed=6)
    shifts = [fid(real, real + s) for s in (0.5, 1.0, 2.0)]
    # covariances equal: FID is exactly the squared shift, summed over the 16 dimensions
    assert shifts == pytest.approx([16 * 0.25, 16 * 1.0, 16 * 4.0], rel=1e-6)


def test_fid_warns_when_samples_are_fewer_than_dimensions():
    with pytest.warns(UserWarning, match="covariance is singular"):
        fid(torch.randn(50, 64), torch.randn(50, 64))


def test_fid_refuses_one_sample_and_mismatched_widths():
    with pytest.raises(MetricInputError, match="hold 1 samples, but this metric needs at least 2"):
        fid(torch.randn(1, 8), torch.randn(10, 8))
    with pytest.raises(MetricInputError, match="same extractor"):
        fid(torch.randn(10, 8), torch.randn(10, 9))
    with pytest.raises(MetricInputError, match="NaN"):
        fid(torch.full((10, 8), math.nan), torch.randn(10, 8))


# Inception Score


def test_is_of_uniform_predictions_is_one():
    mean, std = inception_score(torch.zeros(1000, 10), splits=10)
    assert mean == pytest.approx(1.0, abs=1e-12) and std == pytest.approx(0.0, abs=1e-12)


def test_is_of_confident_balanced_predictions_is_the_number_of_classes():
    one_hot = 100.0 * torch.eye(10).repeat(100, 1)  # every class 100 times, predicted surely
    mean, std = inception_score(one_hot, splits=10)
    assert mean == pytest.approx(10.0, rel=1e-9) and std == pytest.approx(0.0, abs=1e-9)


def test_is_of_confident_collapsed_predictions_is_one():
    mean, _ = inception_score(100.0 * torch.eye(10)[torch.zeros(500, dtype=torch.long)], splits=5)
    assert mean == pytest.approx(1.0, abs=1e-9)


@pytest.mark.filterwarnings("ignore:std\\(\\). degrees of freedom")  # torchmetrics, one split
def test_is_equals_torchmetrics_on_the_same_logits():
    logits = torch.randn(1000, 10, generator=torch.Generator().manual_seed(0)) * 3
    with pytest.warns(UserWarning, match="save all extracted features"):
        metric = InceptionScore(feature=nn.Identity(), splits=1)
    metric.update(logits)
    expected, _ = metric.compute()
    mean, std = inception_score(logits, splits=1)
    assert mean == pytest.approx(expected.item(), rel=1e-6) and math.isnan(std)


def test_is_refuses_too_few_samples_for_the_splits():
    with pytest.raises(MetricInputError, match="hold 5 samples, but this metric needs at least 10"):
        inception_score(torch.randn(5, 10), splits=10)


# Precision and recall


def line(*values: float) -> torch.Tensor:
    """Points on a line, as 1-d features (N, 1)."""
    return torch.tensor(values, dtype=torch.float64)[:, None]


def test_precision_recall_of_identical_sets_are_one():
    points = skewed_features(300, 8, seed=7)
    assert precision_recall(points, points.clone()) == {"precision": 1.0, "recall": 1.0, "f1": 1.0}


def test_precision_recall_of_disjoint_sets_are_zero():
    real = torch.randn(200, 4)
    assert precision_recall(real, real + 100) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_mode_collapse_keeps_precision_and_loses_recall():
    # real 0..99: each ball reaches the 3rd neighbour, 2 away (3 at the ends). Fakes 0..9 all
    # sit on real points; their balls (2, and 3 at the ends) cover the reals 0..12: 13 of 100.
    scores = precision_recall(line(*range(100)), line(*range(10)), k=3)
    assert scores["precision"] == 1.0 and scores["recall"] == pytest.approx(0.13)
    assert scores["f1"] == pytest.approx(2 * 0.13 / 1.13)


def test_spread_out_fakes_keep_recall_and_lose_precision():
    # fakes 0, 2, ..., 198: the real balls reach 102 (99's ball is 3), so 52 fakes of 100 are
    # inside; every fake ball is 4 wide, so every real point is covered.
    scores = precision_recall(line(*range(100)), line(*range(0, 200, 2)), k=3)
    assert scores["precision"] == pytest.approx(0.52) and scores["recall"] == 1.0


def test_precision_recall_equal_torch_fidelity_and_do_not_depend_on_chunks():
    from torch_fidelity.metric_prc import calculate_precision_recall_full

    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(400, 6, generator=g), torch.randn(350, 6, generator=g) * 0.8 + 0.4
    expected = calculate_precision_recall_full(fake, real, neighborhood=3)  # (generated, real)
    scores = precision_recall(real, fake, k=3)
    assert (scores["precision"], scores["recall"]) == pytest.approx(expected, abs=1e-9)
    assert 0.9 < scores["precision"] < 1 and 0.5 < scores["recall"] < 0.8  # narrower fakes
    assert precision_recall(real, fake, k=3, chunk=37) == scores


def test_precision_recall_need_more_samples_than_neighbours():
    with pytest.raises(MetricInputError, match="hold 3 samples, but this metric needs at least 4"):
        precision_recall(torch.randn(3, 2), torch.randn(10, 2), k=3)


# Discriminator accuracy and F1


def test_discriminator_scores_on_known_logits():
    real, fake = torch.tensor([3.0, 1.0, -2.0, 0.5]), torch.tensor([-4.0, -1.0, 2.0, -0.1])
    scores = discriminator_scores(real, fake)
    # real: 3 of 4 right; fake: 3 of 4 right; F1 (real positive): tp 3, fp 1, fn 1 -> 0.75
    assert scores == pytest.approx(
        {"accuracy": 0.75, "f1": 0.75, "real_accuracy": 0.75, "fake_accuracy": 0.75}
    )


def test_logits_between_zero_and_one_are_not_taken_for_probabilities():
    # logits 0.2 and 0.4 mean D > 0.5: "real", right; as probabilities they would read "fake"
    scores = discriminator_scores(torch.tensor([0.2, 0.4]), torch.tensor([-0.3, -0.6]))
    assert scores["accuracy"] == 1.0 and scores["f1"] == 1.0


def test_dcgan_discriminator_on_held_out_real_and_generated(mnist_test):
    model, _ = load_pretrained("dcgan")
    model.train()
    fake = model.eval().sample(256, generator=torch.Generator().manual_seed(0))
    model.train()
    scores = discriminate(model.discriminator, mnist_test, fake)
    assert model.discriminator.training, "the discriminator's mode is restored"
    assert 0.5 < scores["accuracy"] <= 1 and 0 < scores["f1"] <= 1
    assert scores["accuracy"] == pytest.approx(
        (scores["real_accuracy"] + scores["fake_accuracy"]) / 2
    )


# MSE, PSNR, SSIM


def test_mse_and_psnr_of_a_known_error(mnist_test):
    target = mnist_test[:16]
    preds = (target + 0.1).clamp(-1, 1)
    error = ((preds - target) ** 2).mean().item()
    assert mse(preds, target) == pytest.approx(error)
    per_image = ((preds - target) ** 2).mean((1, 2, 3))
    assert psnr(preds, target) == pytest.approx((10 * torch.log10(4 / per_image)).mean().item())


def test_psnr_and_ssim_equal_those_of_the_images_in_zero_one(mnist_test):
    target = mnist_test[:16]
    noise = 0.3 * torch.randn(target.shape, generator=torch.Generator().manual_seed(0))
    preds = (target + noise).clamp(-1, 1)
    as01 = ((preds + 1) / 2, (target + 1) / 2)
    expected = peak_signal_noise_ratio(*as01, data_range=1.0, dim=(1, 2, 3))
    assert psnr(preds, target) == pytest.approx(expected.item(), rel=1e-5)
    assert ssim(target, target) == pytest.approx(1.0)
    assert 0 < ssim(preds, target) < 0.9


def test_reconstruction_metrics_refuse_mismatched_pairs(mnist_test):
    with pytest.raises(MetricInputError, match="differ in shape"):
        mse(mnist_test[:4], mnist_test[:5])
    with pytest.raises(MetricInputError, match="look like \\[0, 255\\]"):
        psnr((mnist_test[:4] + 1) * 127.5, mnist_test[:4])


# Bad images


@pytest.mark.parametrize(
    "make,message",
    [
        (
            lambda x: ((x + 1) * 127.5).round().to(torch.uint8),
            "uint8 .* images.float\\(\\) / 127.5",
        ),
        (lambda x: (x + 1) * 127.5, "outside \\[-1, 1\\].*look like \\[0, 255\\]"),
        (lambda x: x.permute(0, 2, 3, 1), "28 channels.*permute\\(0, 3, 1, 2\\)"),
        (lambda x: x.expand(-1, 4, -1, -1), "4 channels"),
        (lambda x: x[:, 0], "must be a batch \\(B, C, H, W\\)"),
        (lambda x: x.masked_fill(x > 0.9, math.nan), "NaN"),
        (lambda x: x.double().long(), "must be floats"),
    ],
)
def test_bad_images_are_refused_with_the_fix(mnist_test, make, message):
    with pytest.raises(MetricInputError, match=message):
        check_images(make(mnist_test[:8]))


def test_images_in_zero_one_get_a_warning(mnist_test):
    with pytest.warns(UserWarning, match="in \\[0, 1\\]\\?.*images \\* 2 - 1"):
        check_images((mnist_test[:8] + 1) / 2)


def test_wrong_channels_and_size_name_the_reference(mnist_test):
    with pytest.raises(MetricInputError, match="3 channels, but the reference images have 1"):
        check_images(mnist_test[:2].expand(-1, 3, -1, -1), channels=1)
    with pytest.raises(MetricInputError, match="28x28 pixels, but this metric needs 32x32"):
        check_images(mnist_test[:2], size=32)


def test_sharpness_falls_with_blur_and_matches_a_direct_computation(mnist_test):
    images = mnist_test[:32]
    blurred = torchvision.transforms.functional.gaussian_blur(images, kernel_size=5, sigma=1.0)
    assert sharpness(blurred) < 0.5 * sharpness(images)
    assert sharpness(torch.full((4, 1, 28, 28), -0.3)) == 0.0
    x = (images[0, 0].double() + 1) / 2
    laplacian = x[:-2, 1:-1] + x[2:, 1:-1] + x[1:-1, :-2] + x[1:-1, 2:] - 4 * x[1:-1, 1:-1]
    assert sharpness(images[:1]) == pytest.approx(laplacian.var().item())
