"""Answer checks for the notebooks' exercises: a learner's function against hvg's own.

Each `check_*` calls the learner's function on fixed random inputs, compares it with the
course's implementation, prints "correct" or a hint naming the likely mistake, and returns
whether the answer is right. The check itself never raises, whatever the learner's code does;
the notebooks' test cells `assert` its verdict, so that nbgrader, which grades a test cell by
whether it raises, scores it:

    assert check_kl(my_kl), "not right yet: see the hint above"

The questions at the end (`check_collapse` and the others `_choice` builds) are conceptual: the
learner's function returns the letter of one answer; the check explains why it is right, or why
a wrong one is tempting.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import torch

from hvg.latent import interpolate
from hvg.losses import discriminator_loss, gaussian_nll, kl_normal
from hvg.metrics.fid import frechet_distance
from hvg.metrics.precision_recall import precision_recall
from hvg.metrics.reconstruction import psnr
from hvg.recipes.fusion import linear_ramp

Finder = Callable[[Callable], str | None]


def _check(title: str, why: str = "") -> Callable[[Finder], Callable[[Callable], bool]]:
    """Turn a mistake finder (None when right) into a check that prints and returns its verdict;
    `why`, if given, is said after "correct"."""

    def wrap(find: Finder) -> Callable[[Callable], bool]:
        @functools.wraps(find)
        def check(answer: Callable) -> bool:
            try:
                problem = find(answer)
            except NotImplementedError:
                problem = "it still raises NotImplementedError: write your answer in its place."
            except Exception as error:  # the learner's code may fail in any way: explain it
                problem = f"calling it raised {type(error).__name__}: {error}"
            right = f"{title}: correct. {why}" if why else f"{title}: correct"
            print(right if problem is None else f"{title}: not yet. {problem}")
            return problem is None

        return check

    return wrap


def _close(a: object, b: torch.Tensor, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    """Whether a (tensor or number) has b's shape and values."""
    a = torch.as_tensor(a, dtype=torch.float64)
    b = b.detach().double()
    return a.shape == b.shape and torch.allclose(a, b, rtol=rtol, atol=atol)


def _tensor(value: object, shape: tuple[int, ...], what: str) -> str | None:
    """A hint when the answer is not a tensor of the expected shape, else None."""
    if not isinstance(value, torch.Tensor):
        return f"it should return a torch tensor ({what}), got {type(value).__name__}."
    if tuple(value.shape) != shape:
        return f"it should return {what}, shape {shape}; got shape {tuple(value.shape)}."
    return None


@_check("reparameterize")
def check_reparameterize(reparameterize: Callable) -> str | None:
    """z = mu + exp(0.5 * logvar) * eps: spread, centre and both gradients."""
    mu0 = torch.tensor([1.0, -2.0, 0.5, 3.0])
    logvar0 = torch.tensor([-2.0, -0.7, 0.6, 1.5])
    sigma = torch.exp(0.5 * logvar0)
    mu = mu0.repeat(20_000, 1).requires_grad_()
    logvar = logvar0.repeat(20_000, 1).requires_grad_()
    z = reparameterize(mu, logvar)
    if problem := _tensor(z, tuple(mu.shape), "one code per row of mu"):
        return problem
    if not z.requires_grad:
        return (
            "no gradient flows from z back to mu and logvar: compute z from them, "
            "z = mu + sigma * eps with eps = torch.randn_like(mu)."
        )
    noise = (z - mu).detach()
    spread = noise.std(dim=0)
    if spread.max() < 1e-6:
        return "z has no noise: add sigma * eps, with eps = torch.randn_like(mu)."
    if torch.allclose(spread, logvar0.exp(), rtol=0.05):
        return "the spread of z is exp(logvar) = sigma^2; the std is sigma = exp(0.5 * logvar)."
    if torch.allclose(spread, logvar0.abs(), rtol=0.05):
        return "logvar is the log of the variance, not a std: sigma = exp(0.5 * logvar)."
    if not torch.allclose(spread, sigma, rtol=0.05):
        return f"z's std around mu should be exp(0.5 * logvar) = {sigma.tolist()}, got {spread}."
    if (noise.mean(dim=0).abs() > 5 * sigma / math.sqrt(len(noise))).any():
        return "z should be centred on mu: add zero-mean noise, sigma * eps."
    z.sum().backward()
    if mu.grad is None or not torch.allclose(mu.grad, torch.ones_like(mu)):
        return "dz/dmu should be 1: z = mu + ..., with mu itself, not a copy or a detached one."
    if logvar.grad is None or not torch.allclose(logvar.grad, 0.5 * noise, atol=1e-5):
        return (
            "dz/dlogvar should be 0.5 * sigma * eps: scale a separately drawn eps by "
            "exp(0.5 * logvar), not a sample that already depends on logvar."
        )
    return None


