"""Denoising, measured: the splits, the scores, the noise-level sweep, and image files in.

`sweep` is what bench/denoise_sweep.py and notebook 06 report: for each noise kind and level,
each classic filter tuned on a validation split (the last images of MNIST's training set) and
each learned denoiser, scored on the test set by PSNR, SSIM, MSE (hvg.metrics) and sharpness;
`distribution_fid` adds the distance between the outputs' and the clean digits' distributions.
`read_picture` turns a learner's picture into a digit, or says why not (npz files: hvg.files).
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterable

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from tqdm.auto import tqdm

from hvg.data import VALIDATION_START, load_dataset
from hvg.filters import FILTERS, apply_filter, tune
from hvg.metrics import Domain, embed, fid, load_domain, mse, psnr, sharpness, ssim
from hvg.noise import KINDS, LEVELS, corrupt

Denoise = Callable[[torch.Tensor], torch.Tensor]  # noisy [-1, 1] images -> denoised ones
Method = Callable[[torch.Tensor, str, float], torch.Tensor]  # (noisy, kind, level) -> denoised


def splits(n_val: int, n_test: int, dataset: str = "mnist") -> tuple[torch.Tensor, torch.Tensor]:
    """(validation images: the last `n_val` up to 5,000 of the training split from
    VALIDATION_START; test images: the first `n_test` of the test split)."""
    train, test = load_dataset(dataset, "train"), load_dataset(dataset, "test")
    if not 0 < n_val <= len(train) - VALIDATION_START or not 0 < n_test <= len(test):
        raise ValueError(
            f"n_val must be in 1..{len(train) - VALIDATION_START} and n_test in 1..{len(test)}"
        )
    val = torch.stack([train[VALIDATION_START + i][0] for i in range(n_val)])
    return val, torch.stack([test[i][0] for i in range(n_test)])


def score(denoised: torch.Tensor, clean: torch.Tensor) -> dict[str, float]:
    """PSNR (dB), SSIM, MSE ([-1, 1] units) against the clean images, and sharpness."""
    return {
        "psnr": psnr(denoised, clean),
        "ssim": ssim(denoised, clean),
        "mse": mse(denoised, clean),
        "sharpness": sharpness(denoised),
    }


def distribution_fid(
    denoised: torch.Tensor, clean: torch.Tensor, domain: Domain | None = None
) -> float:
    """Domain FID between the denoised images and the clean ones (notebook 05's features):
    whether the outputs are distributed like digits, whichever digit each is. This is the
    perceptual side of Blau & Michaeli's (2018) trade-off; PSNR and SSIM are the distortion."""
    domain = domain or load_domain("mnist")
    features = [embed(domain, x.split(500), len(x), progress=False)[0] for x in (clean, denoised)]
    return fid(*features)


def denoise_batched(denoise: Denoise, noisy: torch.Tensor, size: int = 1000) -> torch.Tensor:
    """`denoise` applied `size` images at a time, without gradients: bounded memory."""
    with torch.no_grad():
        return torch.cat([denoise(chunk) for chunk in noisy.split(size)])


def sweep(
    models: dict[str, Denoise],
    val: torch.Tensor,
    test: torch.Tensor,
    kinds: Iterable[str] = KINDS,
    levels: Iterable[float] = LEVELS,
    filters: Iterable[str] = FILTERS,
    seed: int = 0,
    progress: bool = False,
) -> list[dict[str, object]]:
    """One row per (kind, level, method): the noisy input itself, each filter at its tuned
    parameter, each model; noise drawn from `seed` (validation) and `seed + 1` (test).
    `progress` shows a bar over the (kind, level) pairs."""
    rows: list[dict[str, object]] = []
    pairs = list(itertools.product(kinds, levels))
    for kind, level in tqdm(pairs, desc="sweep", disable=not progress):
        noisy_val = corrupt(val, kind, level, torch.Generator().manual_seed(seed))
        noisy = corrupt(test, kind, level, torch.Generator().manual_seed(seed + 1))
        where = {"kind": kind, "level": level}
        rows.append({**where, "method": "noisy input", **score(noisy, test)})
        for name in filters:
            best, _ = tune(name, noisy_val, val)
            out = apply_filter(name, noisy, best)
            rows.append({**where, "method": name, "parameter": best, **score(out, test)})
        for name, denoise in models.items():
            rows.append({**where, "method": name, **score(denoise_batched(denoise, noisy), test)})
    return rows


def sweep_table(rows: list[dict[str, object]], kind: str, score: str = "psnr") -> str:
    """A sweep's `score` for one noise kind as a Markdown table: a line per level, a column
    per method."""
    mine = [r for r in rows if r["kind"] == kind]
    methods = list(dict.fromkeys(r["method"] for r in mine))
    fmt = "{:.2f}" if score == "psnr" else "{:.3f}"
    lines = [f"| {kind} level | " + " | ".join(methods) + " |", "|---" * (len(methods) + 1) + "|"]
    for level in dict.fromkeys(r["level"] for r in mine):
        cells = {r["method"]: fmt.format(r[score]) for r in mine if r["level"] == level}
        lines.append(f"| {level} | " + " | ".join(cells[m] for m in methods) + " |")
    return "\n".join(lines)


def tuned_parameters(rows: list[dict[str, object]]) -> dict[tuple[str, str, float], float]:
    """{(filter, kind, level): parameter} from a sweep's rows."""
    return {
        (str(r["method"]), str(r["kind"]), float(r["level"])): float(r["parameter"])  # type: ignore[arg-type]
        for r in rows
        if "parameter" in r
    }


def filter_method(name: str, parameters: dict[tuple[str, str, float], float]) -> Method:
    """A filter at its tuned parameter for the noise at hand (levels rounded to 0.1)."""

    def run(noisy: torch.Tensor, kind: str, level: float) -> torch.Tensor:
        key = (name, kind, round(level, 1))
        if key not in parameters:
            raise ValueError(f"no tuned parameter for {name} at {kind} {level:.1f}: run `tune`")
        return apply_filter(name, noisy, parameters[key])

    return run


def model_method(model: torch.nn.Module) -> Method:
    """A learned denoiser: one model for every kind and level."""
    return lambda noisy, kind, level: model.denoise(noisy)  # type: ignore[operator]


def read_picture(data: bytes, size: int = 28) -> torch.Tensor:
    """An uploaded picture (PNG, JPEG...) as one grayscale digit (1, 1, size, size) in
    [-1, 1]: resized to `size`, and inverted if it is dark on light (MNIST is light on dark)."""
    try:
        picture = Image.open(io.BytesIO(data))
        picture.load()
    except (UnidentifiedImageError, OSError) as err:
        raise ValueError(
            "that file is not an image this can read: upload a PNG or JPEG picture"
        ) from err
    gray = np.asarray(picture.convert("L").resize((size, size), Image.LANCZOS), dtype=np.float32)
    gray = gray / 255.0
    if gray.mean() > 0.5:  # dark strokes on a light page
        gray = 1.0 - gray
    return torch.from_numpy(gray * 2 - 1)[None, None]
