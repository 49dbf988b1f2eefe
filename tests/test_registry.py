"""The registry: every registered model trains, saves and samples from the CLI, and the CLI's
flags and their help come from the registrations."""

import dataclasses
import re

import numpy as np
import pytest

from hvg.checkpoints import load_model, read_metadata
from hvg.cli import main, parser, training_settings
from hvg.registry import REGISTRY, build_model, model_name

SMALL = {
    "latent_dim": 4,
    "width": 4,
    "code_dim": 4,
    "noise_dim": 2,
    "num_classes": 10,
    "ema": 2,
    "arch": "course",  # tests/test_capacity.py trains the other sizes
}


def small_sizes(name: str) -> list[str]:
    """Flags that make `name` as small as its constructor allows, for a quick run; each switch
    (a size that is True or False) given, so that its other branch runs too."""
    flags = []
    for size, default in REGISTRY[name].sizes().items():
        flag = f"--{size.replace('_', '-')}"
        flags += [flag] if isinstance(default, bool) else [flag, str(SMALL.get(size, default))]
    return flags


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_registered_model_trains_saves_and_samples_from_the_cli(name, tmp_path, capsys):
    tiny = ["--steps", "2", "--batch-size", "8", "--limit", "16", *small_sizes(name)]
    assert main(["train", name, *tiny, "--out", str(tmp_path)]) == 0
    checkpoint = tmp_path / f"{name}-mnist.safetensors"
    assert read_metadata(checkpoint)["hvg_model"] == name
    model = load_model(checkpoint, expect=name)
    assert model_name(model) == name and build_model(name, **model.config).config == model.config
    out = tmp_path / "samples.npz"
    status = main(["sample", str(checkpoint), "-n", "3", "-o", str(out)])
    if hasattr(model, "sample"):
        assert status == 0
        assert np.load(out)["images"].shape == (3, 1, 28, 28)
    else:  # the classifier: refused, with the reason
        assert status == 2 and "does not generate images" in capsys.readouterr().err


def test_every_size_and_recipe_option_is_a_flag_with_each_models_default(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "10000")  # one line per flag
    with pytest.raises(SystemExit):
        parser().parse_args(["train", "--help"])
    lines: dict[str, str] = {}  # flag -> its help, which may start on the next line
    flag = ""
    for line in capsys.readouterr().out.splitlines():
        if line.startswith("  --"):
            flag = line.split()[0]
        lines[flag] = lines.get(flag, "") + " " + line.strip()
    for name, registered in REGISTRY.items():
        for size, default in registered.sizes().items():
            line = lines["--" + size.replace("_", "-")]
            assert re.search(rf"[ (]{name}[ ,;)]", line), (name, line)
            assert isinstance(default, bool) or f" {default}" in line, (name, line)
        for option in dataclasses.fields(registered.options):
            if "help" in option.metadata:
                flag = option.metadata["flag"] or "--" + option.name.replace("_", "-")
                assert re.search(rf"[ (]{name}[ ,;)]", lines[flag]), (name, lines[flag])


def test_given_flags_reach_the_recipe_and_others_keep_its_defaults():
    args = parser().parse_args(
        ["train", "fusion-progressive", "--fusion-start", "3", "--d-skips-recon", "--out", "x"]
    )
    assert training_settings(args)["options"] == {"start": 3, "d_sees_recon": False}
    bare = parser().parse_args(["train", "vaegan", "--out", "x"])
    assert "options" not in training_settings(bare)


def test_an_unknown_model_names_the_registered_ones():
    with pytest.raises(ValueError, match="unknown model 'gan': choose one of cgan, classifier"):
        build_model("gan")
