"""The VAE-GAN's recipe: the paper's Algorithm 1, three networks, three optimizers.

One forward pass per step: encode x, decode the posterior sample z and a prior sample z_p in
one batch, and let the discriminator judge real images, reconstructions and prior samples in
one batch (as the authors' code does). Then each network gets the gradient of its own
objective, and only that:

    encoder       <- grad(L_prior + L_llike)
    decoder       <- grad(gamma * L_llike - L_GAN)
    discriminator <- grad(L_GAN)

with L_prior = KL(q(z|x) || N(0, I)), L_llike = -log N(Dis_l(x); Dis_l(x~), I) (half the
squared distance between the discriminator's features of x and of its reconstruction x~), and
L_GAN = -[log D(x) + log(1 - D(x~)) + log(1 - D(Dec(z_p)))], the discriminator's binary
cross-entropy. (The paper writes L_GAN without the minus sign but updates Dis with -grad L_GAN
and Dec with +grad L_GAN; with its sign flipped, as here, those updates are the GAN game.)

`VAEGANOptions` holds the paper's choices as defaults and, as options, the deviations that the
authors' code and later ports use, each with where it comes from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from hvg import distributed
from hvg.losses import (
    discriminator_loss,
    gaussian_nll,
    generator_loss,
    kl_normal,
)
from hvg.models.base import device_of
from hvg.models.vae import reparameterize
from hvg.models.vaegan import VAEGAN
from hvg.recipes.base import Batch, Recipe, StepFn, check_choices, option, unpack

OPTIMIZERS = {
    "rmsprop": lambda params, lr: torch.optim.RMSprop(params, lr=lr),
    "adam": lambda params, lr: torch.optim.Adam(params, lr=lr, betas=(0.5, 0.999)),
}


@dataclass(frozen=True)
class VAEGANOptions:
    """How a VAE-GAN learns. Defaults follow the paper.

    - `recon`: "feature" is the paper's learned similarity, Dis_l; "pixel" swaps in a Gaussian
      on pixels, the simpler hybrid (pixel reconstruction + KL + adversarial) of HyVAE-GAN-style
      reports, to show what the learned similarity buys.
    - `gamma`: the decoder's weight on reconstruction against fooling the discriminator (the
      paper's gamma; the authors' code sets it through `recon_vs_gan_weight`, 1e-5 to 5e-5, on
      losses summed over a batch of 64 and 16,384 features).
    - `generator`: "minimax" is Algorithm 1's decoder update, -grad L_GAN; "non-saturating"
      uses -log D instead, Goodfellow et al.'s (2014) fix that most GAN code uses.
    - `d_sees_recon`: the paper's L_GAN judges reconstructions too; False drops that term, as
      many later ports do (their discriminator sees real images and prior samples only).
    - `beta`: the weight of L_prior in the encoder's objective, as in a beta-VAE (Higgins et
      al. 2017). The paper's 1 leaves the KL term small beside L_llike, which sums squared
      differences over thousands of features: the posterior drifts from the prior, and prior
      samples from what the decoder learned to reconstruct.
    - `optimizer`: "rmsprop" (the paper: RMSProp, learning rate 3e-4) or "adam" (DCGAN's Adam
      with beta1 = 0.5), for all three networks.
    - `margin`: equilibrium gating from the authors' code (`aegan.GradientDescent`, margin
      0.35, equilibrium 0.68): skip the discriminator's update while its loss on real or fake
      images is below equilibrium - margin, and the decoder's while above equilibrium + margin.
      None (the paper) always updates both.
    - `d_lr_scale`: the discriminator's learning rate as a multiple of `lr`, the two
      time-scale update rule (TTUR, Heusel et al. 2017), under which a GAN's game converges to
      a local equilibrium; 1 (the paper) gives all three networks the same rate.
    - `normalise_features`: divide both images' Dis_l features by the real batch's root mean
      square feature (held constant, no gradient) before L_llike compares them. The
      discriminator's features grow as it trains (notebook 03: L_llike climbs from about 300
      to 700 a digit), and with them L_llike's weight against the KL term and the decoder's
      adversarial loss; normalised, L_llike measures relative error at a steady scale, as
      perceptual losses normalise features before comparing them (Zhang et al. 2018, LPIPS).
      False (the paper) compares the raw features.
    """

    # Named settings (hvg.recipes.base.preset): the paper's defaults; the shipped VAE-GAN's,
    # which the fusion models share (bench/README.md says why each: a non-saturating decoder
    # loss, gamma 1e-3, beta 10, equilibrium gating); the shipped conditional VAE-GAN's
    # (beta 1); the shipped denoisers' (a feature or a pixel reconstruction loss).
    PRESETS: ClassVar[dict[str, dict[str, Any]]] = {
        "paper": {},
        "shipped": {"generator": "non-saturating", "gamma": 1e-3, "beta": 10.0, "margin": 0.35},
        "conditional": {"generator": "non-saturating", "gamma": 1e-3, "beta": 1.0, "margin": 0.35},
        "denoiser": {"generator": "non-saturating"},
        "denoiser-pixel": {"generator": "non-saturating", "recon": "pixel"},
    }

    lr: float = option(3e-4, "learning rate")
    recon: str = option(
        "feature",
        "reconstruct in the discriminator's features (the paper) or in pixels",
        choices=("feature", "pixel"),
    )
    gamma: float = option(1.0, "decoder's weight on reconstruction vs GAN")
    generator: str = option(
        "minimax",
        "the decoder's GAN loss: the paper's minimax, or -log D",
        flag="--generator-loss",
        choices=("minimax", "non-saturating"),
    )
    d_sees_recon: bool = option(
        True,
        "the discriminator judges prior samples only, not reconstructions",
        flag="--d-skips-recon",
    )
    margin: float | None = option(None, "equilibrium gating margin (the authors' code: 0.35)")
    equilibrium: float = 0.68
    optimizer: str = option(
        "rmsprop",
        "RMSProp (the paper) or Adam with beta1 = 0.5 (DCGAN's), for all three networks",
        choices=tuple(OPTIMIZERS),
    )
    beta: float = option(1.0, "encoder's weight on the KL term")
    d_lr_scale: float = option(
        1.0, "the discriminator's learning rate as a multiple of --lr (TTUR, Heusel et al. 2017)"
    )
    normalise_features: bool = option(
        False, "divide Dis_l's features by the real batch's root mean square before comparing"
    )

    def __post_init__(self) -> None:
        check_choices(self)
        for name in ("gamma", "beta", "d_lr_scale"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")
        if self.margin is not None and not self.margin > 0:
            raise ValueError(f"margin must be positive (or None for no gating), got {self.margin}")


Inputs = Callable[[torch.Tensor], torch.Tensor]  # what the encoder sees of a batch x


def vaegan_losses(
    model: VAEGAN,
    x: torch.Tensor,
    options: VAEGANOptions,
    inputs: Inputs | None = None,
    labels: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """One forward pass: L_prior, L_llike, L_GAN, the decoder's adversarial loss, D's logits.

    The encoder sees `inputs(x)` when given (a denoiser: x corrupted); every other term, the
    reconstruction's target included, uses x itself. With `labels` (the conditional VAE-GAN,
    hvg.models.conditional), each network also gets each image's label, and the prior samples
    are drawn as the batch's classes.
    """
    n = len(x)
    y = () if labels is None else (labels,)
    mu, logvar = model.encoder(x if inputs is None else inputs(x), *y)
    noise = torch.randn(n, model.noise_dim, device=x.device)  # fusion models' GAN noise
    z = torch.cat([reparameterize(mu, logvar), noise], dim=1)
    z_prior = torch.randn_like(z)
    x_tilde, x_prior = model.decoder(torch.cat([z, z_prior]), *(c.repeat(2) for c in y)).split(n)
    judged = torch.cat([x, x_tilde, x_prior])
    logits, features = model.discriminator(judged, *(c.repeat(3) for c in y))
    real, tilde, prior = logits.split(n)
    fakes = (tilde, prior) if options.d_sees_recon else (prior,)
    gan = discriminator_loss(real, *fakes)
    if options.recon == "feature":
        real_features, tilde_features, _ = features.split(n)
        if options.normalise_features:
            scale = real_features.detach().pow(2).mean().sqrt() + 1e-8
            real_features, tilde_features = real_features / scale, tilde_features / scale
        llike = gaussian_nll(real_features, tilde_features)
    else:
        llike = gaussian_nll(x, x_tilde)
    fool = -gan if options.generator == "minimax" else generator_loss(*fakes)
    return {
        "prior": kl_normal(mu, logvar).mean(),
        "llike": llike,
        "pixel": gaussian_nll(x, x_tilde),
        "gan": gan,
        "decoder_gan": fool,
        "real_logits": real,
        "fake_logits": torch.cat(fakes),
    }


Grads = dict[str, list[torch.Tensor]]  # a network's name -> the gradient of each parameter


def gradients(loss: torch.Tensor, *networks: nn.Module) -> list[list[torch.Tensor]]:
    """d loss / d parameters, one list per network, keeping the graph for the next call.

    Under torchrun, `fit` averages the gradients over the processes as each optimizer steps
    (hvg.distributed.synchronised), whether backward or torch.autograd.grad made them."""
    groups = [list(net.parameters()) for net in networks]
    flat = torch.autograd.grad(loss, [p for g in groups for p in g], retain_graph=True)
    out, start = [], 0
    for group in groups:
        out.append(list(flat[start : start + len(group)]))
        start += len(group)
    return out


@dataclass
class Terms:
    """Each loss's gradient with respect to each network that it trains."""

    prior_enc: list[torch.Tensor]  # grad_enc L_prior
    llike_enc: list[torch.Tensor]  # grad_enc L_llike
    llike_dec: list[torch.Tensor]  # grad_dec L_llike
    fool_dec: list[torch.Tensor]  # grad_dec of the decoder's adversarial loss
    gan_dis: list[torch.Tensor]  # grad_dis L_GAN


