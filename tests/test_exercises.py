"""Answer checks tell right from wrong: True and "correct" for hvg's answer, False and a hint
naming the mistake otherwise, and they never raise, whatever the learner's code does."""

import functools
import math

import pytest
import torch
import torch.nn.functional as F

from hvg.course import exercises
from hvg.latent import interpolate
from hvg.losses import discriminator_loss, gaussian_nll, generator_loss, kl_normal, vae_loss
from hvg.metrics.fid import frechet_distance
from hvg.metrics.precision_recall import precision_recall
from hvg.metrics.reconstruction import psnr
from hvg.models.conditional import Projection
from hvg.models.vae import reparameterize
from hvg.recipes.dcgan import dcgan_step
from hvg.recipes.fusion import linear_ramp
from hvg.recipes.vaegan import algorithm_1


def wrong_reparameterize_variance(mu, logvar):
    return mu + torch.exp(logvar) * torch.randn_like(mu)


def wrong_reparameterize_no_gradient(mu, logvar):
    return torch.normal(mu.detach(), torch.exp(0.5 * logvar.detach()))


def wrong_discriminator_loss_swapped(real, fake):
    real_term = F.binary_cross_entropy_with_logits(real, torch.zeros_like(real))
    return real_term + F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))


def wrong_frechet_elementwise(mu1, s1, mu2, s2):
    return (mu1 - mu2).pow(2).sum() + (s1 + s2 - 2 * (s1 * s2).sqrt()).trace()


def wrong_precision_with_self(real, fake, k):
    radii = torch.cdist(real, real).topk(k, dim=1, largest=False).values[:, -1]
    return (torch.cdist(fake, real) <= radii).any(1).float().mean().item()


def projection(h, labels, w, b, embed):
    """hvg's own head, given the exercise's weights."""
    head = Projection(len(w), len(embed))
    with torch.no_grad():
        head.linear.weight.copy_(w[None])
        head.linear.bias.copy_(b[None])
        head.embed.weight.copy_(embed)
    return head(h, labels).detach()


def negative_elbo(logits, x, mu, logvar):
    return vae_loss(logits, x, mu, logvar)["loss"]


def wrong_elbo_pixel_mean(logits, x, mu, logvar):
    recon = F.binary_cross_entropy_with_logits(logits, (x + 1) / 2)
    return recon + kl_normal(mu, logvar).mean()


def wrong_elbo_targets_in_minus_one_one(logits, x, mu, logvar):
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    return recon.mean() + kl_normal(mu, logvar).mean()


def hvg_dcgan_step(model, d_optimizer, g_optimizer, x):
    return dcgan_step(model, d_optimizer, g_optimizer)(x)


def dcgan_step_by_hand(model, d_optimizer, g_optimizer, x, *, detach=True, zero_g=True, **how):
    """A learner's step, d2l style, with a mistake switched on by `detach`, `zero_g` or `how`:
    "redraw" (new fakes for G), "minimax" (log(1 - D) for G), "one_batch" (real and fake
    judged together)."""
    z = torch.randn(len(x), model.latent_dim)
    fake = model.generator(z)
    judged = fake.detach() if detach else fake
    if how.get("one_batch"):
        real_logits, fake_logits = model.discriminator(torch.cat([x, judged])).chunk(2)
    else:
        real_logits, fake_logits = model.discriminator(x), model.discriminator(judged)
    loss_d = discriminator_loss(real_logits, fake_logits)
    d_optimizer.zero_grad()
    loss_d.backward()
    d_optimizer.step()
    if how.get("redraw"):
        fake = model.generator(torch.randn(len(x), model.latent_dim))
    logits = model.discriminator(fake)
    loss_g = -F.softplus(logits).mean() if how.get("minimax") else generator_loss(logits)
    if zero_g:
        g_optimizer.zero_grad()
    loss_g.backward()
    g_optimizer.step()
    return {"loss_d": loss_d.item(), "loss_g": loss_g.item()}


def with_network(name, grads):
    """Algorithm 1's answer with one network's gradient replaced by grads(terms, options)."""

    def route(terms, options):
        return {**algorithm_1(terms, options), name: grads(terms, options)}

    return route


# (check, the package's answer, [(a realistic wrong answer, what the hint must say)])
def naive_slerp(z0, z1, t):
    """The textbook formula, which divides 0 by 0 when the codes are parallel."""
    omega = torch.arccos(torch.dot(z0, z1) / (z0.norm() * z1.norm()))
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