@_check("KL divergence")
def check_kl(kl: Callable) -> str | None:
    """KL(N(mu, exp(logvar)) || N(0, I)) per image, summed over latent dimensions."""
    generator = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(2, 64, 8, generator=generator)
    expected = kl_normal(mu, logvar)
    answer = kl(mu, logvar)
    if isinstance(answer, torch.Tensor) and answer.dim() == 0:
        return "it should give one KL per image, shape (64,): sum over dim=1 only."
    if isinstance(answer, torch.Tensor) and tuple(answer.shape) == (64, 8):
        return "sum over the latent dimensions (dim=1): one KL per image."
    if problem := _tensor(answer, (64,), "one KL per image"):
        return problem
    if _close(answer, -expected):
        return "the sign is flipped: a KL is never negative; it is +1/2 sum(mu^2 + ...)."
    if _close(answer, 2 * expected):
        return "it is twice the KL: the closed form has a factor 1/2."
    if _close(answer, expected / 8):
        return "you averaged over the latent dimensions: sum them."
    zero = kl(torch.zeros(3, 8), torch.zeros(3, 8))
    if not _close(zero, torch.zeros(3)):
        return f"KL(N(0, I) || N(0, I)) must be 0, yours gives {zero}."
    if not _close(answer, expected):
        return "compare with 1/2 * sum_j (mu_j^2 + exp(logvar_j) - 1 - logvar_j)."
    return None


@_check("discriminator loss")
def check_discriminator_loss(loss: Callable) -> str | None:
    """-[log D(x) + log(1 - D(G(z)))] from logits, batch means, the two terms added."""
    generator = torch.Generator().manual_seed(0)
    real, fake = torch.randn(2, 32, 1, generator=generator) * 2 + torch.tensor([[[1.0]], [[-1.0]]])
    expected = discriminator_loss(real, fake)
    answer = loss(real, fake)
    if problem := _tensor(answer, (), "a single number (a 0-d tensor)"):
        return problem
    if _close(answer, discriminator_loss(fake, real)):
        return "the labels are swapped: real images are labelled 1, fakes 0."
    if _close(answer, discriminator_loss(torch.sigmoid(real), torch.sigmoid(fake))):
        return "sigmoid applied twice: binary_cross_entropy_with_logits takes logits as they are."
    if _close(answer, expected / 2):
        return "it is half the loss: add the real and the fake terms, don't average them."
    if not _close(answer, expected):
        return "compare with BCE(real logits, 1) + BCE(fake logits, 0), each a batch mean."
    return None


@_check("spherical interpolation")
def check_slerp(slerp: Callable) -> str | None:
    """slerp(z0, z1, t) along the great circle, for t from 0 to 1."""
    generator = torch.Generator().manual_seed(0)
    z0, z1 = torch.randn(2, 100, generator=generator)
    for t in (0.0, 0.25, 0.5, 1.0):
        expected = interpolate(z0, z1, t, spherical=True)
        answer = slerp(z0, z1, t)
        if problem := _tensor(answer, (100,), "one code like z0"):
            return problem
        if torch.isnan(answer).any():
            return "NaN: the angle is arccos(z0 . z1 / (|z0| |z1|)); normalise the dot product."
        if _close(answer, (1 - t) * z0 + t * z1) and not _close(answer, expected):
            middle = ((z0 + z1) / 2).norm()
            return (
                f"that is a straight line: halfway its norm falls to {middle:.1f} from about 10. "
                "Weigh z0 by sin((1 - t) omega) / sin(omega) and z1 by sin(t omega) / sin(omega)."
            )
        if not _close(answer, expected, rtol=1e-3, atol=1e-4):
            return f"at t = {t} it differs from the great circle's point; t = 0 gives z0, 1 z1."
    answer = slerp(z0, 3 * z0, 0.5)
    if not torch.isfinite(answer).all() or not _close(answer, 2 * z0, rtol=1e-3, atol=1e-4):
        return (
            "codes that point the same way (z1 = 3 z0) break it: the angle is 0, so is "
            "sin(omega), and 0 / 0 is NaN. There the great circle is the straight line: use it."
        )
    return None


