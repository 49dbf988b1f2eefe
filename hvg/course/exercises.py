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

import copy
import dataclasses
import functools
import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from hvg.latent import interpolate
from hvg.losses import discriminator_loss, gaussian_nll, kl_normal, vae_loss
from hvg.metrics.fid import frechet_distance
from hvg.metrics.precision_recall import precision_recall
from hvg.metrics.reconstruction import psnr
from hvg.models.dcgan import DCGAN
from hvg.recipes.dcgan import dcgan_step
from hvg.recipes.fusion import linear_ramp
from hvg.recipes.vaegan import Terms, VAEGANOptions, algorithm_1

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


@_check("negative ELBO")
def check_negative_elbo(negative_elbo: Callable) -> str | None:
    """Bernoulli reconstruction summed over pixels (targets (x + 1) / 2) + KL to N(0, I) summed
    over latent dimensions, averaged over the batch: hvg.losses.vae_loss's "loss"."""
    generator = torch.Generator().manual_seed(0)
    logits = (3 * torch.randn(8, 1, 28, 28, generator=generator)).requires_grad_()
    x = (torch.rand(8, 1, 28, 28, generator=generator) * 2.4 - 1.2).clamp(-1, 1)
    mu = torch.randn(8, 16, generator=generator).requires_grad_()
    logvar = (0.5 * torch.randn(8, 16, generator=generator)).requires_grad_()
    expected = vae_loss(logits, x, mu, logvar)["loss"].detach()
    answer = negative_elbo(logits, x, mu, logvar)
    if problem := _tensor(answer, (), "one number for the batch (a 0-d tensor)"):
        if isinstance(answer, torch.Tensor) and tuple(answer.shape) == (8,):
            return "it gives one loss per image: average them over the batch (.mean())."
        return problem
    if not answer.requires_grad:
        return (
            "no gradient flows through it: keep it a tensor computed from logits, mu and "
            "logvar (no .item(), no .detach(), no numpy)."
        )

    def bce(target: torch.Tensor, reduce: Callable) -> torch.Tensor:
        nll = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
        return reduce(nll.flatten(1))

    recon = bce((x + 1) / 2, lambda t: t.sum(1).mean()).detach()
    kl = kl_normal(mu, logvar).mean().detach()
    if _close(answer, bce((x + 1) / 2, torch.mean) + kl):
        return (
            "the reconstruction term is a mean over the pixels: sum -log p(x_i | z) over the 784 "
            "pixels of each image (reduction='none', then .flatten(1).sum(dim=1)), as the KL "
            "sums its latent dimensions."
        )
    if _close(answer, bce(x, lambda t: t.sum(1).mean()) + kl):
        return (
            "the images are in [-1, 1], but a Bernoulli's targets live in [0, 1]: use "
            "(x + 1) / 2 as the target, as hvg.losses.bernoulli_nll does."
        )
    if _close(answer, recon - kl):
        return "the KL's sign is flipped: the negative ELBO is reconstruction + KL, and KL >= 0."
    if _close(answer, recon + 2 * kl):
        return "the KL is twice too large: its closed form has a factor 0.5."
    if _close(answer, recon + kl / 16):
        return "the KL is averaged over the latent dimensions: sum them (dim=1)."
    if _close(answer, 8 * expected):
        return "it is summed over the batch: average over it (.mean()), one number per image."
    if _close(answer, recon):
        return "the KL term is missing: add KL(q(z | x) || N(0, I)) of each image."
    if _close(answer, kl):
        return "the reconstruction term is missing: add the Bernoulli -log p(x | z)."
    if not _close(answer, recon + kl):
        return (
            "compare with BCE_with_logits(logits, (x + 1) / 2) summed over pixels, plus "
            "0.5 * sum(mu^2 + exp(logvar) - 1 - logvar) over latent dims, averaged over the batch."
        )
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


def _gan_step(
    model: DCGAN,
    d_optimizer: torch.optim.Optimizer,
    g_optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    *,
    d_zero_grad: bool = True,
    g_zero_grad: bool = True,
    d_loss_into_g: bool = False,
) -> dict[str, float]:
    """hvg's DCGAN step with a mistake switched on: which one a learner's weights match names
    it (a D that keeps last step's gradients; a G that does; D's loss reaching G)."""
    z = torch.randn(len(x), model.latent_dim)
    fake = model.generator(z)
    d = model.discriminator
    real_logits, fake_logits = d(x), d(fake if d_loss_into_g else fake.detach())
    loss_d = discriminator_loss(real_logits, fake_logits)
    if d_zero_grad:
        d_optimizer.zero_grad()
    if g_zero_grad and d_loss_into_g:
        g_optimizer.zero_grad()
    loss_d.backward(retain_graph=True)
    d_optimizer.step()
    loss_g = F.binary_cross_entropy_with_logits(d(fake), torch.ones_like(fake_logits))
    if g_zero_grad and not d_loss_into_g:
        g_optimizer.zero_grad()
    loss_g.backward()
    g_optimizer.step()
    return {"loss_d": loss_d.item(), "loss_g": loss_g.item()}