CHECKS = [
    (
        exercises.check_reparameterize,
        reparameterize,
        [
            (wrong_reparameterize_variance, "exp(0.5 * logvar)"),
            (wrong_reparameterize_no_gradient, "no gradient"),
            (lambda mu, logvar: mu, "no noise"),
        ],
    ),
    (
        exercises.check_kl,
        kl_normal,
        [
            (lambda mu, logvar: -kl_normal(mu, logvar), "sign is flipped"),
            (lambda mu, logvar: kl_normal(mu, logvar).mean(), "one KL per image"),
            (lambda mu, logvar: 2 * kl_normal(mu, logvar), "factor 1/2"),
        ],
    ),
    (
        exercises.check_discriminator_loss,
        discriminator_loss,
        [
            (wrong_discriminator_loss_swapped, "labels are swapped"),
            (lambda r, f: discriminator_loss(torch.sigmoid(r), torch.sigmoid(f)), "sigmoid"),
        ],
    ),
    (
        exercises.check_negative_elbo,
        negative_elbo,
        [
            (wrong_elbo_pixel_mean, "mean over the pixels"),
            (wrong_elbo_targets_in_minus_one_one, "(x + 1) / 2"),
            (lambda lg, x, m, v: vae_loss(lg, x, m, v)["recon"] - kl_normal(m, v).mean(), "sign"),
            (
                lambda lg, x, m, v: vae_loss(lg, x, m, v)["recon"] + 2 * kl_normal(m, v).mean(),
                "0.5",
            ),
            (lambda lg, x, m, v: negative_elbo(lg, x, m, v).item(), "torch tensor"),
            (lambda lg, x, m, v: negative_elbo(lg, x, m, v).detach(), "no gradient"),
        ],
    ),
    (
        exercises.check_dcgan_step,
        hvg_dcgan_step,
        [
            (functools.partial(dcgan_step_by_hand, detach=False), "fake.detach()"),
            (functools.partial(dcgan_step_by_hand, minimax=True), "minimax"),
            (functools.partial(dcgan_step_by_hand, zero_g=False), "g_optimizer.zero_grad()"),
            (functools.partial(dcgan_step_by_hand, redraw=True), "another draw"),
            (functools.partial(dcgan_step_by_hand, one_batch=True), "one batch"),
            (lambda m, d, g, x: dcgan_step(m, d, g)(x)["loss_d"], "as a dict"),
        ],
    ),
    (
        exercises.check_algorithm_1,
        algorithm_1,
        [
            (
                with_network(
                    "encoder",
                    lambda t, o: [
                        o.beta * p + q + r
                        for p, q, r in zip(t.prior_enc, t.llike_enc, t.gan_enc, strict=True)
                    ],
                ),
                "L_GAN reached the encoder",
            ),
            (
                with_network(
                    "discriminator",
                    lambda t, o: [p + q for p, q in zip(t.gan_dis, t.llike_dis, strict=True)],
                ),
                "L_llike updates the discriminator",
            ),
            (
                with_network(
                    "decoder",
                    lambda t, o: [
                        p + o.gamma * q for p, q in zip(t.llike_dec, t.fool_dec, strict=True)
                    ],
                ),
                "gamma is on the wrong term",
            ),
            (
                with_network(
                    "encoder",
                    lambda t, o: [p + q for p, q in zip(t.prior_enc, t.llike_enc, strict=True)],
                ),
                "beta is missing",
            ),
            (
                with_network(
                    "decoder",
                    lambda t, o: [
                        o.gamma * p - q for p, q in zip(t.llike_dec, t.gan_dec, strict=True)
                    ],
                ),
                "use fool_dec",
            ),
            (lambda t, o: [algorithm_1(t, o)], "a dict"),
        ],
    ),
    (
        exercises.check_slerp,
        lambda z0, z1, t: interpolate(z0, z1, t, spherical=True),
        [
            (lambda z0, z1, t: interpolate(z0, z1, t), "straight line"),
            (naive_slerp, "point the same way"),
        ],
    ),
    (
        exercises.check_feature_nll,
        gaussian_nll,
        [
            (lambda target, mean: 0.5 * F.mse_loss(mean, target), "averaged over the features"),
            (lambda target, mean: 2 * gaussian_nll(target, mean), "twice"),
        ],
    ),
    (
        exercises.check_ramp,
        lambda step, start, ramp: linear_ramp(start, ramp)(step),
        [
            (lambda step, start, ramp: (step - start) / ramp, "before `start`"),
            (lambda step, start, ramp: max(0.0, (step - start) / ramp), "stays 1"),
        ],
    ),
    (
        exercises.check_frechet_distance,
        frechet_distance,
        [
            (wrong_frechet_elementwise, "matrix square root"),
            (lambda m1, s1, m2, s2: frechet_distance(m1 * 0, s1, m2 * 0, s2), "means are missing"),
        ],
    ),
    (
        exercises.check_precision,
        lambda r, f, k: precision_recall(r, f, k)["precision"],
        [
            (lambda r, f, k: precision_recall(r, f, k)["recall"], "that is recall"),
            (wrong_precision_with_self, "its own nearest neighbour"),
        ],
    ),
    (
        exercises.check_psnr,
        psnr,
        [
            (lambda d, c: psnr(d, c) - 20 * math.log10(2), "2, not 1"),
            (lambda d, c: 10 * torch.log10(4 / (d - c).pow(2).mean()), "per image"),
        ],
    ),
    (
        exercises.check_projection,
        projection,
        [
            (lambda h, y, w, b, e: h @ w + b, "class term is missing"),
            (lambda h, y, w, b, e: h @ w + b + e[y].sum(1), "weigh the features"),
            (lambda h, y, w, b, e: h @ w + (e[y] * h).sum(1), "compare with"),
        ],
    ),
]