@_check("feature likelihood")
def check_feature_nll(nll: Callable) -> str | None:
    """-log N(target; mean, I) up to a constant: 1/2 squared error, summed per item, batch mean."""
    generator = torch.Generator().manual_seed(0)
    target, mean = torch.randn(2, 16, 32, 7, 7, generator=generator)
    expected = gaussian_nll(target, mean)
    answer = nll(target, mean)
    if problem := _tensor(answer, (), "a single number (a 0-d tensor)"):
        return problem
    if _close(answer, 2 * expected):
        return "it is twice the NLL: a unit Gaussian's -log density has 1/2 (x - mean)^2."
    if _close(answer, expected / (32 * 7 * 7)) or _close(answer, 2 * expected / (32 * 7 * 7)):
        return "you averaged over the features too: sum over all but the batch, then average."
    if _close(answer, expected * 16):
        return "you summed over the batch too: average over it, so sizes compare across batches."
    if not _close(answer, expected):
        return "compare with 0.5 * (target - mean)^2, summed per item, averaged over the batch."
    return None


@_check("progressive fusion's share")
def check_ramp(share: Callable) -> str | None:
    """w(step, start, ramp): 0 before start, rising linearly to 1 over `ramp` steps, then 1."""
    start, ramp = 10, 40
    expected = linear_ramp(start, ramp)
    for step in range(0, 71, 5):
        answer = share(step, start, ramp)
        if not isinstance(answer, (int, float)):
            return f"it should return a number (a float), got {type(answer).__name__}."
        if math.isclose(answer, expected(step), abs_tol=1e-9):
            continue
        if step < start:
            return f"before `start` the share is 0; at step {step} yours is {answer}."
        if step > start + ramp:
            return f"after the ramp the share stays 1; at step {step} yours is {answer}."
        return f"at step {step} the share should be {expected(step)}, yours is {answer}."
    return None


def _covariance(generator: torch.Generator, d: int) -> torch.Tensor:
    """A random symmetric positive definite d x d matrix."""
    a = torch.randn(d, d, generator=generator, dtype=torch.float64)
    return a @ a.T / d + 0.1 * torch.eye(d, dtype=torch.float64)


@_check("Frechet distance")
def check_frechet_distance(distance: Callable) -> str | None:
    """||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)) between two Gaussians."""
    generator = torch.Generator().manual_seed(0)
    mu1, mu2 = torch.randn(2, 6, generator=generator, dtype=torch.float64)
    s1, s2 = _covariance(generator, 6), _covariance(generator, 6)
    expected = torch.tensor(frechet_distance(mu1, s1, mu2, s2))
    answer = distance(mu1, s1, mu2, s2)
    if not isinstance(answer, (int, float, torch.Tensor)) or torch.as_tensor(answer).numel() != 1:
        return f"it should return one number, got {answer!r}."
    without_root = (mu1 - mu2).pow(2).sum() + s1.trace() + s2.trace()
    elementwise = [(s1 * s2).diagonal().sqrt().sum(), (s1 @ s2).diagonal().sqrt().sum()]
    if math.isnan(float(answer)) or any(_close(answer, without_root - 2 * r) for r in elementwise):
        return "(S1 S2)^(1/2) is a matrix square root (its square is S1 S2), not element-wise."
    if _close(answer, expected - (mu1 - mu2).pow(2).sum()):
        return "the means are missing: add ||mu1 - mu2||^2."
    same = distance(mu1, s1, mu1, s1)
    if not math.isclose(float(same), 0.0, abs_tol=1e-6):
        return f"a Gaussian's distance to itself must be 0, yours is {float(same):.4g}."
    if not _close(answer, expected, rtol=1e-4):
        return "check the trace term: tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2)), a matrix root."
    return None