@dataclasses.dataclass
class _Run:
    """What one step did to a fresh copy of the check's DCGAN."""

    model: DCGAN
    losses: object
    codes: list[torch.Tensor]  # the generator's inputs, call by call
    judged: list[int]  # the size of each batch the discriminator saw


def _run_gan_step(step: Callable) -> _Run:
    """Run `step(model, d_optimizer, g_optimizer, x)` once on a fresh copy of a small DCGAN,
    with SGD (so a weight's change is its gradient), last step's gradients left in every
    parameter, a fixed batch and a fixed RNG state; the caller's RNG is left as it was."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = DCGAN(latent_dim=8, width=4).train()
        x = torch.rand(16, 1, 28, 28) * 2 - 1
        for param in model.parameters():  # what the previous step would leave behind
            param.grad = 0.5 * torch.randn_like(param)
        d_optimizer = torch.optim.SGD(model.discriminator.parameters(), lr=0.1)
        g_optimizer = torch.optim.SGD(model.generator.parameters(), lr=0.1)
        run = _Run(model, None, [], [])
        hooks = [
            model.generator.register_forward_hook(
                lambda module, inputs, output: run.codes.append(inputs[0].detach().clone())
            ),
            model.discriminator.register_forward_hook(
                lambda module, inputs, output: run.judged.append(len(inputs[0]))
            ),
        ]
        torch.manual_seed(1)
        try:
            run.losses = step(model, d_optimizer, g_optimizer, x)
        finally:
            for hook in hooks:
                hook.remove()
    return run


def _same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    """Whether two networks hold the same weights (to rounding)."""
    pairs = zip(a.parameters(), b.parameters(), strict=True)
    return all(torch.allclose(p, q, rtol=1e-4, atol=1e-6) for p, q in pairs)


@_check("DCGAN step")
def check_dcgan_step(step: Callable) -> str | None:
    """One D step on real and detached fakes, then one G step with -log D(G(z)) on the same
    fakes: both networks' weights after it against hvg's dcgan_step's, from identical copies."""
    try:
        run = _run_gan_step(step)
    except RuntimeError as error:
        if "backward through the graph a second time" not in str(error):
            raise
        return (
            "D's loss was backpropagated into G, which freed G's graph before G's own loss "
            "needed it: judge the fakes for D's loss as fake.detach(), so D's step stops at D."
        )
    right = _run_gan_step(lambda m, d, g, x: dcgan_step(m, d, g)(x))
    start = _run_gan_step(lambda m, d, g, x: None).model
    losses = run.losses
    if not isinstance(losses, dict) or not {"loss_d", "loss_g"} <= set(losses):
        return (
            "it should return the losses as a dict, {'loss_d': ..., 'loss_g': ...}; "
            f"got {type(losses).__name__}."
        )
    if not all(isinstance(losses[k], int | float) for k in ("loss_d", "loss_g")):
        return "return the losses as numbers, loss_d.item() and loss_g.item(), not tensors."
    if not run.codes:
        return "the generator never ran: draw z, then fake = model.generator(z)."
    if not torch.equal(run.codes[0], right.codes[0]):
        return (
            "draw the codes first, as z = torch.randn(len(x), model.latent_dim), so that the "
            "check can replay your step with the same fakes."
        )
    if any(not torch.equal(z, run.codes[0]) for z in run.codes[1:]):
        return (
            "G's step used the fakes of another draw of z: draw z once and let D's step and "
            "G's step judge the same fakes."
        )
    if any(n > len(right.codes[0]) for n in run.judged):
        return (
            "D judged real images and fakes in one batch: batch norm then normalises them "
            "together. Judge them in two calls, d(x) and d(fake.detach())."
        )
    d_model, g_model = run.model.discriminator, run.model.generator
    if not _same(d_model, right.model.discriminator):
        if _same(d_model, start.discriminator):
            return "D's weights did not move: call d_optimizer.step() after loss_d.backward()."
        if _same(
            d_model,
            _run_gan_step(functools.partial(_gan_step, d_zero_grad=False)).model.discriminator,
        ):
            return (
                "D's step also used the gradients left from the last step: call "
                "d_optimizer.zero_grad() before loss_d.backward()."
            )
        return (
            "D's step differs: its loss is BCE(D(x), 1) + BCE(D(fake.detach()), 0), each a "
            "batch mean, then one d_optimizer step."
        )
    if _same(g_model, start.generator):
        return "G's weights did not move: call g_optimizer.step() after loss_g.backward()."
    if not _same(g_model, right.model.generator):
        minimax = _run_gan_step(lambda m, d, g, x: dcgan_step(m, d, g, minimax=True)(x))
        if _same(g_model, minimax.model.generator):
            return (
                "that is the minimax loss, log(1 - D(G(z))), which saturates while D wins: "
                "minimise the non-saturating -log D(G(z)), BCE(D(fake), 1)."
            )
        into_g = _run_gan_step(functools.partial(_gan_step, d_loss_into_g=True))
        if _same(g_model, into_g.model.generator):
            return (
                "G's step also followed D's loss, which reached G through fakes that were not "
                "detached: use fake.detach() for D's loss, and zero G's gradients before "
                "loss_g.backward()."
            )
        stale = _run_gan_step(functools.partial(_gan_step, g_zero_grad=False))
        if _same(g_model, stale.model.generator):
            return (
                "G's step also used the gradients left from the last step: call "
                "g_optimizer.zero_grad() before loss_g.backward()."
            )
        return (
            "G's step differs: after D's step, judge the same fakes again, without detach, and "
            "minimise BCE(D(fake), 1), then one g_optimizer step."
        )
    for key in ("loss_d", "loss_g"):
        if not math.isclose(losses[key], right.losses[key], rel_tol=1e-4, abs_tol=1e-6):
            should, got = right.losses[key], losses[key]
            return f"the weights are right, but {key} should be {should:.4f}, not {got:.4f}."
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


