"""Noise models, classic filters, the denoisers' training and scores, and their file inputs."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from hvg.denoising import distribution_fid, read_picture, score, splits, sweep
from hvg.files import from_uint8, read_npz
from hvg.filters import GRIDS, apply_filter, tune
from hvg.metrics import psnr
from hvg.models import Denoiser, DenoisingAutoencoder, DenoisingVAE
from hvg.noise import MASK_FILL, corrupt, training_noise
from hvg.recipes.denoise import denoising_ae_recipe, denoising_vae_recipe
from hvg.recipes.vaegan import VAEGANOptions, vaegan_losses


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.fixture(scope="module")
def digits() -> torch.Tensor:
    val, _ = splits(64, 1)
    return val


@pytest.mark.parametrize("kind", ["gaussian", "salt-pepper", "mask"])
def test_corruption_is_seeded_and_stays_an_image(kind: str, digits: torch.Tensor) -> None:
    a, b = corrupt(digits, kind, 0.4, seeded(1)), corrupt(digits, kind, 0.4, seeded(1))
    assert torch.equal(a, b)
    assert not torch.equal(a, corrupt(digits, kind, 0.4, seeded(2)))
    assert not torch.equal(a, digits)
    assert a.min() >= -1 and a.max() <= 1


def test_gaussian_sigma_is_on_the_unit_scale() -> None:
    grey = torch.zeros(16, 1, 28, 28)  # 0.5 on the [0, 1] scale: no clipping at sigma 0.1
    noise = (corrupt(grey, "gaussian", 0.1, seeded()) - grey) / 2
    assert noise.std().item() == pytest.approx(0.1, rel=0.03)


def test_salt_and_pepper_hits_the_asked_fraction() -> None:
    grey = torch.zeros(16, 1, 28, 28)
    noisy = corrupt(grey, "salt-pepper", 0.3, seeded())
    hit = noisy != 0
    assert hit.float().mean().item() == pytest.approx(0.3, abs=0.02)
    assert set(noisy[hit].unique().tolist()) == {-1.0, 1.0}


def test_mask_covers_the_asked_area_per_image() -> None:
    white = torch.ones(3, 1, 28, 28)
    noisy = corrupt(white, "mask", torch.tensor([0.25, 0.5, 0.0]), seeded())
    covered = (noisy == MASK_FILL).flatten(1).sum(1).tolist()
    assert covered == [14 * 14, 20 * 20, 0]


def test_training_noise_corrupts_every_image_reproducibly(digits: torch.Tensor) -> None:
    torch.manual_seed(3)
    a = training_noise(digits)
    torch.manual_seed(3)
    assert torch.equal(a, training_noise(digits))
    assert ((a - digits).abs().flatten(1).amax(1) > 0).all()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("speckle", 0.5), "unknown noise kind 'speckle'"),
        (("gaussian", 1.5), r"must lie in \[0, 1\]"),
        (("gaussian", torch.tensor([0.1, 0.2])), "one per image"),
    ],
)
def test_bad_noise_arguments_are_refused(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        corrupt(torch.zeros(3, 1, 28, 28), *args)


def test_corrupt_refuses_uint8_images() -> None:
    with pytest.raises(ValueError, match=r"float images \(B, C, H, W\) in \[-1, 1\]"):
        corrupt(torch.zeros(2, 1, 28, 28, dtype=torch.uint8))


@pytest.mark.parametrize("name", list(GRIDS))
def test_filters_keep_a_flat_image_and_reduce_noise(name: str, digits: torch.Tensor) -> None:
    flat = torch.full((2, 1, 28, 28), 0.2)
    assert torch.allclose(apply_filter(name, flat, GRIDS[name][2]), flat, atol=1e-6)
    noisy = corrupt(digits[:16], "gaussian", 0.3, seeded())
    best, best_psnr = tune(name, noisy, digits[:16])
    assert best in GRIDS[name]
    assert best_psnr == max(psnr(apply_filter(name, noisy, p), digits[:16]) for p in GRIDS[name])
    assert best_psnr > psnr(noisy, digits[:16]) + 2


def test_median_removes_isolated_salt() -> None:
    flat = torch.full((1, 1, 28, 28), -1.0)
    salted = flat.clone()
    salted[0, 0, 5, 5] = salted[0, 0, 20, 9] = 1.0
    assert torch.equal(apply_filter("median", salted, 3), flat)


def test_unknown_filter_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown filter 'bilateral'"):
        apply_filter("bilateral", torch.zeros(1, 1, 28, 28), 1)


def test_the_denoiser_encodes_noisy_images_and_is_judged_on_clean_ones(
    digits: torch.Tensor,
) -> None:
    model = Denoiser()
    noisy = corrupt(digits[:8], "gaussian", 0.5, seeded())
    seen: dict[str, torch.Tensor] = {}
    model.encoder.register_forward_pre_hook(lambda m, a: seen.setdefault("encoder", a[0]))
    model.discriminator.register_forward_pre_hook(lambda m, a: seen.setdefault("judge", a[0]))
    vaegan_losses(model, digits[:8], VAEGANOptions(), inputs=lambda x: noisy)
    assert torch.equal(seen["encoder"], noisy)
    assert torch.equal(seen["judge"][:8], digits[:8])  # real images, and the recon target


@pytest.mark.filterwarnings("ignore:predicted images have no negative value")
@pytest.mark.parametrize(
    ("model", "recipe"),
    [(DenoisingAutoencoder, denoising_ae_recipe), (DenoisingVAE, denoising_vae_recipe)],
)
def test_baselines_learn_to_denoise(model, recipe, digits: torch.Tensor) -> None:
    torch.manual_seed(0)
    net = model()
    noisy = corrupt(digits, "gaussian", 0.3, seeded())
    before = psnr(net.eval().denoise(noisy), digits)
    step = recipe(net).step
    for _ in range(60):
        step(digits)
    assert psnr(net.eval().denoise(noisy), digits) > before + 3


def test_sweep_scores_the_input_every_filter_and_every_model(digits: torch.Tensor) -> None:
    val, test = digits[:16], digits[16:40]
    rows = sweep({"identity": lambda x: x}, val, test, ["gaussian"], [0.3], ["median"])
    assert [r["method"] for r in rows] == ["noisy input", "median", "identity"]
    noisy, median, identity = rows
    assert {k: identity[k] for k in score(test, test)} == {k: noisy[k] for k in score(test, test)}
    assert median["parameter"] in GRIDS["median"] and median["psnr"] > noisy["psnr"]
    expected = corrupt(test, "gaussian", 0.3, seeded(1))
    assert identity["psnr"] == psnr(expected, test)


def test_uint8_images_are_checked_against_the_model() -> None:
    ok = np.zeros((2, 1, 28, 28), np.uint8)
    assert from_uint8(ok, 1, 28, "x").min() == -1
    with pytest.raises(ValueError, match=r"must be uint8 \(0-255\), got float32"):
        from_uint8(ok.astype(np.float32), 1, 28, "x")
    with pytest.raises(ValueError, match=r"takes \(N, 1, 28, 28\) images"):
        from_uint8(np.zeros((2, 28, 28, 1), np.uint8), 1, 28, "x")


def test_npz_files_are_checked(tmp_path) -> None:
    wrong_key = tmp_path / "a.npz"
    np.savez(wrong_key, pictures=np.zeros((1, 1, 28, 28), np.uint8))
    with pytest.raises(ValueError, match="no array named 'images' \\(its keys: pictures\\)"):
        read_npz(wrong_key, 1, 28)
    text = tmp_path / "b.npz"
    text.write_text("not a zip")
    with pytest.raises(ValueError, match="cannot read .* as an npz file"):
        read_npz(text, 1, 28)
    bare = tmp_path / "c.npy"
    np.save(bare, np.zeros((1, 1, 28, 28), np.uint8))
    with pytest.raises(ValueError, match="one bare array"):
        read_npz(bare, 1, 28)


def test_pictures_are_read_as_light_digits_on_dark() -> None:
    page = np.full((100, 80), 255, np.uint8)
    page[20:80, 35:45] = 0  # a dark stroke on white paper
    buffer = io.BytesIO()
    Image.fromarray(page).save(buffer, format="PNG")
    digit = read_picture(buffer.getvalue())
    assert digit.shape == (1, 1, 28, 28)
    assert digit[0, 0, 14, 14] > 0.9 and digit[0, 0, 2, 2] < -0.9
    with pytest.raises(ValueError, match="not an image this can read"):
        read_picture(b"%PDF-1.4 not a picture")


def test_denoisers_refuse_images_they_cannot_take() -> None:
    model = DenoisingAutoencoder().eval()
    with pytest.raises(ValueError, match="noisy images are 32x32 pixels"):
        model.denoise(torch.zeros(2, 1, 32, 32))
    with pytest.raises(ValueError, match=r"outside \[-1, 1\].*look like \[0, 255\]"):
        model.denoise(torch.full((2, 1, 28, 28), 200.0))


def test_distribution_fid_asks_whether_outputs_look_like_digits_not_which():
    _, clean = splits(n_val=10, n_test=1000)
    generator = torch.Generator().manual_seed(0)
    shuffled = clean[torch.randperm(len(clean), generator=generator)]  # every pixel wrong
    assert psnr(shuffled, clean) < 12 and distribution_fid(shuffled, clean) < 1e-6
    blurred = apply_filter("gaussian blur", clean, 1.5)  # every digit right, but blurred
    noisy = corrupt(clean, "gaussian", 0.5, generator)
    assert 1 < distribution_fid(blurred, clean) < distribution_fid(noisy, clean)
