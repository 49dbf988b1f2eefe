"""Command line: `python -m hvg train`, `sample`, `denoise` and `export`.

The CLI calls the same functions as the notebooks (hvg.recipes, hvg.checkpoints): one recipe
trains a model whether it is asked for here or by a notebook.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

import torch

from hvg import distributed
from hvg.checkpoints import (
    CheckpointError,
    load_history,
    load_model,
    model_name,
    read_metadata,
    save_model,
)
from hvg.data import DATASETS, DatasetUnavailableError
from hvg.denoising import denoise_batched
from hvg.files import read_npz, write_npz
from hvg.recipes import RECIPES, train_model
from hvg.train import NonFiniteLossError


def launch_command() -> str:
    """How this run was started, for its checkpoint: `python -m hvg ...`, or torchrun's line."""
    args = " ".join(sys.argv[1:])
    world = distributed.world_size()
    if world == 1:
        return f"python -m hvg {args}"
    per_node = int(os.environ.get("LOCAL_WORLD_SIZE", world))
    nodes = f"--nnodes {world // per_node} " if per_node != world else ""
    return f"torchrun {nodes}--nproc_per_node {per_node} -m hvg {args}"


def training_settings(args: argparse.Namespace) -> dict[str, object]:
    """What `train` asks of `train_model`, besides where to write: the model's sizes, the
    recipe's options and the run's length, as keyword arguments (given flags only)."""
    sizes = {size: getattr(args, size) for size in SIZES if getattr(args, size) is not None}
    given = {
        "steps": args.steps, "seed": args.seed, "batch_size": args.batch_size, "lr": args.lr,
        "image_size": args.image_size, "limit": args.limit, "sizes": sizes or None,
        "options": recipe_options(args) or None,
    }  # fmt: skip
    return {k: v for k, v in given.items() if v is not None}


SIZES = ("latent_dim", "width", "code_dim", "noise_dim")  # flags that size the model


def train(args: argparse.Namespace) -> None:
    """Train a model into OUT/MODEL-DATASET.safetensors, resuming if that file exists."""
    checkpoint = Path(args.out) / f"{args.model}-{args.dataset}.safetensors"
    _, history = train_model(
        args.model, args.dataset, checkpoint=checkpoint, every=args.checkpoint_every,
        sample_every=args.sample_every, sample_dir=beside(checkpoint, "samples"),
        keep_every=args.keep_every, keep_dir=beside(checkpoint, "steps"),
        command=launch_command(), **training_settings(args),
    )  # fmt: skip
    if distributed.is_main():
        last = history[-1]
        final = ", ".join(f"{k} {v:.3g}" for k, v in last.items() if k not in ("step", "seconds"))
        print(f"wrote {checkpoint} at step {len(history)} after {last['seconds']:.0f} s ({final})")


def beside(checkpoint: Path, what: str) -> Path:
    """The folder next to a checkpoint for what training writes along the way:
    OUT/MODEL-DATASET-samples/ (`--sample-every`) or OUT/MODEL-DATASET-steps/ (`--keep-every`)."""
    return checkpoint.with_name(f"{checkpoint.stem}-{what}")


VAEGAN_FAMILY = ("vaegan", "fusion-early", "fusion-late", "fusion-progressive", "denoiser")
RECIPE_FLAGS = {  # flag's dest -> (recipe option, the models whose recipe takes it)
    "recon": ("recon", VAEGAN_FAMILY),
    "gamma": ("gamma", VAEGAN_FAMILY),
    "beta": ("beta", VAEGAN_FAMILY),
    "generator_loss": ("generator", VAEGAN_FAMILY),
    "margin": ("margin", VAEGAN_FAMILY),
    "d_skips_recon": ("d_sees_recon", VAEGAN_FAMILY),
    "optimizer": ("optimizer", VAEGAN_FAMILY),
    "fusion_start": ("start", ("fusion-progressive",)),
    "fusion_ramp": ("ramp", ("fusion-progressive",)),
}


def recipe_options(args: argparse.Namespace) -> dict[str, object]:
    """The recipe flags that were given, as recipe options; refused for models without them."""
    given = {}
    for dest, (option, models) in RECIPE_FLAGS.items():
        value = getattr(args, dest)
        if value in (None, False):
            continue
        if args.model not in models:
            flag = "--" + dest.replace("_", "-")
            raise ValueError(f"{flag} applies to {', '.join(models)} only, not {args.model}")
        given[option] = not value if dest == "d_skips_recon" else value
    return given