@dataclasses.dataclass
class EveryTerm(Terms):
    """Each loss's gradient with respect to every network that it reaches, one tensor per
    parameter: what Algorithm 1 chooses from. hvg's `Terms` keeps the five it uses; the three
    more here are the ones it leaves out."""

    llike_dis: list[torch.Tensor]  # grad_dis L_llike (Dis_l is the discriminator's own layer)
    gan_enc: list[torch.Tensor]  # grad_enc L_GAN (through the reconstructions it judges)
    gan_dec: list[torch.Tensor]  # grad_dec L_GAN (-fool_dec in the paper's minimax form)


def _every_term(generator: torch.Generator, minimax: bool) -> EveryTerm:
    """Fixed random gradients for three small networks' parameters."""
    shapes = {"enc": [(4, 3), (4,)], "dec": [(5, 2), (5,)], "dis": [(3, 3), (3,)]}

    def grads(net: str) -> list[torch.Tensor]:
        return [torch.randn(shape, generator=generator) for shape in shapes[net]]

    gan_dec = grads("dec")
    fool_dec = [-g for g in gan_dec] if minimax else grads("dec")
    return EveryTerm(
        prior_enc=grads("enc"),
        llike_enc=grads("enc"),
        llike_dec=grads("dec"),
        fool_dec=fool_dec,
        gan_dis=grads("dis"),
        llike_dis=grads("dis"),
        gan_enc=grads("enc"),
        gan_dec=gan_dec,
    )


def _combine(*weighted: tuple[float, list[torch.Tensor]]) -> list[torch.Tensor]:
    """sum_i weight_i * terms_i, parameter by parameter."""
    weights = [w for w, _ in weighted]
    columns = zip(*(grads for _, grads in weighted), strict=True)
    return [sum(w * g for w, g in zip(weights, column, strict=True)) for column in columns]


def _all_close(answer: object, expected: list[torch.Tensor]) -> bool:
    """Whether a list of tensors matches `expected`, tensor by tensor."""
    if not isinstance(answer, list | tuple) or len(answer) != len(expected):
        return False
    return all(_close(a, b) for a, b in zip(answer, expected, strict=True))


