"""How well a discriminator tells held-out real images from generated ones.

Accuracy near 0.5 on images it never trained on means the discriminator can't tell them
apart; near 1, the generator is far from the data (or the discriminator overfits: compare with
its accuracy on training images). "Real" is the positive class of the F1 score. Accuracy and
F1 come from torchmetrics; the logits are turned into probabilities here, because torchmetrics
would take logits that happen to lie in [0, 1] for probabilities.
"""

from __future__ import annotations

import torch
from torch import nn
from torchmetrics.functional.classification import binary_accuracy, binary_f1_score

from hvg.checks import MetricInputError, check_features, check_images
from hvg.models.base import device_of


def discriminator_scores(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> dict[str, float]:
    """{"accuracy", "f1", "real_accuracy", "fake_accuracy"} from one logit per image
    (log D / (1 - D): positive means "real")."""
    for name, logits in (("real logits", real_logits), ("fake logits", fake_logits)):
        check_features(logits.reshape(-1, 1), name, at_least=1)
    real_p, fake_p = torch.sigmoid(real_logits.reshape(-1)), torch.sigmoid(fake_logits.reshape(-1))
    probabilities = torch.cat([real_p, fake_p])
    target = torch.cat([torch.ones_like(real_p), torch.zeros_like(fake_p)]).long()
    return {
        "accuracy": binary_accuracy(probabilities, target).item(),
        "f1": binary_f1_score(probabilities, target).item(),
        "real_accuracy": (real_p > 0.5).float().mean().item(),
        "fake_accuracy": (fake_p <= 0.5).float().mean().item(),
    }


@torch.no_grad()
def _logits(discriminator: nn.Module, images: torch.Tensor, batch_size: int) -> torch.Tensor:
    """The discriminator's logits for a batch of images, computed in chunks."""
    device = device_of(discriminator)
    outputs = [discriminator(x.to(device)) for x in images.split(batch_size)]
    # The VAE-GAN's discriminator also returns its features: keep the verdict.
    return torch.cat([(out[0] if isinstance(out, tuple) else out).cpu() for out in outputs])


def discriminate(
    discriminator: nn.Module,
    real: torch.Tensor,
    fake: torch.Tensor,
    batch_size: int = 500,
) -> dict[str, float]:
    """`discriminator_scores` of a discriminator (images -> one logit each) on held-out real
    images and generated ones, both (B, C, H, W) in [-1, 1]. It runs in eval mode (batch norm
    with its running statistics) and is put back in the mode it was in."""
    check_images(real, "real images")
    check_images(fake, "generated images", real.shape[1], real.shape[-1])
    was_training = discriminator.training
    discriminator.eval()
    try:
        real_logits = _logits(discriminator, real, batch_size)
        fake_logits = _logits(discriminator, fake, batch_size)
    finally:
        discriminator.train(was_training)
    if real_logits.shape != (len(real),):
        raise MetricInputError(
            f"the discriminator must return one logit per image, shape ({len(real)},), got "
            f"{tuple(real_logits.shape)}"
        )
    return discriminator_scores(real_logits, fake_logits)