def gradient_terms(model: VAEGAN, losses: dict[str, torch.Tensor], options: VAEGANOptions) -> Terms:
    """The gradients that Algorithm 1 routes, all from the same forward pass."""
    enc, dec, dis = model.encoder, model.decoder, model.discriminator
    llike_enc, llike_dec = gradients(losses["llike"], enc, dec)
    (prior_enc,) = gradients(losses["prior"], enc)
    if options.generator == "minimax":  # the decoder's loss is -L_GAN: one backward pass
        gan_dec, gan_dis = gradients(losses["gan"], dec, dis)
        fool_dec = [-g for g in gan_dec]
    else:
        (fool_dec,) = gradients(losses["decoder_gan"], dec)
        (gan_dis,) = gradients(losses["gan"], dis)
    return Terms(prior_enc, llike_enc, llike_dec, fool_dec, gan_dis)


def algorithm_1(terms: Terms, options: VAEGANOptions) -> Grads:
    """The paper's updates: encoder beta * grad L_prior + grad L_llike; decoder gamma * grad
    L_llike + grad of its adversarial loss; discriminator grad L_GAN."""
    enc = zip(terms.prior_enc, terms.llike_enc, strict=True)
    dec = zip(terms.llike_dec, terms.fool_dec, strict=True)
    return {
        "encoder": [options.beta * a + b for a, b in enc],
        "decoder": [options.gamma * a + b for a, b in dec],
        "discriminator": terms.gan_dis,
    }