def _routing_mistake(name: str, answer: object, t: EveryTerm, o: VAEGANOptions) -> str | None:
    """The hint for a known mistake in one network's gradient, or None if it is none of them
    (the caller then says what the gradient should be)."""
    beta, gamma = o.beta, o.gamma
    known = {
        "encoder": [
            (
                [(beta, t.prior_enc), (1, t.llike_enc), (1, t.gan_enc)],
                "L_GAN reached the encoder: Algorithm 1 never updates the encoder with the GAN "
                "loss; the encoder follows beta * grad L_prior + grad L_llike only.",
            ),
            (
                [(beta, t.prior_enc), (1, t.llike_enc), (-1, t.gan_enc)],
                "L_GAN reached the encoder (with a minus sign): Algorithm 1 never updates the "
                "encoder with the GAN loss; it follows beta * grad L_prior + grad L_llike only.",
            ),
            (
                [(1, t.prior_enc), (1, t.llike_enc)],
                "beta is missing: the encoder weighs L_prior by options.beta, "
                "beta * prior_enc + llike_enc.",
            ),
            (
                [(beta, t.prior_enc), (beta, t.llike_enc)],
                "beta weighs L_prior only, not L_llike: beta * prior_enc + llike_enc.",
            ),
            (
                [(beta, t.prior_enc), (gamma, t.llike_enc)],
                "gamma is the decoder's weight, not the encoder's: the encoder takes "
                "beta * prior_enc + llike_enc.",
            ),
        ],
        "decoder": [
            (
                [(1, t.llike_dec), (gamma, t.fool_dec)],
                "gamma is on the wrong term: it weighs L_llike against fooling the "
                "discriminator, gamma * llike_dec + fool_dec.",
            ),
            (
                [(1, t.llike_dec), (1, t.fool_dec)],
                "gamma is missing: the decoder takes gamma * llike_dec + fool_dec.",
            ),
            (
                [(gamma, t.llike_dec), (-1, t.gan_dec)],
                "-grad L_GAN is the decoder's adversarial gradient only in the paper's minimax "
                "form: use fool_dec, the gradient of the decoder's own adversarial loss.",
            ),
            (
                [(gamma, t.llike_dec), (1, t.gan_dec)],
                "with +grad L_GAN the decoder would help the discriminator: it should fool it, "
                "with fool_dec (-grad L_GAN in the minimax form).",
            ),
            (
                [(gamma, t.llike_dec), (-1, t.fool_dec)],
                "the adversarial sign is flipped: fool_dec is already the gradient of the "
                "decoder's loss, so gamma * llike_dec + fool_dec.",
            ),
        ],
        "discriminator": [
            (
                [(1, t.gan_dis), (1, t.llike_dis)],
                "L_llike updates the discriminator: Dis_l is only the yardstick, and a "
                "discriminator trained on L_llike learns features that make every "
                "reconstruction look perfect. It follows grad L_GAN alone.",
            ),
            (
                [(1, t.gan_dis), (gamma, t.llike_dis)],
                "L_llike updates the discriminator: it follows grad L_GAN alone.",
            ),
            (
                [(-1, t.gan_dis)],
                "the sign is flipped: L_GAN is the discriminator's cross-entropy, a loss it "
                "minimises; its gradient is gan_dis itself.",
            ),
        ],
    }
    for weighted, hint in known[name]:
        if _all_close(answer, _combine(*weighted)):
            return hint
    return None


@_check("Algorithm 1")
def check_algorithm_1(route: Callable) -> str | None:
    """Each network's gradient from each loss's: against hvg.recipes.vaegan.algorithm_1, with
    beta and gamma not 1 and both forms of the decoder's adversarial loss."""
    generator = torch.Generator().manual_seed(0)
    should = {
        "encoder": "beta * prior_enc + llike_enc",
        "decoder": "gamma * llike_dec + fool_dec",
        "discriminator": "gan_dis",
    }
    for form in ("minimax", "non-saturating"):
        options = VAEGANOptions(beta=2.5, gamma=0.3, generator=form)
        terms = _every_term(generator, minimax=form == "minimax")
        kept = copy.deepcopy(terms)
        expected = algorithm_1(terms, options)
        answer = route(terms, options)
        given = zip(vars(terms).values(), vars(kept).values(), strict=True)
        if not all(_all_close(a, b) for a, b in given):
            return "it changed the gradients it was given (an in-place op): build new tensors."
        if not isinstance(answer, dict) or set(answer) != set(expected):
            return (
                "it should return a dict with one list of gradients for each network: "
                f"'encoder', 'decoder', 'discriminator'; got {answer!r:.80}."
            )
        for name, grads in expected.items():
            if _all_close(answer[name], grads):
                continue
            if not isinstance(answer[name], list | tuple) or len(answer[name]) != len(grads):
                return f"answer['{name}'] should be a list with one tensor per parameter."
            if hint := _routing_mistake(name, answer[name], terms, options):
                return hint
            return f"the {name}'s gradient should be {should[name]}, parameter by parameter."
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