@pytest.mark.parametrize(
    "check, right", [c[:2] for c in CHECKS], ids=[c[0].__name__ for c in CHECKS]
)
def test_checks_accept_the_package_implementation(check, right, capsys):
    assert check(right) is True
    assert capsys.readouterr().out.endswith(": correct\n")


@pytest.mark.parametrize(
    "check, wrong, hint",
    [(check, wrong, hint) for check, _, mistakes in CHECKS for wrong, hint in mistakes],
    ids=[f"{c[0].__name__}: {h}" for c in CHECKS for _, h in c[2]],
)
def test_checks_name_the_mistake(check, wrong, hint, capsys):
    assert check(wrong) is False
    out = capsys.readouterr().out
    assert "not yet" in out and hint in out, out


def test_checks_explain_a_missing_or_crashing_answer(capsys):
    def unanswered(mu, logvar):
        raise NotImplementedError("your answer here")

    assert exercises.check_kl(unanswered) is False
    assert exercises.check_kl(lambda mu: mu) is False
    out = capsys.readouterr().out.splitlines()
    assert "NotImplementedError" in out[0] and "raised TypeError" in out[1]


# (a conceptual question's check, its answer, the other letters)
CHOICES = [
    (exercises.check_collapse, "a", "bc"),
    (exercises.check_saturation, "b", "ac"),
    (exercises.check_routing, "c", "ab"),
    (exercises.check_overlap, "b", "ac"),
    (exercises.check_small_n, "b", "ac"),
    (exercises.check_light_noise, "b", "ac"),
    (exercises.check_style, "b", "ac"),
]
NAMES = {id(value): name for name, value in vars(exercises).items()}


@pytest.mark.parametrize("check, answer, others", CHOICES, ids=[NAMES[id(c[0])] for c in CHOICES])
def test_a_question_explains_its_answer_and_each_wrong_one(check, answer, others, capsys):
    assert check(lambda: answer) is True
    assert check(lambda: f"({answer.upper()}) ") is True  # as a learner may write it
    said = capsys.readouterr().out.splitlines()
    assert said[0] == said[1] and ": correct. " in said[0]  # the reason, not only the verdict
    hints = []
    for letter in others:
        assert check(lambda letter=letter: letter) is False
        hints.append(capsys.readouterr().out)
    assert all("not yet. " in h for h in hints) and len(set(hints)) == len(others)
    for garbage in ("d", "ab", 2, None):
        assert check(lambda garbage=garbage: garbage) is False
        assert "return one letter as a string" in capsys.readouterr().out


def test_every_check_is_tested():
    names = {n for n in dir(exercises) if n.startswith("check_")}
    tested = [check for check, _, _ in CHECKS] + [check for check, _, _ in CHOICES]
    assert {NAMES[id(check)] for check in tested} == names
