"""The fast "domain" extractor: the shipped MNIST classifier in place of Inception.

Inception was trained on photographs; MNIST digits upsampled to 299x299 are far from them, and
on two CPU cores it embeds about 7 images a second. A small classifier trained on the data set
itself sees what matters there (stroke shapes, which digit) and embeds thousands of images a
second. Its numbers are on their own scale: compare domain FIDs with domain FIDs, never with
Inception FIDs or with papers.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch

from hvg.checkpoints import CHECKPOINT_DIR, load_model, pretrained_path
from hvg.data import get_dataloader
from hvg.metrics.extractor import Embedding, Extractor
from hvg.models.base import device_of
from hvg.models.classifier import Classifier


def _sha256(path: Path) -> str:
    """The SHA-256 of a file, in hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Domain(Extractor):
    """A data set's classifier: its penultimate layer as features, its logits for the IS."""

    batch_size = 1000

    def __init__(self, classifier: Classifier, name: str, key: str) -> None:
        super().__init__()
        self.classifier = classifier.eval().requires_grad_(False)
        self.name, self.key = name, key
        self.dim = classifier.feature_dim
        self.image_size = classifier.config["image_size"]
        self.channels = classifier.config["channels"]

    def forward(self, images: torch.Tensor) -> Embedding:
        features = self.classifier.features(images)
        return features, self.classifier.head(features)


def load_domain(dataset: str = "mnist", directory: Path = CHECKPOINT_DIR) -> Domain:
    """The domain extractor of `dataset`, from its classifier checkpoint in `directory`.

    Its key holds the start of the checkpoint's SHA-256, so statistics cached with other
    weights are never reused.
    """
    path = pretrained_path("classifier", dataset, directory)
    if not path.is_file():
        raise FileNotFoundError(
            f"no domain classifier for {dataset} at {path}: train one with `python -m hvg "
            f"train classifier --dataset {dataset} --out runs`, export it there with `python "
            f"-m hvg export runs/classifier-{dataset}.safetensors -o {path}`, or use "
            'features="inception"'
        )
    digest = _sha256(path)[:12]
    classifier = load_model(path, expect="classifier")
    name = f"domain: the {dataset} classifier {path.name} (sha256 {digest})"
    return Domain(classifier, name, f"domain-{dataset}-{digest}")


@torch.no_grad()
def classifier_accuracy(
    model: Classifier | str | Path, dataset: str = "mnist", split: str = "test"
) -> float:
    """The fraction of `split`'s images that `model` (or the checkpoint at that path) labels
    correctly, in eval mode."""
    if not isinstance(model, Classifier):
        model = load_model(model, expect="classifier")
    model.eval()
    size = model.config["image_size"]
    loader = get_dataloader(dataset, size, split, batch_size=1000, shuffle=False)
    correct = sum(
        (model(x.to(device_of(model))).argmax(1).cpu() == y).sum().item() for x, y in loader
    )
    return correct / len(loader.dataset)