@_check("precision")
def check_precision(precision: Callable) -> str | None:
    """The share of fakes inside the k-NN ball of at least one real sample."""
    generator = torch.Generator().manual_seed(0)
    real = torch.randn(300, 8, generator=generator)
    fake = 1.3 * torch.randn(300, 8, generator=generator) + 0.4
    k = 3
    expected = precision_recall(real, fake, k)
    answer = precision(real, fake, k)
    if not isinstance(answer, (int, float)):
        return f"it should return a float in [0, 1], got {type(answer).__name__}."
    if math.isclose(answer, expected["recall"], abs_tol=1e-6):
        return "that is recall (reals covered by the fakes' balls): swap the roles."
    radii_with_self = torch.cdist(real, real).topk(k, dim=1, largest=False).values[:, -1]
    inside = (torch.cdist(fake, real) <= radii_with_self).any(1).float().mean().item()
    if math.isclose(answer, inside, abs_tol=1e-6):
        return "each real sample is its own nearest neighbour: take the (k + 1)-th distance."
    if not math.isclose(answer, expected["precision"], abs_tol=1e-6):
        return f"it should be {expected['precision']:.4f} here, yours is {answer:.4f}."
    return None


@_check("PSNR")
def check_psnr(psnr_fn: Callable) -> str | None:
    """10 log10(peak^2 / MSE) per image with peak = the range 2 of [-1, 1], batch mean."""
    generator = torch.Generator().manual_seed(0)
    clean = torch.rand(6, 1, 28, 28, generator=generator) * 2 - 1
    sigma = torch.linspace(0.05, 0.6, 6).view(6, 1, 1, 1)  # a different error per image
    denoised = (clean + sigma * torch.randn(6, 1, 28, 28, generator=generator)).clamp(-1, 1)
    expected = torch.tensor(psnr(denoised, clean), dtype=torch.float64)
    answer = psnr_fn(denoised, clean)
    if not isinstance(answer, torch.Tensor | float):
        return f"it should return a number (a float or 0-d tensor), got {type(answer).__name__}."
    answer = torch.as_tensor(answer, dtype=torch.float64)
    if answer.numel() != 1:
        return f"it should return one number (the batch mean), got shape {tuple(answer.shape)}."
    gap = (answer - expected).item()
    if abs(gap + 20 * math.log10(2)) < 0.01:
        return "it is 6.02 dB low: the peak is the range of [-1, 1], 2, not 1."
    if abs(gap) > 0.01:
        mse = (denoised - clean).pow(2).mean()
        if abs(answer.item() - 10 * math.log10(4 / mse.item())) < 0.01:
            return "one MSE over the whole batch: compute the PSNR per image, then average."
        return "compare with 10 * log10(2 ** 2 / mse), the MSE of each image over its pixels."
    return None


@_check("projection discriminator")
def check_projection(projection: Callable) -> str | None:
    """logit = h . w + b + embed[y] . h (Miyato & Koyama), one per image."""
    generator = torch.Generator().manual_seed(0)
    h = torch.randn(6, 5, generator=generator)
    w, b = torch.randn(5, generator=generator), torch.tensor(0.3)
    embed = torch.randn(10, 5, generator=generator)
    labels = torch.tensor([0, 3, 3, 9, 1, 7])
    expected = h @ w + b + (embed[labels] * h).sum(1)
    answer = projection(h, labels, w, b, embed)
    if problem := _tensor(answer, (6,), "one logit per image"):
        return problem
    if _close(answer, h @ w + b):
        return "the class term is missing: add the inner product embed[labels] . h."
    if _close(answer, h @ w + b + embed[labels].sum(1)):
        return "the class term must weigh the features: (embed[labels] * h).sum(1)."
    if not _close(answer, expected):
        return "compare with h @ w + b + (embed[labels] * h).sum(dim=1)."
    return None


