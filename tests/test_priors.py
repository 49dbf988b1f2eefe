"""KID against torchmetrics' own, the ex-post Gaussian mixture prior (Ghosh et al. 2020) and
the 2-Stage VAE prior (Dai & Wipf 2019)."""

import math
import warnings

import numpy as np
import pytest
import torch
from torch import nn
from torchmetrics.image.kid import KernelInceptionDistance

import hvg.priors
from hvg.checkpoints import load_model
from hvg.checks import MetricInputError
from hvg.cli import main
from hvg.config import REPOSITORY
from hvg.files import to_uint8
from hvg.metrics import evaluate, kid
from hvg.models import VAE
from hvg.priors import ExPostPrior, GaussianMixture, SecondStage, expost_prior, two_stage_prior


class _Identity(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def test_kid_is_torchmetrics_kid_and_unbiased():
    g = torch.Generator().manual_seed(0)
    real, same, shifted = (torch.randn(400, 8, generator=g) for _ in range(3))
    shifted = shifted + 0.3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torchmetrics: "will save all extracted features"
        reference = KernelInceptionDistance(feature=_Identity(), subsets=1, subset_size=400)
        reference.update(real, real=True)
        reference.update(shifted, real=False)
        expected = reference.compute()[0].item()
    assert kid(real, shifted, subsets=1, subset_size=400)[0] == pytest.approx(expected, rel=1e-5)
    alike, spread = kid(real, same, subsets=50, subset_size=200)
    apart, _ = kid(real, shifted, subsets=50, subset_size=200)
    assert abs(alike) < 3 * spread + 1e-3 and apart > 10 * abs(alike)  # unbiased: about 0
    assert kid(real, shifted, seed=1) == kid(real, shifted, seed=1) != kid(real, shifted, seed=2)
    with pytest.raises(MetricInputError, match="subset_size must be an int of at least 2"):
        kid(real, shifted, subset_size=1)


def test_gaussian_mixture_recovers_two_clusters_and_samples_reproducibly():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(3000, 2, generator=g) * 0.5 + torch.tensor([4.0, 0.0])
    b = torch.randn(1000, 2, generator=g) * 0.5 - torch.tensor([4.0, 0.0])
    codes = torch.cat([a, b])
    mixture = GaussianMixture.fit(codes, k=2, seed=0)
    order = mixture.means[:, 0].argsort(descending=True)
    assert mixture.weights[order].tolist() == pytest.approx([0.75, 0.25], abs=0.02)
    assert mixture.means[order].flatten().tolist() == pytest.approx([4, 0, -4, 0], abs=0.1)
    assert mixture.covariances[order[0]].diagonal().tolist() == pytest.approx([0.25] * 2, abs=0.03)
    held_out = torch.randn(500, 2, generator=g) * 0.5 + torch.tensor([4.0, 0.0])
    single = GaussianMixture.fit(codes, k=1)
    assert mixture.log_prob(held_out).mean() > single.log_prob(held_out).mean() + 1
    draws = [mixture.sample(2000, torch.Generator().manual_seed(5)) for _ in range(2)]
    assert torch.equal(*draws) and draws[0].dtype == torch.float32
    assert (draws[0][:, 0] > 0).float().mean().item() == pytest.approx(0.75, abs=0.03)
    with pytest.raises(ValueError, match="k must be an int from 1"):
        GaussianMixture.fit(codes[:3], k=4)


def test_expost_prior_decodes_mixture_codes_and_evaluates_like_a_model():
    torch.manual_seed(0)
    vae = VAE(latent_dim=4).eval()
    model = expost_prior(vae, k=3)
    assert isinstance(model, ExPostPrior) and model.config == vae.config
    images = model.sample(5, torch.Generator().manual_seed(0))
    assert images.shape == (5, 1, 28, 28)
    assert torch.equal(images, model.sample(5, torch.Generator().manual_seed(0)))
    z = model.mixture.sample(5, torch.Generator().manual_seed(0))
    assert torch.equal(images, vae.decode(z))
    scores = evaluate(model, n=200, progress=False, with_kid=True)
    assert scores["fid"] > 0 and 0 <= scores["precision"] <= 1 and scores["kid_std"] > 0
    assert not vae.training, "evaluating the wrapper left the model it wraps in training mode"


def test_expost_prior_wrapping_an_eval_model_is_in_eval_mode():
    vae = VAE(latent_dim=4).eval()
    mixture = GaussianMixture.fit(torch.randn(64, 4), k=2, seed=0)
    assert not ExPostPrior(vae, mixture).training
    assert ExPostPrior(VAE(latent_dim=4), mixture).training  # a model in training mode stays so


def test_second_stage_reproduces_a_non_standard_gaussian():
    g = torch.Generator().manual_seed(0)
    mix = torch.tensor([[0.5, 0.0, 0.0], [0.8, 2.0, 0.0], [0.0, 0.3, 1.0]])
    mean = torch.tensor([1.0, -2.0, 0.3])
    codes = torch.randn(4000, 3, generator=g) @ mix.T + mean
    state = torch.get_rng_state()
    stage = SecondStage.fit(codes, steps=500, width=32, batch_size=128, lr=1e-2)
    assert torch.equal(torch.get_rng_state(), state), "fitting moved torch's global generator"
    assert not stage.training and stage.gamma < 0.5  # the likelihood sharpened from gamma 0.1
    z = stage.sample(4000, torch.Generator().manual_seed(1))
    assert z.shape == (4000, 3) and z.dtype == torch.float32
    assert torch.equal(z, stage.sample(4000, torch.Generator().manual_seed(1)))
    assert z.mean(0).tolist() == pytest.approx(mean.tolist(), abs=0.15)
    assert (z.std(0) / codes.std(0)).tolist() == pytest.approx([1.0] * 3, abs=0.12)
    assert torch.corrcoef(z.T)[0, 1].item() == pytest.approx(
        torch.corrcoef(codes.T)[0, 1].item(), abs=0.1
    )
    held_out = torch.randn(2000, 3, generator=g) @ mix.T + mean
    entropy = 1.5 * math.log(2 * math.pi * math.e)  # -E log p of this Gaussian: det(mix) = 1
    assert -entropy - 0.4 < stage.elbo(held_out).mean().item() < -entropy + 0.1
    few = [SecondStage.fit(codes, steps=5, width=8, seed=3) for _ in range(2)]
    assert torch.equal(*(f.sample(10, torch.Generator().manual_seed(0)) for f in few))
    with pytest.raises(ValueError, match="steps must be a positive int"):
        SecondStage.fit(codes, steps=0)


def test_two_stage_prior_decodes_second_stage_codes_reproducibly():
    torch.manual_seed(0)
    vae = VAE(latent_dim=4).eval()
    model = two_stage_prior(vae, steps=20, width=32)
    assert isinstance(model, ExPostPrior) and isinstance(model.density, SecondStage)
    assert model.config == vae.config and model.mixture is model.density and not model.training
    images = model.sample(5, torch.Generator().manual_seed(0))
    assert images.shape == (5, 1, 28, 28)
    assert torch.equal(images, model.sample(5, torch.Generator().manual_seed(0)))
    assert torch.equal(
        images, vae.decode(model.density.sample(5, torch.Generator().manual_seed(0)))
    )


def test_prior_two_stage_on_the_command_line(tmp_path, capsys, monkeypatch):
    every_code = hvg.priors.training_codes  # the first 2,000 training images' codes: quicker
    monkeypatch.setattr(hvg.priors, "training_codes", lambda *a: every_code(*a, stop=2000))
    tiny = ["--steps", "4", "--batch-size", "16", "--limit", "64", "--latent-dim", "4"]
    assert main(["train", "vae", *tiny, "--out", str(tmp_path)]) == 0
    checkpoint, out = tmp_path / "vae-mnist.safetensors", tmp_path / "two-stage.npz"
    command = ["sample", str(checkpoint), "-n", "6", "--prior", "two-stage:30", "-o", str(out)]
    assert main(command) == 0
    assert "fitting a 2-stage VAE prior (30 steps)" in capsys.readouterr().out
    expected = two_stage_prior(load_model(checkpoint), 30).sample(
        6, torch.Generator().manual_seed(0)
    )
    assert np.array_equal(np.load(out)["images"], to_uint8(expected).transpose(0, 3, 1, 2))
    scores = tmp_path / "scores.json"
    evaluate_command = ["evaluate", str(checkpoint), "-n", "200", "--split", "validation"]
    assert main([*evaluate_command, "--prior", "two-stage:30", "--json", str(scores)]) == 0
    assert "fid: " in capsys.readouterr().out and scores.exists()
    shipped = REPOSITORY / "checkpoints"
    for bad, message in [
        ((checkpoint, "two-stage:0"), "--prior must be normal or expost:K"),
        ((checkpoint, "two-stage:"), "or two-stage[:STEPS] with STEPS a positive int"),
        ((shipped / "dcgan-mnist.safetensors", "two-stage"), "--prior two-stage needs an"),
        ((shipped / "cvaegan-mnist.safetensors", "two-stage"), "holds a cvaegan: leave --prior"),
    ]:
        path, prior = bad
        assert main(["sample", str(path), "-n", "2", "--prior", prior, "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
