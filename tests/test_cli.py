"""The command line, run as a user runs it: `python -m hvg ...` in a subprocess."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from hvg.checkpoints import CheckpointError, load_history, load_model, read_metadata
from hvg.cli import main
from hvg.config import REPOSITORY
from hvg.files import to_uint8
from hvg.metrics.cache import reference_indices
from hvg.priors import expost_prior


def hvg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hvg", *args], capture_output=True, text=True, timeout=300
    )


def test_help_lists_the_commands():
    result = hvg("--help")
    assert result.returncode == 0
    assert "train" in result.stdout and "sample" in result.stdout
    assert "--steps" in hvg("train", "--help").stdout


def test_train_then_sample(tmp_path):
    ckpt = tmp_path / "vae-mnist.safetensors"
    args = ("train", "vae", "--dataset", "mnist", "--steps", "5", "--batch-size", "32")
    result = hvg(*args, "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert f"wrote {ckpt} at step 5" in result.stdout
    command = read_metadata(ckpt)["command"]
    assert command == f"python -m hvg {' '.join(args)} --out {tmp_path}"
    assert len(load_history(ckpt)) == 5

    samples = tmp_path / "samples.npz"
    result = hvg("sample", str(ckpt), "-n", "10", "-o", str(samples))
    assert result.returncode == 0, result.stderr
    images = np.load(samples)["images"]
    assert images.dtype == np.uint8 and images.shape == (10, 1, 28, 28)
    assert images.std() > 0


TINY_VAE = ("--steps", "4", "--batch-size", "16", "--limit", "64", "--latent-dim", "4")


def test_sample_every_writes_png_grids_next_to_the_checkpoint(tmp_path):
    result = hvg("train", "vae", *TINY_VAE, "--sample-every", "2", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    grids = sorted((tmp_path / "vae-mnist-samples").iterdir())
    assert [p.name for p in grids] == ["step-000002.png", "step-000004.png"]
    pictures = [np.asarray(Image.open(p)) for p in grids]
    assert pictures[0].shape == (244, 244, 3) and pictures[0].dtype == np.uint8  # 4x4, 2x
    assert not np.array_equal(*pictures)  # the model learns between them


def test_keep_every_keeps_weights_with_their_step_and_clock(tmp_path):
    result = hvg("train", "vae", *TINY_VAE, "--keep-every", "2", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    kept = sorted((tmp_path / "vae-mnist-steps").iterdir())
    assert [p.name for p in kept] == ["step-000002.safetensors", "step-000004.safetensors"]
    entries = [load_history(p) for p in kept]
    assert [e[0]["step"] for e in entries] == [2.0, 4.0]
    assert 0 < entries[0][0]["seconds"] < entries[1][0]["seconds"]
    assert "step" not in read_metadata(kept[0])  # weights only: no training state
    final, last = load_file(tmp_path / "vae-mnist.safetensors"), load_file(kept[1])
    assert all(torch.equal(last[k], final[k]) for k in last)


@pytest.mark.parametrize(
    "args,message",
    [
        (("sample", "missing.safetensors", "-o", "x.npz"), "no checkpoint at missing.safetensors"),
        (("train", "vae", "--image-size", "30", "--steps", "1", "--out", "run"), "multiple of 4"),
        (("sample", "broken.safetensors", "-o", "x.npz"), "broken.safetensors is not a readable"),
        (("sample", "missing.safetensors", "-n", "0", "-o", "x.npz"), "-n must be at least 1"),
        (("train", "vae", "--sample-every", "-1", "--out", "run"), "sample_every must be an int"),
        (
            ("train", "vaegan", "--fusion-start", "5", "--out", "run"),
            "--fusion-start applies to fusion-progressive only, not vaegan",
        ),
        (("train", "dcgan", "--gamma", "2", "--out", "run"), "--gamma applies to vaegan, fusion"),
        (("train", "vae", "--noise-dim", "2", "--out", "run"), "vae has no noise_dim"),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path, args, message):
    (tmp_path / "broken.safetensors").write_bytes(b"not a checkpoint")
    result = subprocess.run(
        [sys.executable, "-m", "hvg", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_dcgan_trains_samples_and_exports(tmp_path):
    result = hvg(
        "train",
        "dcgan",
        "--steps",
        "3",
        "--batch-size",
        "16",
        "--limit",
        "64",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    run = tmp_path / "dcgan-mnist.safetensors"
    shipped = tmp_path / "shipped" / "dcgan-mnist.safetensors"
    result = hvg("export", str(run), "-o", str(shipped))
    assert result.returncode == 0, result.stderr
    assert shipped.stat().st_size < 0.5 * run.stat().st_size
    assert read_metadata(shipped)["command"] == read_metadata(run)["command"]
    assert len(load_history(shipped)) == 3
    result = hvg("sample", str(shipped), "-n", "5", "-o", str(tmp_path / "g.npz"))
    assert result.returncode == 0, result.stderr
    assert np.load(tmp_path / "g.npz")["images"].shape == (5, 1, 28, 28)


def test_dcgan_takes_spectral_norm_and_ttur_from_the_command_line(tmp_path):
    result = hvg(
        "train",
        "dcgan",
        "--spectral-norm",
        "--d-lr-scale",
        "4",
        "--lr",
        "1e-4",
        "--steps",
        "2",
        "--batch-size",
        "16",
        "--limit",
        "64",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    model = load_model(tmp_path / "dcgan-mnist.safetensors")
    assert model.config["spectral_norm"] is True
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.discriminator.modules())
    result = hvg(
        "sample",
        str(tmp_path / "dcgan-mnist.safetensors"),
        "-n",
        "2",
        "-o",
        str(tmp_path / "g.npz"),
    )
    assert result.returncode == 0, result.stderr


def test_denoise_round_trips_uint8_images_and_refuses_bad_input(tmp_path):
    tiny = ("--steps", "3", "--batch-size", "16", "--limit", "64", "--width", "4")
    result = hvg("train", "denoiser", *tiny, "--gamma", "0.5", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    ckpt = str(tmp_path / "denoiser-mnist.safetensors")
    noisy = np.random.default_rng(0).integers(0, 256, (5, 1, 28, 28), dtype=np.uint8)
    np.savez(tmp_path / "noisy.npz", images=noisy)
    out = tmp_path / "clean.npz"
    result = hvg("denoise", ckpt, "-i", str(tmp_path / "noisy.npz"), "-o", str(out))
    assert result.returncode == 0, result.stderr
    clean = np.load(out)["images"]
    assert clean.dtype == np.uint8 and clean.shape == noisy.shape
    assert not np.array_equal(clean, noisy)

    np.savez(tmp_path / "float.npz", images=noisy / 255.0)
    np.savez(tmp_path / "nhwc.npz", images=noisy.transpose(0, 2, 3, 1))
    bad = {
        "float.npz": "must be uint8 (0-255), got float64",
        "nhwc.npz": "this model takes (N, 1, 28, 28) images",
    }
    for name, message in bad.items():
        result = hvg("denoise", ckpt, "-i", str(tmp_path / name), "-o", str(out))
        assert result.returncode == 2 and message in result.stderr, result.stderr
    vae = hvg("train", "vae", *TINY_VAE, "--out", str(tmp_path))
    assert vae.returncode == 0, vae.stderr
    result = hvg("denoise", str(tmp_path / "vae-mnist.safetensors"), "-i", "x", "-o", str(out))
    assert result.returncode == 2 and "holds a vae, which cannot denoise" in result.stderr


def own_images(folder: Path) -> None:
    """A learner's folder: grayscale PNGs and JPEGs of mixed sizes, and one broken file."""
    rng = np.random.default_rng(0)
    for i in range(40):
        side = int(rng.integers(16, 48))
        pixels = rng.integers(0, 256, (side, side + i % 7), np.uint8)
        Image.fromarray(pixels).save(folder / f"scan-{i:02d}.{'png' if i % 3 else 'jpg'}")
    (folder / "broken.png").write_bytes(b"half a file")