def _gate(losses: dict[str, torch.Tensor], options: VAEGANOptions) -> tuple[bool, bool]:
    """(update decoder, update discriminator) under equilibrium gating; both if it is off."""
    if options.margin is None:
        return True, True
    real, fake = losses["real_logits"], losses["fake_logits"]
    verdicts = {  # D's loss on real images and on fakes, over every process's batch alike
        "real": F.binary_cross_entropy_with_logits(real, torch.ones_like(real)).item(),
        "fake": F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)).item(),
    }
    real, fake = distributed.average(verdicts).values()
    low, high = options.equilibrium - options.margin, options.equilibrium + options.margin
    update_dis = not (real < low or fake < low)
    update_dec = not (real > high or fake > high)
    return (update_dec, update_dis) if (update_dec or update_dis) else (True, True)


def update(
    model: VAEGAN,
    optimizers: dict[str, torch.optim.Optimizer],
    grads: Grads,
    losses: dict[str, torch.Tensor],
    options: VAEGANOptions,
    **extra: float,
) -> dict[str, float]:
    """Give each network its gradients and step (the decoder and discriminator unless gating
    holds them back); return what the step reports, `extra` included."""
    for name, network_grads in grads.items():
        for param, grad in zip(getattr(model, name).parameters(), network_grads, strict=True):
            param.grad = grad
    update_dec, update_dis = _gate(losses, options)
    optimizers["encoder"].step()
    if update_dec:
        optimizers["decoder"].step()
        model.update_average()
    if update_dis:
        optimizers["discriminator"].step()
    report = {
        "prior": losses["prior"].item(),
        "llike": losses["llike"].item(),
        "gan": losses["gan"].item(),
        "d_real": (losses["real_logits"] > 0).float().mean().item(),
        "d_fake": (losses["fake_logits"] < 0).float().mean().item(),
        **extra,
    }
    if options.margin is not None:
        report.update(dec_updated=float(update_dec), dis_updated=float(update_dis))
    return report