def _choice(title: str, answer: str, why: str, wrong: dict[str, str]) -> Callable[[Callable], bool]:
    """A multiple-choice check: the learner's function returns a letter; each wrong letter has
    its own explanation, the right one the reason it is right."""

    def find(pick: Callable) -> str | None:
        letter = pick()
        if not isinstance(letter, str) or letter.strip(" ()").lower() not in {answer, *wrong}:
            letters = ", ".join(f'"{c}"' for c in sorted({answer, *wrong}))
            return f"return one letter as a string: {letters}; got {letter!r}."
        letter = letter.strip(" ()").lower()
        return None if letter == answer else wrong[letter]

    return _check(title, why)(find)


check_collapse = _choice(
    "posterior collapse",
    answer="a",
    why="Then q(z | x) is the prior for every x: it costs nothing, and KL(q || p) = 0.",
    wrong={
        "b": "the shipped model's KL is what an encoder pays for codes that carry the digit; a "
        "decoder that ignores z gives the encoder no reason to pay.",
        "c": "the KL grows only while the codes carry information the decoder uses.",
    },
)
check_saturation = _choice(
    "the non-saturating loss",
    answer="b",
    why="With logit l and D = sigmoid(l), d/dl log(1 - D) = -D, about -0.01 here: "
    "almost no signal. d/dl (-log D) = -(1 - D), about -0.99: the generator learns.",
    wrong={
        "a": "log(1 - D(G(z))) is flat where D(G(z)) is near 0: its gradient with respect to "
        "the logit is -D(G(z)), about -0.01.",
        "c": "both have the same fixed point, but not the same gradient: compare -D and -(1 - D) "
        "at D = 0.01.",
    },
)
check_routing = _choice(
    "who updates the encoder",
    answer="c",
    why="In Algorithm 1 the encoder follows grad(L_prior + L_llike); L_GAN updates the decoder "
    "(through its samples and reconstructions) and the discriminator, never the encoder.",
    wrong={
        "a": "L_prior is the KL of the encoder's q(z | x) to the prior: only the encoder has it.",
        "b": "L_llike, the likelihood in the discriminator's features, is the encoder's "
        "reconstruction term, as the pixel likelihood is a VAE's.",
    },
)
check_overlap = _choice(
    "reading a seed study",
    answer="b",
    why="With three seeds, ranges that overlap say the study cannot order the two: more seeds "
    "(or a smaller spread) first, then a claim.",
    wrong={
        "a": "a lower mean over three seeds is not yet a lower FID: one seed can move a mean by "
        "more than the gap, and here the ranges overlap.",
        "c": "the DCGAN's mean is the higher FID, so it would not be the better one either; "
        "the overlap is what says that neither is shown better.",
    },
)
check_small_n = _choice(
    "FID at small n",
    answer="b",
    why="FID is biased upwards, by an amount that shrinks about as 1 / n: the statistics of a few "
    "samples are noisier, and the noise adds to the distance. Compare models only at equal n.",
    wrong={
        "a": "fewer samples do not make a model look better: noisier statistics add to the "
        "distance, they never cancel it.",
        "c": "the bias depends on n, so the two differ by more than noise: section 2's curve "
        "falls with n.",
    },
)
check_light_noise = _choice(
    "denoising light noise",
    answer="b",
    why="The DAE redraws every pixel through its code: at sigma 0.1 the error of that redrawing "
    "is larger than the noise it takes away (compare the 0.1 row of the sweep).",
    wrong={
        "a": "a network does not only remove noise: it rebuilds the image from a small code, "
        "and that costs detail the input still had.",
        "c": "the two differ by far more than noise: read the 0.1 row of the sweep.",
    },
)
check_style = _choice(
    "what the code holds",
    answer="b",
    why="The decoder is given the label, so a code that repeated it would pay KL for nothing: "
    "z keeps what the label does not say, the writer's style.",
    wrong={
        "a": "the decoder already has the class from y: a code that repeated it would pay KL "
        "for nothing.",
        "c": "z still pays its way: the label alone cannot say how thick or slanted a digit is, "
        "and reconstructions need that.",
    },
)
