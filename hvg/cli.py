"""Command line: `python -m hvg train`, `sample`, `denoise`, `evaluate`, `select` and `export`.

The CLI calls the same functions as the notebooks (hvg.recipes, hvg.checkpoints): one recipe
trains a model whether it is asked for here or by a notebook.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import shlex
import shutil
import sys
import typing
from pathlib import Path

import torch

from hvg import distributed
from hvg.checkpoints import (
    CheckpointError,
    drop_parts,
    load_history,
    load_model,
    read_metadata,
    save_model,
)
from hvg.data import DATASETS, DatasetUnavailableError
from hvg.denoising import denoise_batched
from hvg.files import read_npz, write_npz
from hvg.folder import SPLITS, Folder, is_folder, load_folder
from hvg.metrics.cache import split_images
from hvg.priors import TWO_STAGE_STEPS, expost_prior, two_stage_prior
from hvg.recipes.base import flag_of
from hvg.registry import REGISTRY, model_name
from hvg.run import check_options, train_model
from hvg.train import NonFiniteLossError, TrainConfig


def launch_command(argv: list[str]) -> str:
    """How this run was started, for its checkpoint: `python -m hvg ARGV`, or torchrun's line.
    ARGV is what `main` parsed, so a call from Python records its own arguments too."""
    args = shlex.join(argv)
    world = distributed.world_size()
    if world == 1:
        return f"python -m hvg {args}"
    per_node = int(os.environ.get("LOCAL_WORLD_SIZE", world))
    nodes = f"--nnodes {world // per_node} " if per_node != world else ""
    return f"torchrun {nodes}--nproc_per_node {per_node} -m hvg {args}"


def given(args: argparse.Namespace, kind: str) -> dict[str, object]:
    """The `kind` ("size" or "option") flags that were given, by the name the model or its
    recipe takes (the flags default to absent, so the model's own defaults hold)."""
    prefix = f"{kind}."
    return {k.removeprefix(prefix): v for k, v in vars(args).items() if k.startswith(prefix)}


def training_settings(args: argparse.Namespace) -> dict[str, object]:
    """What `train` asks of `TrainConfig`, besides where to write: the run's length and data,
    the model's sizes and the recipe's options (given flags only); an option the model's
    recipe does not take is refused (hvg.run.check_options)."""
    options = given(args, "option")
    check_options(args.model, options)
    settings = {
        "steps": args.steps,
        "seed": args.seed,
        "batch_size": args.batch_size,
        "image_size": args.image_size,
        "limit": args.limit,
        "sizes": given(args, "size"),
        "options": options,
    }
    return {k: v for k, v in settings.items() if v not in (None, {})}


def dataset_name(name: str, channels: int | None = None, skip_unreadable: bool = False) -> str:
    """A data set's name as checkpoints record it: a registry name, or a folder's
    `folder:/absolute/path[?options]` with `--channels` and `--skip-unreadable` in it."""
    if is_folder(name):
        folder = Folder.parse(name)
        return dataclasses.replace(
            folder,
            channels=channels or folder.channels,
            skip_unreadable=skip_unreadable or folder.skip_unreadable,
        ).name
    if name not in DATASETS:
        raise ValueError(
            f"unknown data set {name!r}: choose one of {', '.join(sorted(DATASETS))}, or "
            "folder:PATH (any folder of images)"
        )
    if channels is not None or skip_unreadable:
        raise ValueError("--channels and --skip-unreadable apply to folder:PATH data sets only")
    return name


def short_name(dataset: str) -> str:
    """The data set's part of a checkpoint's file name: its name, or folder-NAME for a folder."""
    return Folder.parse(dataset).short if is_folder(dataset) else dataset


def check_resumable(checkpoint: Path, dataset: str) -> None:
    """Refuse to resume a checkpoint trained on another data set (another folder, same name)."""
    recorded = read_metadata(checkpoint).get("dataset", dataset) if checkpoint.exists() else dataset
    if recorded != dataset:
        raise ValueError(
            f"{checkpoint} was trained on {recorded}, not {dataset}: pass another --out to "
            "train a new model (or the same data set to resume)"
        )


def train(args: argparse.Namespace) -> None:
    """Train a model into OUT/MODEL-DATASET.safetensors, resuming if that file exists."""
    dataset = dataset_name(args.dataset, args.channels, args.skip_unreadable)
    checkpoint = Path(args.out) / f"{args.model}-{short_name(dataset)}.safetensors"
    check_resumable(checkpoint, dataset)
    config = TrainConfig(
        dataset=dataset,
        checkpoint=checkpoint,
        every=args.checkpoint_every,
        sample_every=args.sample_every,
        sample_dir=beside(checkpoint, "samples"),
        keep_every=args.keep_every,
        keep_dir=beside(checkpoint, "steps"),
        command=launch_command(args.argv),
        **training_settings(args),
    )
    _, history = train_model(args.model, config)
    if distributed.is_main():
        last = history[-1]
        final = ", ".join(f"{k} {v:.3g}" for k, v in last.items() if k not in ("step", "seconds"))
        print(f"wrote {checkpoint} at step {len(history)} after {last['seconds']:.0f} s ({final})")


def beside(checkpoint: Path, what: str) -> Path:
    """The folder next to a checkpoint for what training writes along the way:
    OUT/MODEL-DATASET-samples/ (`--sample-every`) or OUT/MODEL-DATASET-steps/ (`--keep-every`)."""
    return checkpoint.with_name(f"{checkpoint.stem}-{what}")


SIZE_HELP = {  # what each size means; the defaults come from the models' constructors
    "latent_dim": "size of z",
    "width": "channel width",
    "code_dim": "size of the VAE's code",
    "noise_dim": "size of the GAN noise",
    "num_classes": "number of classes",
    "ema": "average the generator's weights over about the last N steps and draw with it (0: off)",
    "spectral_norm": "spectral normalisation in the discriminator, in place of batch norm",
    "arch": "the networks: the course's own, or the InfoGAN ones behind the published MNIST "
    "numbers (infogan-512: their FC layers 512 wide, half the parameters)",
}


def by_model(defaults: dict[str, object]) -> str:
    """{model: default} as "vae 16; dcgan 100; ...": models with the same default together."""
    groups: dict[str, list[str]] = {}
    for model, default in defaults.items():
        groups.setdefault("off" if default is None else str(default), []).append(model)
    return "; ".join(f"{', '.join(models)} {value}" for value, models in groups.items())


def option_fields() -> list[dataclasses.Field]:
    """Every recipe option that is a flag (hvg.recipes.base.option), once per name."""
    fields: dict[str, dataclasses.Field] = {}
    for registered in REGISTRY.values():
        for spec in dataclasses.fields(registered.options):
            if "help" in spec.metadata:
                fields.setdefault(spec.name, spec)
    return list(fields.values())


def add_model_flags(t: argparse.ArgumentParser) -> None:
    """A flag for each size of any registered model and each option of any recipe, with each
    model's default in its help; absent unless given, so the model's own defaults hold."""
    g = t.add_argument_group("model sizes (default: the model's own)")
    for size in dict.fromkeys(size for e in REGISTRY.values() for size in e.sizes()):
        defaults = {m: e.sizes()[size] for m, e in REGISTRY.items() if size in e.sizes()}
        common = {"dest": f"size.{size}", "default": argparse.SUPPRESS}
        if all(isinstance(d, bool) for d in defaults.values()):  # a switch, as a bool option's
            used_by = f"{SIZE_HELP.get(size, size)} ({', '.join(defaults)})"
            common.update(
                action="store_const", const=not next(iter(defaults.values())), help=used_by
            )
        elif all(isinstance(d, str) for d in defaults.values()):  # one of its choices
            choices = size_choices(size)
            common.update(
                choices=choices, help=f"{SIZE_HELP.get(size, size)} ({by_model(defaults)})"
            )
        else:
            common.update(
                type=int, metavar="N", help=f"{SIZE_HELP.get(size, size)} ({by_model(defaults)})"
            )
        g.add_argument("--" + size.replace("_", "-"), **common)
    g = t.add_argument_group(
        "recipe options (default: the recipe's own; the VAE-GAN's follow the paper)"
    )
    for option in option_fields():
        defaults = {
            m: e.defaults()[option.name] for m, e in REGISTRY.items() if option.name in e.defaults()
        }
        common = {"dest": f"option.{option.name}", "default": argparse.SUPPRESS}
        kind = option_type(option)
        if kind is bool:  # a switch to the opposite of the default
            used_by = f"{option.metadata['help']} ({', '.join(defaults)})"
            common.update(action="store_const", const=not option.default, help=used_by)
        else:
            choices = option.metadata["choices"]
            common.update(
                type=kind,
                choices=choices,
                metavar=None if choices else kind.__name__.upper(),
                help=f"{option.metadata['help']} ({by_model(defaults)})",
            )
        g.add_argument(flag_of(option), **common)


def size_choices(size: str) -> tuple[str, ...]:
    """The values a str size may take: the `Literal[...]` its constructors annotate it with
    (hvg.models.infogan.Arch), the same for every model that takes it."""
    for registered in REGISTRY.values():
        if size in registered.sizes():
            hint = typing.get_type_hints(registered.model.__init__)[size]
            if typing.get_origin(hint) is not typing.Literal:
                raise TypeError(f"{size}: annotate it Literal[...] with the values it may take")
            return typing.get_args(hint)
    raise ValueError(f"no registered model has a size {size!r}")


def option_type(option: dataclasses.Field) -> type:
    """The type a flag's value converts to: the field's type, without `| None`."""
    owner = next(e.options for e in REGISTRY.values() if option in dataclasses.fields(e.options))
    hint = typing.get_type_hints(owner)[option.name]
    return next(k for k in typing.get_args(hint) or (hint,) if k is not type(None))


def generative(checkpoint: str) -> torch.nn.Module:
    """The model of a checkpoint, refused unless it generates images (it `samples`)."""
    model = load_model(checkpoint)
    if not model.samples:
        raise ValueError(
            f"{checkpoint} holds a {model_name(model)}, which does not generate images: "
            "use a generative model's checkpoint (vae, dcgan, vaegan, fusion, denoiser)"
        )
    return model


def sample(args: argparse.Namespace) -> None:
    """Draw images from a checkpoint's prior and save them as uint8 (N, C, H, W) in an npz."""
    if args.n < 1:
        raise ValueError(f"-n must be at least 1, got {args.n}")
    model = with_prior(generative(args.checkpoint), args)
    generator = torch.Generator().manual_seed(args.seed)
    images = model.sample(args.n, generator=generator, **class_labels(model, args))
    out = write_npz(images, args.output)
    print(f"wrote {args.n} images of shape {tuple(images.shape[1:])} to {out}")


def with_prior(model: torch.nn.Module, args: argparse.Namespace) -> torch.nn.Module:
    """The model, drawing its codes from --prior: "normal" (N(0, I), as trained), "expost:K",
    a K-component Gaussian mixture fitted to its training images' codes, or
    "two-stage[:STEPS]", a second VAE fitted to them for STEPS steps (hvg.priors)."""
    if args.prior == "normal":
        return model
    kind, colon, number = args.prior.partition(":")
    count = int(number) if number.isdigit() and int(number) >= 1 else None
    if not (kind == "expost" and count) and not (kind == "two-stage" and (count or not colon)):
        raise ValueError(
            f"--prior must be normal or expost:K with K a positive int (expost:20), or "
            f"two-stage[:STEPS] with STEPS a positive int (two-stage:3000), got {args.prior!r}"
        )
    if not model.encodes or model.uses_labels:
        raise ValueError(
            f"--prior {kind} needs an unconditional model with an encoder (vae, vaegan, "
            f"fusion); {args.checkpoint} holds a {model_name(model)}: leave --prior out"
        )
    dataset = read_metadata(args.checkpoint).get("dataset", "mnist")
    if kind == "expost":
        print(
            f"fitting a {count}-component Gaussian mixture to the codes of the {dataset} "
            "training images"
        )
        return expost_prior(model, count, dataset)
    steps = count or TWO_STAGE_STEPS
    print(
        f"fitting a 2-stage VAE prior ({steps} steps) to the codes of the {dataset} training images"
    )
    return two_stage_prior(model, steps, dataset)


def add_prior_flag(p: argparse.ArgumentParser) -> None:
    """--prior: where the codes come from, N(0, I), an ex-post mixture or a second VAE
    (hvg.priors)."""
    p.add_argument(
        "--prior",
        default="normal",
        metavar="normal|expost:K|two-stage[:STEPS]",
        help="the codes' distribution: normal, N(0, I) (the default); expost:K, a K-component "
        "Gaussian mixture fitted to the training codes (Ghosh et al. 2020; "
        "bench/expost_prior.json chose K=20 on MNIST); or two-stage, a second small VAE fitted "
        f"to them for STEPS steps ({TWO_STAGE_STEPS}), the 2-Stage VAE (Dai & Wipf 2019); "
        "the last two for unconditional models with an encoder (vae, vaegan, fusion)",
    )


def class_labels(model: torch.nn.Module, args: argparse.Namespace) -> dict[str, torch.Tensor]:
    """`sample`'s labels: --label K for a conditional model (without it, classes cycle 0, 1,
    ...); a clear error for --label with a model that takes none, or a class it lacks."""
    if args.label is None:
        return {}
    if not model.uses_labels:
        raise ValueError(
            f"--label needs a conditional model (cvae, cgan, cvaegan); {args.checkpoint} holds "
            f"a {model_name(model)}, which draws no chosen class: leave --label out"
        )
    if not 0 <= args.label < model.num_classes:
        raise ValueError(f"--label must be from 0 to {model.num_classes - 1}, got {args.label}")
    return {"labels": torch.full((args.n,), args.label)}


def denoise(args: argparse.Namespace) -> None:
    """Denoise the uint8 (N, C, H, W) `images` of an npz file, or a folder's images read at the
    model's channels and size, with a denoiser checkpoint."""
    model = load_model(args.checkpoint).eval()
    if not model.denoises:
        raise ValueError(
            f"{args.checkpoint} holds a {model_name(model)}, which cannot denoise: use a denoiser "
            "(checkpoints/denoiser-mnist.safetensors, or `python -m hvg train denoiser`)"
        )
    channels, size = model.config["channels"], model.config["image_size"]
    if args.dataset is None:
        noisy, what = read_npz(args.input, channels, size), ""
    elif is_folder(args.dataset):
        folder = dataset_name(args.dataset, channels, args.skip_unreadable)
        noisy = load_folder(folder, args.split, size)[0]
        what = f" (the {args.split!r} images of {Folder.parse(folder).root}, in path order)"
    else:
        raise ValueError(
            f"denoise --dataset takes folder:PATH (a folder of your images), not "
            f"{args.dataset!r}: for other images, save them in an npz file for -i"
        )
    clean = denoise_batched(model.denoise, noisy)
    print(f"wrote {len(clean)} denoised images{what} to {write_npz(clean, args.output)}")


def evaluate(args: argparse.Namespace) -> None:
    """Score a generative checkpoint's samples against a data set's real images (FID,
    precision, recall, F1, IS): print one metric a line, and write them as JSON if asked."""
    from hvg.metrics import evaluate as scores  # here: a second of imports the rest never needs

    model = with_prior(generative(args.checkpoint), args)
    dataset = args.dataset or read_metadata(args.checkpoint).get("dataset")
    if dataset is None:
        raise ValueError(f"{args.checkpoint} records no data set: pass --dataset")
    folder = is_folder(dataset)
    dataset = dataset_name(
        dataset, model.config["channels"] if folder else None, args.skip_unreadable
    )
    features = args.features or ("inception" if folder else "domain")
    if folder and features == "domain":
        raise ValueError(
            "a folder has no domain classifier: use --features inception (the default for folders)"
        )
    size = model.config["image_size"]
    n = args.n if args.n is not None else min(10_000, len(split_images(dataset, args.split, size)))
    try:
        metrics = scores(model, dataset, n, features, args.split, seed=args.seed, with_kid=True)
    except FileNotFoundError as err:  # no domain classifier shipped for this data set
        raise ValueError(str(err)) from None
    for key, value in metrics.items():
        print(f"{key}: {value:.4g}" if isinstance(value, float) else f"{key}: {value}")
    if args.json:
        Path(args.json).write_text(json.dumps(metrics, indent=2) + "\n")
        print(f"wrote {args.json}")


def select(args: argparse.Namespace) -> None:
    """Score a run's kept weights on the validation digits (hvg.selection), print the table
    and the best file; write the scores as JSON and copy the best file if asked."""
    from hvg.selection import select_checkpoint  # here: the metrics' imports cost a second

    chosen = select_checkpoint(args.folder, args.n, args.dataset, seed=args.seed, progress=True)
    what = f"{chosen.reference} {chosen.split} images of {chosen.dataset}"
    print(f"features: {chosen.features}\nagainst: {what}")
    print(chosen.table())
    print(f"best: {chosen.best}")
    if args.json:
        Path(args.json).write_text(json.dumps(chosen.as_dict(), indent=2) + "\n")
        print(f"wrote {args.json}")
    if args.copy:
        shutil.copyfile(chosen.best, args.copy)
        print(f"copied {chosen.best} to {args.copy}")


def without_average(command: str) -> str:
    """A training command less its `--ema N`: the weight average leaves the live run bit for bit
    as it is without one, so this command trains the generator that `--without-average` ships."""
    words, kept = iter(shlex.split(command)), []
    for word in words:
        if word == "--ema":
            next(words, None)
        elif not word.startswith("--ema="):
            kept.append(word)
    return shlex.join(kept)


def export(args: argparse.Namespace) -> None:
    """Copy a training checkpoint's weights, history and command, without optimizer state."""
    metadata = read_metadata(args.checkpoint)
    kept = ("dataset", "command", "step", "world_size", "trained_as", "without")
    info = {k: metadata[k] for k in kept if k in metadata}
    model = load_model(args.checkpoint)
    if args.without_average:
        if getattr(model, "generator_ema", None) is None:
            raise ValueError(
                f"{args.checkpoint} keeps no weight average (train with --ema N): leave "
                "--without-average out"
            )
        model = model.live()
        info = {**info, "command": without_average(info["command"]), "trained_as": info["command"]}
    if args.without_discriminator:
        if "without" in info:
            raise ValueError(
                f"{args.checkpoint} was exported without its {info['without']} already: "
                "leave --without-discriminator out"
            )
        model = drop_parts(model, ["discriminator"], args.checkpoint)
        info = {**info, "without": "discriminator"}
    out = save_model(model, args.output, load_history(args.checkpoint), **info)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, weights only)")