def sample(args: argparse.Namespace) -> None:
    """Draw images from a checkpoint's prior and save them as uint8 (N, C, H, W) in an npz."""
    if args.n < 1:
        raise ValueError(f"-n must be at least 1, got {args.n}")
    model = load_model(args.checkpoint)
    generator = torch.Generator().manual_seed(args.seed)
    images = model.sample(args.n, generator=generator)
    out = write_npz(images, args.output)
    print(f"wrote {args.n} images of shape {tuple(images.shape[1:])} to {out}")


def denoise(args: argparse.Namespace) -> None:
    """Denoise the uint8 (N, C, H, W) `images` of an npz file with a denoiser checkpoint."""
    model = load_model(args.checkpoint).eval()
    if not hasattr(model, "denoise"):
        raise ValueError(
            f"{args.checkpoint} holds a {model_name(model)}, which cannot denoise: use a denoiser "
            "(checkpoints/denoiser-mnist.safetensors, or `python -m hvg train denoiser`)"
        )
    noisy = read_npz(args.input, model.config["channels"], model.config["image_size"])
    clean = denoise_batched(model.denoise, noisy)
    print(f"wrote {len(clean)} denoised images to {write_npz(clean, args.output)}")


def export(args: argparse.Namespace) -> None:
    """Copy a training checkpoint's weights, history and command, without optimizer state."""
    metadata = read_metadata(args.checkpoint)
    info = {k: metadata[k] for k in ("dataset", "command", "step", "world_size") if k in metadata}
    model = load_model(args.checkpoint)
    out = save_model(model, args.output, load_history(args.checkpoint), **info)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, weights only)")


