"""Command line: `python -m hvg train`, `sample` and `export`.

The CLI calls the same functions as the notebooks (hvg.recipes, hvg.checkpoints): one recipe
trains a model whether it is asked for here or by a notebook.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from hvg.checkpoints import CheckpointError, load_history, load_model, read_metadata, save_model
from hvg.data import DATASETS, DatasetUnavailableError
from hvg.plots import to_uint8
from hvg.recipes import RECIPES, train_model
from hvg.train import NonFiniteLossError


def train(args: argparse.Namespace) -> None:
    """Train a model into OUT/MODEL-DATASET.safetensors, resuming if that file exists."""
    checkpoint = Path(args.out) / f"{args.model}-{args.dataset}.safetensors"
    command = "python -m hvg " + " ".join(sys.argv[1:])
    _, history = train_model(
        args.model, args.dataset, args.steps, args.seed, args.batch_size, args.lr,
        args.latent_dim, args.image_size, args.limit, checkpoint, args.checkpoint_every,
        command=command,
    )  # fmt: skip
    final = ", ".join(f"{k} {v:.3g}" for k, v in history[-1].items() if k != "step")
    print(f"wrote {checkpoint} at step {len(history)} ({final})")


def sample(args: argparse.Namespace) -> None:
    """Draw images from a checkpoint's prior and save them as uint8 (N, C, H, W) in an npz."""
    if args.n < 1:
        raise ValueError(f"-n must be at least 1, got {args.n}")
    model = load_model(args.checkpoint)
    generator = torch.Generator().manual_seed(args.seed)
    images = model.sample(args.n, generator=generator)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, images=to_uint8(images).transpose(0, 3, 1, 2))
    print(f"wrote {args.n} images of shape {tuple(images.shape[1:])} to {out}")


def export(args: argparse.Namespace) -> None:
    """Copy a training checkpoint's weights, history and command, without optimizer state."""
    metadata = read_metadata(args.checkpoint)
    info = {k: metadata[k] for k in ("dataset", "command", "step") if k in metadata}
    model = load_model(args.checkpoint)
    out = save_model(model, args.output, load_history(args.checkpoint), **info)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, weights only)")


def parser() -> argparse.ArgumentParser:
    """The argument parser, with one sub-command per action."""
    root = argparse.ArgumentParser(prog="python -m hvg", description=__doc__.splitlines()[0])
    commands = root.add_subparsers(dest="command", required=True)

    t = commands.add_parser(
        "train", help="train a model and save a checkpoint",
        description="Train MODEL on a data set. The training state is saved to "
        "OUT/MODEL-DATASET.safetensors every --checkpoint-every steps and at the end; run the "
        "same command again to resume an interrupted run (or to train further with a larger "
        "--steps).",
    )  # fmt: skip
    t.add_argument("model", choices=sorted(RECIPES), help="which model to train")
    t.add_argument("--dataset", default="mnist", choices=sorted(DATASETS), help="data set")
    t.add_argument("--out", required=True, help="folder for the checkpoint")
    t.add_argument("--steps", type=int, default=10_000, help="train until this step (10000)")
    t.add_argument("--batch-size", type=int, default=128, help="images per step (128)")
    t.add_argument("--lr", type=float, help="Adam learning rate (vae, classifier 1e-3; dcgan 2e-4)")
    t.add_argument("--latent-dim", type=int, help="size of z (vae 16, dcgan 100)")
    t.add_argument("--image-size", type=int, default=None, help="side in pixels (native)")
    t.add_argument("--limit", type=int, default=None, help="use only the first N images")
    t.add_argument("--seed", type=int, default=0, help="seed for weights and data order (0)")
    t.add_argument("--checkpoint-every", type=int, default=500, help="steps between saves")
    t.set_defaults(run=train)

    s = commands.add_parser("sample", help="draw images from a checkpoint into an npz file")
    s.add_argument("checkpoint", help="a checkpoint written by `train` (or a shipped one)")
    s.add_argument("-n", type=int, default=64, help="number of images (64)")
    s.add_argument("-o", "--output", required=True, help="npz file; key `images`, uint8 NCHW")
    s.add_argument("--seed", type=int, default=0, help="seed for the prior draws (0)")
    s.set_defaults(run=sample)

    e = commands.add_parser(
        "export", help="write a weights-only copy of a checkpoint (for shipping)",
        description="Drop the optimizer and random state (about two thirds of a training "
        "checkpoint) and keep weights, config, history and the command that trained it.",
    )  # fmt: skip
    e.add_argument("checkpoint", help="a checkpoint written by `train`")
    e.add_argument("-o", "--output", required=True, help="the .safetensors file to write")
    e.set_defaults(run=export)
    return root


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; bad input ends with a one-line message and exit status 2."""
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except (CheckpointError, DatasetUnavailableError, NonFiniteLossError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0