def vaegan_step(
    model: VAEGAN,
    optimizers: dict[str, torch.optim.Optimizer],
    options: VAEGANOptions,
    inputs: Inputs | None = None,
) -> StepFn:
    """Algorithm 1: every network's gradient from the same forward pass, then three updates.

    With `inputs`, the encoder sees `inputs(x)` (a denoiser, hvg.recipes.denoise); with labels
    in the batch (the conditional VAE-GAN), every network sees them too.
    """

    def step(batch: Batch) -> dict[str, float]:
        model.train()
        x, labels = unpack(batch, device_of(model))
        losses = vaegan_losses(model, x, options, inputs, labels)
        grads = algorithm_1(gradient_terms(model, losses, options), options)
        return update(model, optimizers, grads, losses, options)

    return step


def vaegan_optimizers(model: VAEGAN, options: VAEGANOptions) -> dict[str, torch.optim.Optimizer]:
    """One optimizer for each of the three networks, as `options.optimizer` says; the
    discriminator's learning rate is `options.d_lr_scale` times the others'."""
    scale = {"encoder": 1.0, "decoder": 1.0, "discriminator": options.d_lr_scale}
    return {
        name: OPTIMIZERS[options.optimizer](getattr(model, name).parameters(), options.lr * s)
        for name, s in scale.items()
    }


def vaegan_recipe(model: VAEGAN, inputs: Inputs | None = None, **options: object) -> Recipe:
    """RMSProp with learning rate 3e-4 for each network, as in the paper; `options` are
    `VAEGANOptions` fields. It also trains early and late fusion (hvg.models.fusion), the
    conditional VAE-GAN and, with `inputs`, the denoiser (hvg.recipes.denoise)."""
    settings = VAEGANOptions(**options)  # type: ignore[arg-type]
    optimizers = vaegan_optimizers(model, settings)
    return Recipe(model, optimizers, vaegan_step(model, optimizers, settings, inputs))