def parser() -> argparse.ArgumentParser:
    """The argument parser, with one sub-command per action."""
    root = argparse.ArgumentParser(prog="python -m hvg", description=__doc__.splitlines()[0])
    commands = root.add_subparsers(dest="command", required=True)

    t = commands.add_parser(
        "train",
        help="train a model and save a checkpoint",
        description="Train MODEL on a data set, on the GPU if there is one. The training state "
        "is saved to OUT/MODEL-DATASET.safetensors every --checkpoint-every steps and at the "
        "end; run the same command again to resume an interrupted run (or to train further "
        "with a larger --steps). Runs unchanged under `torchrun --nproc_per_node K -m hvg "
        "train ...`: K processes (one per GPU, or gloo on the CPU) train one model with "
        "gradients averaged over them, each on its own shard of the data; resume with the same K.",
    )
    t.add_argument("model", choices=sorted(REGISTRY), help="which model to train")
    t.add_argument(
        "--dataset",
        default="mnist",
        help=f"{', '.join(sorted(DATASETS))}, or folder:PATH, any folder of images (hvg.folder: "
        "a sub-folder per class or flat; split 80/10/10 by a hash of each file's path) (mnist)",
    )
    t.add_argument(
        "--channels",
        type=int,
        choices=(1, 3),
        default=None,
        help="read a folder as grayscale (1) or RGB (3) (1 if all its images are gray, else 3)",
    )
    add_skip_flag(t)
    t.add_argument("--out", required=True, help="folder for the checkpoint (and sample grids)")
    t.add_argument("--steps", type=int, default=10_000, help="train until this step (10000)")
    t.add_argument(
        "--batch-size",
        type=int,
        default=128,
        help="images per step and process (128); under torchrun K processes see K times as many",
    )
    t.add_argument(
        "--image-size", type=int, default=None, help="side in pixels (native; a folder's: 32)"
    )
    t.add_argument("--limit", type=int, default=None, help="use only the first N images")
    t.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed for weights, data order and noise (0); process r of K draws noise from seed+r",
    )
    t.add_argument("--checkpoint-every", type=int, default=500, help="steps between saves (500)")
    t.add_argument(
        "--sample-every",
        type=int,
        default=0,
        metavar="N",
        help="every N steps, save 16 samples from fixed codes as a PNG grid in "
        "OUT/MODEL-DATASET-samples/step-NNNNNN.png (0: never, the default)",
    )
    t.add_argument(
        "--keep-every",
        type=int,
        default=0,
        metavar="N",
        help="every N steps, keep a weights-only copy with its history entry (step, seconds) "
        "in OUT/MODEL-DATASET-steps/step-NNNNNN.safetensors (0: never, the default)",
    )
    add_model_flags(t)
    t.set_defaults(run=train)

    s = commands.add_parser("sample", help="draw images from a checkpoint into an npz file")
    s.add_argument("checkpoint", help="a checkpoint written by `train` (or a shipped one)")
    s.add_argument("-n", type=int, default=64, help="number of images (64)")
    s.add_argument("-o", "--output", required=True, help="npz file; key `images`, uint8 NCHW")
    s.add_argument("--seed", type=int, default=0, help="seed for the prior draws (0)")
    s.add_argument(
        "--label",
        type=int,
        default=None,
        metavar="K",
        help="a conditional model's class to draw (cvae, cgan, cvaegan); default: every class "
        "in turn, 0, 1, ...",
    )
    add_prior_flag(s)
    s.set_defaults(run=sample)

    d = commands.add_parser(
        "denoise",
        help="denoise the images of an npz file or a folder with a denoiser checkpoint",
        description="Read uint8 images (N, C, H, W) at the model's size from the key `images` "
        "of INPUT, or the images of a folder (--dataset folder:PATH, read at the model's "
        "channels and size), denoise them, and write them as uint8 (N, C, H, W) to OUTPUT.",
    )
    d.add_argument("checkpoint", help="a denoiser (e.g. checkpoints/denoiser-mnist.safetensors)")
    source = d.add_mutually_exclusive_group(required=True)
    source.add_argument("-i", "--input", help="npz file of noisy images, key `images`")
    source.add_argument("--dataset", help="folder:PATH, a folder of images to denoise")
    d.add_argument(
        "--split", default="all", choices=SPLITS, help="which of the folder's images (all)"
    )
    add_skip_flag(d)
    d.add_argument("-o", "--output", required=True, help="npz file to write, key `images`")
    d.set_defaults(run=denoise)

    v = commands.add_parser(
        "evaluate",
        help="score a generative checkpoint: FID, precision, recall, F1, IS",
        description="Draw N images from CHECKPOINT and compare them with N real images of a "
        "split, all of it or N at random (seed 0) (hvg.metrics.evaluate): FID, KID, precision, "
        "recall, F1, IS. Real features are cached on disk.",
    )
    v.add_argument("checkpoint", help="a generative model's checkpoint")
    v.add_argument("--dataset", help="the real images (the data set the checkpoint records)")
    v.add_argument(
        "--features",
        choices=("domain", "inception"),
        default=None,
        help="domain: the data set's shipped classifier (fast); inception: TF-Inception, the "
        "published metrics (domain; inception for a folder, which has no classifier)",
    )
    v.add_argument(
        "-n", type=int, default=None, help="images of each kind (the split's, at most 10000)"
    )
    v.add_argument(
        "--split",
        default="test",
        help="the split of real images (test); validation: training images 55,000 on",
    )
    v.add_argument("--seed", type=int, default=0, help="seed for the model's draws (0)")
    v.add_argument("--json", metavar="OUT", help="also write the metrics to this JSON file")
    add_prior_flag(v)
    add_skip_flag(v)
    v.set_defaults(run=evaluate)

    c = commands.add_parser(
        "select",
        help="choose a run's kept weights by domain FID on validation digits",
        description="Score every checkpoint in FOLDER (the weights `train --keep-every N` keeps "
        "in OUT/MODEL-DATASET-steps/) by the FID of N samples against N validation images, "
        "MNIST's training images 55,000 on, through the data set's domain classifier "
        "(hvg.selection); print the scores per step and the best file. The test set is never "
        "read. A model trained on all 60,000 training digits has seen these ones: train with "
        "--limit 55000 to hold them out.",
    )
    c.add_argument("folder", help="a run's OUT/MODEL-DATASET-steps/ folder")
    c.add_argument(
        "-n", type=int, default=5000, help="images of each kind (5000: all the validation digits)"
    )
    c.add_argument("--dataset", help="the run's data set (what its checkpoint records, else mnist)")
    c.add_argument("--seed", type=int, default=0, help="seed for the models' draws (0)")
    c.add_argument("--json", metavar="OUT", help="also write the scores to this JSON file")
    c.add_argument("--copy", metavar="FILE", help="copy the best weights to this file")
    c.set_defaults(run=select)

    e = commands.add_parser(
        "export",
        help="write a weights-only copy of a checkpoint (for shipping)",
        description="Drop the optimizer and random state (about two thirds of a training "
        "checkpoint) and keep weights, config, history and the command that trained it.",
    )
    e.add_argument("checkpoint", help="a checkpoint written by `train`")
    e.add_argument("-o", "--output", required=True, help="the .safetensors file to write")
    e.add_argument(
        "--without-average",
        action="store_true",
        help="drop a DCGAN's weight average (--ema) and keep the generator itself",
    )
    e.add_argument(
        "--without-discriminator",
        action="store_true",
        help="drop a hybrid's discriminator (sampling, encoding and reconstructing do not "
        "use it; it is over half a fusion model's weights)",
    )
    e.set_defaults(run=export)
    return root


def add_skip_flag(p: argparse.ArgumentParser) -> None:
    """--skip-unreadable: a folder's unreadable files are skipped with a warning, not fatal."""
    p.add_argument(
        "--skip-unreadable",
        action="store_true",
        help="skip a folder's unreadable image files, each with a warning (default: stop, "
        "naming the file)",
    )


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
    args.argv = sys.argv[1:] if argv is None else list(argv)
    try:
        with distributed.launched() if args.run is train else contextlib.nullcontext():
            # run() handles its errors: no traceback keeps DDP wrappers alive past the group
            return run(args)
    except ValueError as err:  # from joining: more processes than GPUs
        print(f"error: {err}", file=sys.stderr)
        return 2
