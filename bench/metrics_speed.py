"""Metric speed on this CPU: the domain evaluation of 10k generated vs 10k real MNIST images
(cold, with the real features computed, and warm, read from the cache), its parts, and
TF-Inception's throughput, from which an Inception FID's cost follows.

Run: python bench/metrics_speed.py [--n N] [--inception-images M] [--repeats R] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable

import torch

from hvg.course.pretrained import load_pretrained
from hvg.metrics import Inception, evaluate, fid, load_domain, precision_recall, real_images
from hvg.metrics.extractor import embed


def seconds(run: Callable[[], object], repeats: int) -> float:
    """Median wall-clock seconds of `run()` over `repeats` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def domain_timings(n: int, repeats: int) -> dict[str, float]:
    """evaluate(DCGAN, n, "domain") cold and warm, and the cost of each of its parts."""
    dcgan, _ = load_pretrained("dcgan")
    with tempfile.TemporaryDirectory() as cache:
        run = {"n": n, "features": "domain", "cache_dir": cache, "progress": False}
        cold = seconds(lambda: evaluate(dcgan, **run), 1)  # the first call fills the cache
        warm = seconds(lambda: evaluate(dcgan, **run), repeats)
    extractor = load_domain("mnist")
    images = real_images("mnist", "test", n, None)
    batches = images.split(extractor.batch_size)  # a tuple: it can be iterated again
    features, _ = embed(extractor, batches, n, progress=False)
    fake = features[torch.randperm(n, generator=torch.Generator().manual_seed(0))] + 0.01
    return {
        "domain_evaluate_cold_s": cold,
        "domain_evaluate_warm_s": warm,
        "domain_embed_s": seconds(lambda: embed(extractor, batches, n, progress=False), repeats),
        "domain_sample_dcgan_s": seconds(lambda: dcgan.eval().sample(n), repeats),
        "domain_fid_from_features_s": seconds(lambda: fid(features, fake), repeats),
        "domain_precision_recall_s": seconds(lambda: precision_recall(features, fake), repeats),
    }


def inception_timings(count: int) -> dict[str, float | str]:
    """TF-Inception's images/s on `count` MNIST digits (after one warm-up batch)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fallback's warning; its name says the same
        extractor = Inception()
    images = real_images("mnist", "test", count + extractor.batch_size, None)
    warm_up, timed = images[: extractor.batch_size], images[extractor.batch_size :]
    embed(extractor, [warm_up], len(warm_up), progress=False)
    batches = timed.split(extractor.batch_size)
    rate = count / seconds(lambda: embed(extractor, batches, count, progress=False), 1)
    return {
        "inception_weights": extractor.name,
        "inception_images_per_s": rate,
        "inception_fid_10k_vs_10k_cold_min": 20_000 / rate / 60,
        "inception_fid_10k_vs_10k_cached_min": 10_000 / rate / 60,
    }


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--n", type=int, default=10_000, help="images per side (10000)")
    args.add_argument("--inception-images", type=int, default=100, help="Inception sample")
    args.add_argument("--repeats", type=int, default=3, help="median of this many runs")
    args.add_argument("--out", help="also write the results to this JSON file")
    opts = args.parse_args()
    torch.manual_seed(0)
    results = {
        "command": " ".join(["python bench/metrics_speed.py", *sys.argv[1:]]),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, "
        f"torch {torch.__version__}",
        "n": opts.n,
        "repeats (median reported)": opts.repeats,
        **domain_timings(opts.n, opts.repeats),
        **inception_timings(opts.inception_images),
    }
    results = {k: round(v, 2) if isinstance(v, float) else v for k, v in results.items()}
    text = json.dumps(results, indent=2)
    print(text)
    if opts.out:
        with open(opts.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