def test_a_folder_round_trips_through_train_sample_denoise_and_evaluate(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("HVG_OFFLINE", "1")  # the offline Inception: no download attempt
    monkeypatch.setenv("HVG_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "sonar"
    folder.mkdir()
    own_images(folder)
    tiny = ("--image-size", "16", "--steps", "3", "--batch-size", "8", "--width", "4")
    train = ["train", "denoiser", "--dataset", f"folder:{folder}", *tiny, "--out", str(tmp_path)]
    assert main(train) == 2
    assert "cannot read" in capsys.readouterr().err  # broken.png stops it, named
    with pytest.warns(UserWarning, match="skipped .*broken.png"):
        assert main([*train, "--skip-unreadable"]) == 0
    ckpt = tmp_path / "denoiser-folder-sonar.safetensors"
    assert read_metadata(ckpt)["dataset"] == f"folder:{folder}?skip-unreadable"

    assert main(["sample", str(ckpt), "-n", "3", "-o", str(tmp_path / "s.npz")]) == 0
    assert np.load(tmp_path / "s.npz")["images"].shape == (3, 1, 16, 16)

    out = tmp_path / "clean.npz"
    denoise = ["denoise", str(ckpt), "--dataset", f"folder:{folder}", "-o", str(out)]
    assert main([*denoise, "--skip-unreadable"]) == 0
    assert np.load(out)["images"].shape == (40, 1, 16, 16)  # every readable image, in order

    scores = tmp_path / "scores.json"
    evaluate = ["evaluate", str(ckpt), "-n", "4", "--split", "all", "--json", str(scores)]
    capsys.readouterr()
    with pytest.warns(UserWarning, match="skipped .*broken.png"):
        assert main(evaluate) == 0
    printed = capsys.readouterr().out
    metrics = json.loads(scores.read_text())
    assert f"fid: {metrics['fid']:.4g}" in printed and metrics["fid"] > 0
    assert metrics["features"].startswith("TF-Inception") and metrics["n"] == 4
    assert metrics["dataset"] == f"folder:{folder}?channels=1&skip-unreadable"
    cached = list((tmp_path / "cache").iterdir())
    assert len(cached) == 1 and cached[0].name.startswith("folder-sonar-")

    held = int(reference_indices(40, 4)[0])  # an image the 4-image reference holds, changed
    Image.fromarray(np.full((20, 20), 255, np.uint8)).save(next(folder.glob(f"scan-{held:02d}.*")))
    with pytest.warns(UserWarning, match="cached features .* are stale"):
        assert main(evaluate) == 0
    assert json.loads(scores.read_text())["fid"] != metrics["fid"]  # the new image counts


def test_folder_mistakes_are_one_clear_line(tmp_path, capsys):
    empty, other = tmp_path / "empty", tmp_path / "elsewhere" / "pictures"
    empty.mkdir()
    for name in ("pictures", "elsewhere/pictures"):
        (tmp_path / name).mkdir(parents=True, exist_ok=True)
        for i in range(2):  # two: batch norm needs more than one image a batch
            Image.fromarray(np.full((8, 8), i, np.uint8)).save(tmp_path / name / f"{i}.png")
    tiny = ("--image-size", "16", "--steps", "1", "--batch-size", "2", "--width", "4")
    trained = main(
        [
            "train",
            "denoiser",
            "--dataset",
            f"folder:{tmp_path / 'pictures'}",
            *tiny,
            "--out",
            str(tmp_path),
        ]
    )
    assert trained == 0
    ckpt = str(tmp_path / "denoiser-folder-pictures.safetensors")
    cases = {
        (
            "train",
            "vae",
            "--dataset",
            f"folder:{empty}",
            "--out",
            str(tmp_path),
        ): "no images found in",
        (
            "train",
            "vae",
            "--dataset",
            "svhn",
            "--out",
            str(tmp_path),
        ): "unknown data set 'svhn': choose one of celeba, cifar10, fashion-mnist, mnist, or",
        (
            "train",
            "vae",
            "--channels",
            "3",
            "--out",
            str(tmp_path),
        ): "--channels and --skip-unreadable apply to folder:PATH data sets only",
        (
            "train",
            "denoiser",
            "--dataset",
            f"folder:{other}",
            *tiny,
            "--out",
            str(tmp_path),
        ): f"was trained on folder:{tmp_path / 'pictures'}, not folder:{other}: pass another",
        (
            "evaluate",
            ckpt,
            "--features",
            "domain",
        ): "a folder has no domain classifier: use --features inception",
        (
            "denoise",
            ckpt,
            "--dataset",
            "mnist",
            "-o",
            str(tmp_path / "x.npz"),
        ): "denoise --dataset takes folder:PATH",
        (
            "denoise",
            ckpt,
            "--dataset",
            f"folder:{empty}",
            "-o",
            str(tmp_path / "x.npz"),
        ): "no images found in",
    }
    for args, message in cases.items():
        capsys.readouterr()
        assert main(list(args)) == 2, args
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err


def test_sample_label_draws_the_asked_class_and_refuses_what_cannot(tmp_path, capsys):
    assert (
        main(
            [
                "train",
                "cvae",
                "--steps",
                "2",
                "--batch-size",
                "8",
                "--limit",
                "16",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    checkpoint = tmp_path / "cvae-mnist.safetensors"
    model = load_model(checkpoint).eval()
    out = tmp_path / "sevens.npz"
    assert main(["sample", str(checkpoint), "-n", "5", "--label", "7", "-o", str(out)]) == 0
    expected = model.sample(5, torch.Generator().manual_seed(0), labels=torch.full((5,), 7))
    nchw = to_uint8(expected).transpose(0, 3, 1, 2)  # to_uint8 gives NHWC
    assert np.array_equal(np.load(out)["images"], nchw)
    assert main(["sample", str(checkpoint), "-n", "5", "--label", "10", "-o", str(out)]) == 2
    assert "--label must be from 0 to 9, got 10" in capsys.readouterr().err
    vae = str(REPOSITORY / "checkpoints" / "vae-mnist.safetensors")
    assert main(["sample", vae, "-n", "2", "--label", "3", "-o", str(out)]) == 2
    assert "--label needs a conditional model" in capsys.readouterr().err


def test_prior_expost_samples_from_a_mixture_on_the_training_codes(tmp_path, capsys):
    assert main(["train", "vae", *TINY_VAE, "--out", str(tmp_path)]) == 0
    checkpoint = tmp_path / "vae-mnist.safetensors"
    out = tmp_path / "expost.npz"
    assert main(["sample", str(checkpoint), "-n", "6", "--prior", "expost:2", "-o", str(out)]) == 0
    assert "fitting a 2-component Gaussian mixture" in capsys.readouterr().out
    expected = expost_prior(load_model(checkpoint).eval(), 2).sample(
        6, torch.Generator().manual_seed(0)
    )
    assert np.array_equal(np.load(out)["images"], to_uint8(expected).transpose(0, 3, 1, 2))
    dcgan = str(REPOSITORY / "checkpoints" / "dcgan-mnist.safetensors")
    for bad, message in [
        ((str(checkpoint), "--prior", "expost"), "--prior must be normal or expost:K"),
        ((dcgan, "--prior", "expost:5"), "--prior expost needs an unconditional model"),
    ]:
        assert main(["sample", *bad, "-n", "2", "-o", str(out)]) == 2
        assert message in capsys.readouterr().err


def test_export_without_average_ships_the_generator_itself(tmp_path, capsys):
    tiny = ["--steps", "3", "--batch-size", "16", "--limit", "64", "--width", "8"]
    assert main(["train", "dcgan", *tiny, "--ema", "2", "--out", str(tmp_path)]) == 0
    checkpoint, out = tmp_path / "dcgan-mnist.safetensors", tmp_path / "live.safetensors"
    assert main(["export", str(checkpoint), "-o", str(out), "--without-average"]) == 0
    averaged, live = load_model(checkpoint), load_model(out)
    assert averaged.config["ema"] == 2 and "ema" not in live.config
    assert all(torch.equal(v, averaged.state_dict()[k]) for k, v in live.state_dict().items())
    command = read_metadata(checkpoint)["command"]
    assert read_metadata(out)["trained_as"] == command
    assert read_metadata(out)["command"] == command.replace(" --ema 2", "")
    assert (
        main(["export", str(out), "-o", str(tmp_path / "x.safetensors"), "--without-average"]) == 2
    )
    assert "keeps no weight average" in capsys.readouterr().err


def test_export_without_discriminator_keeps_what_sampling_needs(tmp_path, capsys):
    tiny = ["--steps", "2", "--batch-size", "16", "--limit", "64", "--width", "8"]
    assert main(["train", "fusion-late", *tiny, "--out", str(tmp_path)]) == 0
    checkpoint, out = tmp_path / "fusion-late-mnist.safetensors", tmp_path / "lean.safetensors"
    assert main(["export", str(checkpoint), "-o", str(out), "--without-discriminator"]) == 0
    whole, lean = load_model(checkpoint), load_model(out)
    assert read_metadata(out)["without"] == "discriminator"
    assert not any(k.startswith("discriminator.") for k in load_file(str(out)))
    kept = lean.state_dict()
    assert kept and all(torch.equal(v, whole.state_dict()[k]) for k, v in kept.items())
    torch.manual_seed(0)
    expected = whole.sample(3)
    torch.manual_seed(0)
    assert torch.equal(lean.sample(3), expected)
    x = torch.zeros(2, 1, 28, 28)
    assert torch.equal(lean.reconstruct(x), whole.reconstruct(x))
    with pytest.raises(CheckpointError, match="exported without its discriminator"):
        lean.discriminator(x)
    out_again = str(tmp_path / "again.safetensors")
    assert main(["export", str(out), "-o", out_again]) == 0
    assert read_metadata(out_again)["without"] == "discriminator"
    assert main(["export", str(out), "-o", out_again, "--without-discriminator"]) == 2
    assert "already" in capsys.readouterr().err
    assert main(["sample", str(out), "-n", "2", "-o", str(tmp_path / "s.npz")]) == 0
