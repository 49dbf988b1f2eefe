"""Inception Score (Salimans et al. 2016) from a classifier's logits.

IS = exp(E_x KL(p(y|x) || p(y))): high when each image is classified confidently (sharp
p(y|x)) and the classes are used evenly (flat p(y)). It runs from 1 (every prediction the
same) to the number of classes. With Inception's 1008 logits it is the published IS; with the
MNIST classifier's 10 logits it is the domain IS, at most 10.
"""

from __future__ import annotations

import math

import torch

from hvg.checks import MetricInputError, check_features


def inception_score(logits: torch.Tensor, splits: int = 10) -> tuple[float, float]:
    """(mean, standard deviation) of the IS over `splits` consecutive groups of the logits
    (sizes differing by at most one).

    As torchmetrics' InceptionScore, minus its random shuffle: the groups are taken in order,
    so the same logits always give the same score (the tests check both agree). The standard
    deviation is NaN for one split.
    """
    if not isinstance(splits, int) or splits < 1:
        raise MetricInputError(f"splits must be a positive int, got {splits!r}")
    check_features(logits, "logits", at_least=splits)
    if logits.shape[1] < 2:
        raise MetricInputError(f"IS needs logits over at least 2 classes, got {logits.shape[1]}")
    log_p = logits.double().log_softmax(1)
    scores = []
    for group in log_p.tensor_split(splits):
        log_marginal = group.logsumexp(0) - math.log(len(group))
        kl = (group.exp() * (group - log_marginal)).sum(1).mean()
        scores.append(kl.exp())
    stacked = torch.stack(scores)
    std = stacked.std().item() if splits > 1 else math.nan
    return stacked.mean().item(), std