def parser() -> argparse.ArgumentParser:
    """The argument parser, with one sub-command per action."""
    root = argparse.ArgumentParser(prog="python -m hvg", description=__doc__.splitlines()[0])
    commands = root.add_subparsers(dest="command", required=True)

    t = commands.add_parser(
        "train", help="train a model and save a checkpoint",
        description="Train MODEL on a data set, on the GPU if there is one. The training state "
        "is saved to OUT/MODEL-DATASET.safetensors every --checkpoint-every steps and at the "
        "end; run the same command again to resume an interrupted run (or to train further "
        "with a larger --steps). Runs unchanged under `torchrun --nproc_per_node K -m hvg "
        "train ...`: K processes (one per GPU, or gloo on the CPU) train one model with "
        "DistributedDataParallel, each on its own shard of the data; resume with the same K.",
    )  # fmt: skip
    t.add_argument("model", choices=sorted(RECIPES), help="which model to train")
    t.add_argument("--dataset", default="mnist", choices=sorted(DATASETS), help="data set")
    t.add_argument("--out", required=True, help="folder for the checkpoint (and sample grids)")
    t.add_argument("--steps", type=int, default=10_000, help="train until this step (10000)")
    t.add_argument(
        "--batch-size", type=int, default=128,
        help="images per step and process (128); under torchrun K processes see K times as many",
    )  # fmt: skip
    t.add_argument(
        "--lr",
        type=float,
        help="learning rate (Adam: vae, classifier 1e-3, dcgan 2e-4; vaegan 3e-4 RMSProp)",
    )
    t.add_argument("--latent-dim", type=int, help="size of z (vae 16, dcgan 100, vaegan 32)")
    t.add_argument("--width", type=int, help="channel width (dcgan 32, vaegan 16)")
    t.add_argument("--code-dim", type=int, help="fusion-early/-late: size of the VAE's code (32)")
    t.add_argument("--noise-dim", type=int, help="fusion-early/-late: size of the GAN noise (16)")
    t.add_argument("--image-size", type=int, default=None, help="side in pixels (native)")
    t.add_argument("--limit", type=int, default=None, help="use only the first N images")
    t.add_argument(
        "--seed", type=int, default=0,
        help="seed for weights, data order and noise (0); process r of K draws noise from seed+r",
    )  # fmt: skip
    t.add_argument("--checkpoint-every", type=int, default=500, help="steps between saves (500)")
    t.add_argument(
        "--sample-every", type=int, default=0, metavar="N",
        help="every N steps, save 16 samples from fixed codes as a PNG grid in "
        "OUT/MODEL-DATASET-samples/step-NNNNNN.png (0: never, the default)",
    )  # fmt: skip
    t.add_argument(
        "--keep-every", type=int, default=0, metavar="N",
        help="every N steps, keep a weights-only copy with its history entry (step, seconds) "
        "in OUT/MODEL-DATASET-steps/step-NNNNNN.safetensors (0: never, the default)",
    )  # fmt: skip
    v = t.add_argument_group(
        "VAE-GAN options (vaegan and the fusion models; the defaults are the paper's)"
    )
    v.add_argument(
        "--recon",
        choices=["feature", "pixel"],
        help="reconstruct in the discriminator's features (the paper) or in pixels",
    )
    v.add_argument("--gamma", type=float, help="decoder's weight on reconstruction vs GAN (1.0)")
    v.add_argument("--beta", type=float, help="encoder's weight on the KL term (1.0)")
    v.add_argument(
        "--generator-loss",
        choices=["minimax", "non-saturating"],
        help="the decoder's GAN loss: the paper's minimax, or -log D",
    )
    v.add_argument(
        "--d-skips-recon",
        action="store_true",
        help="the discriminator judges prior samples only, not reconstructions",
    )
    v.add_argument(
        "--optimizer",
        choices=["rmsprop", "adam"],
        help="RMSProp (the paper) or Adam with beta1 = 0.5 (DCGAN's), for all three networks",
    )
    v.add_argument(
        "--margin",
        type=float,
        help="equilibrium gating margin (the authors' code: 0.35); off by default",
    )
    f = t.add_argument_group("progressive fusion (fusion-progressive only)")
    f.add_argument(
        "--fusion-start", type=int, metavar="STEP",
        help="steps of plain VAE before the VAE-GAN's objective starts to count (1000)",
    )  # fmt: skip
    f.add_argument(
        "--fusion-ramp", type=int, metavar="STEPS",
        help="steps over which the VAE-GAN's objective takes over, linearly (3000)",
    )  # fmt: skip
    t.set_defaults(run=train)

    s = commands.add_parser("sample", help="draw images from a checkpoint into an npz file")
    s.add_argument("checkpoint", help="a checkpoint written by `train` (or a shipped one)")
    s.add_argument("-n", type=int, default=64, help="number of images (64)")
    s.add_argument("-o", "--output", required=True, help="npz file; key `images`, uint8 NCHW")
    s.add_argument("--seed", type=int, default=0, help="seed for the prior draws (0)")
    s.set_defaults(run=sample)

    d = commands.add_parser(
        "denoise", help="denoise the images of an npz file with a denoiser checkpoint",
        description="Read uint8 images (N, C, H, W) at the model's size from the key `images` "
        "of INPUT, denoise them, and write them the same way to OUTPUT.",
    )  # fmt: skip
    d.add_argument("checkpoint", help="a denoiser (e.g. checkpoints/denoiser-mnist.safetensors)")
    d.add_argument("-i", "--input", required=True, help="npz file of noisy images, key `images`")
    d.add_argument("-o", "--output", required=True, help="npz file to write, key `images`")
    d.set_defaults(run=denoise)

    e = commands.add_parser(
        "export", help="write a weights-only copy of a checkpoint (for shipping)",
        description="Drop the optimizer and random state (about two thirds of a training "
        "checkpoint) and keep weights, config, history and the command that trained it.",
    )  # fmt: skip
    e.add_argument("checkpoint", help="a checkpoint written by `train`")
    e.add_argument("-o", "--output", required=True, help="the .safetensors file to write")
    e.set_defaults(run=export)
    return root


def run(args: argparse.Namespace) -> int:
    """Run one command; bad input ends with a one-line message (from rank 0) and status 2."""
    try:
        args.run(args)
    except (CheckpointError, DatasetUnavailableError, NonFiniteLossError, ValueError) as err:
        if distributed.is_main():
            print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; `train` joins the process group when torchrun started several processes."""
    args = parser().parse_args(argv)
    try:
        with distributed.launched() if args.run is train else contextlib.nullcontext():
            # run() handles its errors: no traceback keeps DDP wrappers alive past the group
            return run(args)
    except ValueError as err:  # from joining: more processes than GPUs
        print(f"error: {err}", file=sys.stderr)
        return 2
