"""Pictures: image grids, loss curves, latent scatter plots, and PNG bytes for widgets."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from hvg.course.toy import centres, covered
from hvg.files import grid


def show_images(
    images: torch.Tensor, nrow: int = 8, title: str | None = None, ax: Axes | None = None
) -> Axes:
    """Draw a batch of images in [-1, 1] as a grid."""
    if ax is None:
        _, ax = plt.subplots(figsize=(nrow * 0.6 + 0.4, (len(images) // nrow + 1) * 0.6 + 0.4))
    tiled = grid(images, nrow)
    ax.imshow(tiled.squeeze(-1) if tiled.shape[-1] == 1 else tiled, cmap="gray", vmin=0, vmax=255)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def plot_history(
    history: list[dict[str, float]],
    keys: tuple[str, ...] | None = None,
    smooth: int = 20,
    ax: Axes | None = None,
) -> Axes:
    """Plot losses against steps, each smoothed with a running mean of `smooth` steps."""
    if not history:
        raise ValueError("the history is empty: train for at least one step first")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    keys = keys or tuple(k for k in history[0] if k not in ("step", "seconds"))
    steps = np.array([h["step"] for h in history])
    window = max(1, min(smooth, len(history)))
    kernel = np.ones(window) / window
    for key in keys:
        values = np.convolve([h[key] for h in history], kernel, mode="valid")
        ax.plot(steps[window - 1 :], values, label=key)
    ax.set_xlabel("step")
    ax.set_ylabel("loss per image")
    ax.legend()
    ax.grid(alpha=0.3)
    return ax


def pca(codes: torch.Tensor, k: int = 2) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Top-k principal directions of codes (N, D): (mean (D,), directions (k, D), stds (k,))."""
    if codes.dim() != 2 or len(codes) < 2:
        raise ValueError(f"expected codes of shape (N >= 2, D), got {tuple(codes.shape)}")
    k = min(k, codes.shape[1])
    mean = codes.mean(0)
    _, s, vh = torch.linalg.svd(codes - mean, full_matrices=False)
    signs = torch.sign(vh[:k].sum(1, keepdim=True)).clamp(min=0) * 2 - 1  # fix SVD's sign
    return mean, vh[:k] * signs, s[:k] / (len(codes) - 1) ** 0.5


def plot_latent(codes: torch.Tensor, labels: torch.Tensor, ax: Axes | None = None) -> Axes:
    """Scatter latent codes coloured by class; codes of more than 2 dims are PCA-projected."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.5))
    if codes.shape[1] > 2:
        mean, dirs, _ = pca(codes, 2)
        xy = (codes - mean) @ dirs.T
        ax.set_xlabel("principal component 1")
        ax.set_ylabel("principal component 2")
    else:
        xy = codes
        ax.set_xlabel("z[0]")
        ax.set_ylabel("z[1]")
    points = ax.scatter(xy[:, 0], xy[:, 1], c=labels, cmap="tab10", s=4, alpha=0.7)
    ax.figure.colorbar(points, ax=ax, ticks=range(10), label="class")
    return ax


def plot_routing(
    weights: dict[str, dict[str, str]], title: str = "", ax: Axes | None = None
) -> Axes:
    """A table of which loss (row) updates which network (column) with what weight: a cell
    holds the weight as text, and is blank where the loss does not reach the network."""
    losses, networks = list(weights), list(next(iter(weights.values())))
    if ax is None:
        _, ax = plt.subplots(figsize=(1.7 * len(networks) + 1.5, 0.75 * len(losses) + 0.8))
    used = np.array([[weights[r][c] != "" for c in networks] for r in losses], dtype=float)
    ax.imshow(used, cmap="Blues", vmin=0, vmax=2.2, aspect="auto")  # fill the width: no overlap
    for i, loss in enumerate(losses):
        for j, network in enumerate(networks):
            ax.text(j, i, weights[loss][network] or "—", ha="center", va="center", fontsize=13)
    ax.set_xticks(range(len(networks)), networks)
    ax.set_yticks(range(len(losses)), losses)
    ax.tick_params(length=0)
    ax.xaxis.tick_top()
    if title:
        ax.set_title(title, pad=28)
    return ax


def plot_denoise_sweep(rows: list[dict], scores: tuple[str, ...] = ("psnr", "ssim")) -> Figure:
    """A denoising sweep (hvg.denoising.sweep): each score against the noise level, one panel
    per score and noise kind, one line per method (filters dashed, learned models solid)."""
    kinds = list(dict.fromkeys(r["kind"] for r in rows))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    fig, axes = plt.subplots(
        len(scores), len(kinds), figsize=(4 * len(kinds), 3.2 * len(scores)), squeeze=False
    )
    for (i, score), (j, kind) in itertools.product(enumerate(scores), enumerate(kinds)):
        ax = axes[i][j]
        for method in methods:
            mine = [r for r in rows if r["kind"] == kind and r["method"] == method]
            style = "--" if "parameter" in mine[0] else (":" if method == "noisy input" else "-")
            ax.plot([r["level"] for r in mine], [r[score] for r in mine], style, label=method)
        ax.set_title(f"{kind}: {score.upper()}")
        ax.set_xlabel("noise level")
        ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_toy_runs(runs: dict[str, dict[int, torch.Tensor]], steps: list[int]) -> Figure:
    """One row per run of `hvg.course.toy`, one column per step: the samples over the ring's
    modes (crosses), each panel titled with how many modes at least `toy.HIT` samples land near."""
    fig, axes = plt.subplots(len(runs), len(steps), figsize=(2.6 * len(steps), 2.8 * len(runs)))
    for row, (name, snapshots) in zip(np.atleast_2d(axes), runs.items(), strict=True):
        for ax, step in zip(row, steps, strict=True):
            points = snapshots[step]
            ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.3)
            ax.scatter(*centres().T, marker="x", color="black", s=30)
            ax.set(xlim=(-3, 3), ylim=(-3, 3), xticks=[], yticks=[], aspect="equal")
            ax.set_title(f"{name}, step {step}: {covered(points)} of 8", fontsize=9)
    fig.tight_layout()
    return fig
