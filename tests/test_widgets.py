"""Widget callbacks, driven headless: set a control's value, the image must change."""

import base64
import datetime
import io
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from IPython.core.formatters import DisplayFormatter
from PIL import Image

from hvg.course import widgets
from hvg.course.widgets import (
    DenoiseExplorer,
    Interpolation,
    LatentSliders,
    ReconstructionPicker,
    SampleRanking,
    SeedPicker,
    SideBySide,
    SnapshotSlider,
    StyleSliders,
    Translator,
)
from hvg.denoising import filter_method
from hvg.files import png_bytes
from hvg.metrics import psnr
from hvg.models import VAE, ConditionalVAE
from hvg.models.conditional import translate
from hvg.noise import corrupt


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return VAE(latent_dim=8).eval()


def test_sliders_redraw_the_image(model):
    codes = torch.randn(200, 8, generator=torch.Generator().manual_seed(1))
    view = LatentSliders(model.decode, codes, n_sliders=3)
    assert len(view.sliders) == 3
    at_mean = view.image.value
    assert bytes(at_mean).startswith(b"\x89PNG")
    assert torch.allclose(view.latent(), codes.mean(0), atol=1e-6)
    view.sliders[0].value = 2.5
    assert view.image.value != at_mean
    view.sliders[0].value = 0.0
    assert view.image.value == at_mean


def test_a_displayed_view_carries_its_picture_for_readers_without_a_kernel(model):
    codes = torch.randn(200, 8, generator=torch.Generator().manual_seed(1))
    view = LatentSliders(model.decode, codes, n_sliders=3)
    data, _ = DisplayFormatter().format(view)
    assert "application/vnd.jupyter.widget-view+json" in data  # the live widget, first
    assert base64.b64decode(data["image/png"]) == view.image.value  # and its picture
    view.sliders[0].value = 2.5
    data, _ = DisplayFormatter().format(view)
    assert base64.b64decode(data["image/png"]) == view.image.value  # as it is shown now


VIEWS = tuple(
    name
    for name, kind in vars(widgets).items()
    if isinstance(kind, type) and issubclass(kind, widgets.View) and kind is not widgets.View
)


@pytest.mark.parametrize(
    "path", sorted(Path(__file__).parents[1].glob("notebooks/0*.ipynb")), ids=lambda p: p.name
)
def test_every_view_in_the_notebooks_is_saved_with_its_picture(path):
    outputs = [
        o.data
        for c in nbformat.read(path, as_version=4).cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type in ("display_data", "execute_result")
    ]
    views = [d for d in outputs if d.get("text/plain", "").startswith(VIEWS)]
    assert all("image/png" in d for d in views), f"re-run {path.name}: a view has no picture"


def test_slider_moves_along_its_principal_direction(model):
    codes = torch.randn(500, 8) * torch.tensor([5.0, 1, 1, 1, 1, 1, 1, 0.1])
    view = LatentSliders(model.decode, codes, n_sliders=2)
    view.sliders[0].value = 1.0
    step = view.latent() - view.mean
    assert step.abs().argmax() == 0  # the widest axis comes first
    assert torch.allclose(step.norm(), view.stds[0], rtol=1e-5)


def test_interpolation_walks_between_anchors(model):
    anchors = {"a": torch.zeros(8), "b": torch.ones(8), "c": -torch.ones(8)}
    view = Interpolation(model.decode, anchors, start="a", end="b")
    assert torch.equal(view.latent(), anchors["a"])
    first = view.image.value
    view.t.value = 1.0
    assert torch.equal(view.latent(), anchors["b"])
    assert view.image.value != first
    view.end.value = "c"
    assert torch.equal(view.latent(), anchors["c"])


def test_interpolation_needs_two_anchors(model):
    with pytest.raises(ValueError, match="at least two"):
        Interpolation(model.decode, {"only": torch.zeros(8)})


def test_seed_picker_redraws_and_repeats(model):
    view = SeedPicker(model.decode, latent_dim=8, n=4)
    first = bytes(view.image.value)
    assert torch.equal(
        view.latents(), torch.randn(4, 8, generator=torch.Generator().manual_seed(0))
    )
    view.seed.value = 7
    assert bytes(view.image.value) != first
    view.seed.value = 0
    assert bytes(view.image.value) == first


def test_reconstruction_picker_shows_input_and_each_reconstruction(model):
    images = torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(2)) * 2 - 1
    view = ReconstructionPicker(
        images,
        {"same": lambda x: x, "VAE": lambda x: model.decode(model.encode(x))},
        torch.arange(5),
    )
    row = view.row()
    assert row.shape == (3, 1, 28, 28) and torch.equal(row[0], images[0])
    assert "<b>same</b> MSE 0.000" in view.caption.value and "(a 0)" in view.caption.value
    first = bytes(view.image.value)
    view.index.value = 3
    assert torch.equal(view.row()[1], images[3]) and bytes(view.image.value) != first
    with pytest.raises(ValueError, match="at least one"):
        ReconstructionPicker(images, {})


def test_sample_ranking_shows_best_and_worst_of_the_chosen_model_and_score():
    images = {"a": torch.rand(20, 1, 28, 28) * 2 - 1, "b": torch.rand(20, 1, 28, 28) * 2 - 1}
    up, down = torch.arange(20.0), -torch.arange(20.0)
    view = SampleRanking(images, {"a": {"up": up, "down": down}, "b": {"only": up}}, n=3)
    best, worst = view.ranked()
    assert best.tolist() == [19, 18, 17] and worst.tolist() == [0, 1, 2]
    first = bytes(view.image.value)
    view.score.value = "down"
    assert view.ranked()[0].tolist() == [0, 1, 2] and bytes(view.image.value) != first
    view.model.value = "b"
    assert view.score.options == ("only",) and view.score.value == "only"
    assert "best 3 by only" in view.caption.value
    with pytest.raises(ValueError, match="same, non-empty"):
        SampleRanking(images, {"a": {"up": up}})


def _sampler(model):
    """Decode n codes drawn from a generator seeded with `seed`."""

    def sample(n, seed):
        return model.decode(torch.randn(n, 8, generator=torch.Generator().manual_seed(seed)))

    return sample


def test_side_by_side_shows_both_models_for_the_same_seed(model):
    torch.manual_seed(1)
    other = VAE(latent_dim=8).eval()
    view = SideBySide({"a": _sampler(model), "b": _sampler(other), "a again": _sampler(model)})
    top, bottom = view.rows().chunk(2)
    assert not torch.equal(top, bottom)
    view.right.value = "a again"  # the same model and seed: the same samples
    top, bottom = view.rows().chunk(2)
    assert torch.equal(top, bottom)
    before = view.image.value
    view.seed.value = 7
    assert view.image.value != before


def test_side_by_side_needs_two_models(model):
    with pytest.raises(ValueError, match="at least two"):
        SideBySide({"only": _sampler(model)})


def test_snapshot_slider_follows_model_and_step():
    images = {s: torch.full((4, 1, 8, 8), s / 1000 - 0.5) for s in (0, 500, 1000)}
    view = SnapshotSlider({"a": images, "b": {500: -images[500], 2000: images[0]}}, nrow=4)
    assert view.step.value == 1000  # starts at the last step
    last = view.image.value
    view.step.value = 0
    assert view.image.value != last
    view.step.value = 500
    view.model.value = "b"  # b has step 500 too: the slider stays there
    assert list(view.step.options) == [500, 2000] and view.step.value == 500
    view.model.value = "a"
    view.step.value = 0
    view.model.value = "b"  # b has no step 0: its last step
    assert view.step.value == 2000


def test_snapshot_slider_needs_steps():
    with pytest.raises(ValueError, match="at least one step"):
        SnapshotSlider({"a": {}})


def _digits() -> torch.Tensor:
    digits = -torch.ones(3, 1, 28, 28)
    digits[:, :, 6:22, 12:16] = 1.0  # three "ones"
    digits[1, :, 6:10, 8:20] = 1.0  # a "seven"
    return digits


def test_denoise_explorer_follows_digit_kind_and_level():
    params = {("median", kind, level): 3 for kind in ("gaussian", "mask") for level in (0.2, 0.5)}
    methods = {"median": filter_method("median", params), "same": lambda x, kind, level: x}
    view = DenoiseExplorer(_digits(), methods)
    assert "denoise-image" in view.image._dom_classes
    row = view.row()
    assert row.shape == (4, 1, 28, 28)
    noisy = corrupt(_digits()[:1], "gaussian", 0.5, torch.Generator().manual_seed(0))
    assert torch.equal(row[1], noisy[0]) and torch.equal(row[3], noisy[0])
    assert f"{psnr(noisy, _digits()[:1]):.1f} dB" in view.caption.value
    pictures = {view.image.value}
    view.level.value = 0.2
    pictures.add(view.image.value)
    view.kind.value = "mask"
    pictures.add(view.image.value)
    view.index.value = 1
    pictures.add(view.image.value)
    assert len(pictures) == 4
    with pytest.raises(ValueError, match="no tuned parameter for median at mask 0.3"):
        view.level.value = 0.3  # in JupyterLab, said in the view's error pane


def test_denoise_explorer_takes_an_uploaded_picture_or_says_why_not():
    view = DenoiseExplorer(_digits(), {"same": lambda x, kind, level: x}, upload=True)
    view.add_picture(b"GIF89a broken")
    assert "not an image" in view.message.value and view.index.max == 2
    page = np.full((40, 40), 250, np.uint8)
    page[8:32, 18:22] = 10
    buffer = io.BytesIO()
    Image.fromarray(page).save(buffer, format="PNG")
    data = buffer.getvalue()
    modified = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    upload = {"name": "one.png", "type": "image/png", "size": len(data), "content": data}
    upload.update(content=memoryview(data), last_modified=modified)
    view.upload.value = (upload,)
    assert view.index.value == view.index.max == 3
    shown = view.row()[0, 0]  # read light on dark, as MNIST
    assert shown[14, 14] > 0.9 and shown[14, 3] < -0.9


def test_translator_shows_the_digit_and_its_translation_to_the_chosen_class():
    torch.manual_seed(0)
    cvae = ConditionalVAE().eval()
    images = torch.rand(5, 1, 28, 28) * 2 - 1
    labels = torch.tensor([3, 1, 4, 1, 5])
    view = Translator(cvae, images, labels)
    pair = view.pair()
    assert torch.equal(pair[0], images[0])
    assert torch.equal(pair[1:], translate(cvae, images[:1], labels[:1], torch.tensor([0])))
    first = view.image.value
    view.target.value = 7
    assert view.image.value != first and "a 3, written as a 7" in view.caption.value
    view.index.value = 2
    assert "test digit 2, a 4" in view.caption.value


def test_style_sliders_redraw_for_the_chosen_class():
    torch.manual_seed(0)
    cvae = ConditionalVAE(latent_dim=8).eval()
    codes = torch.randn(100, 8, generator=torch.Generator().manual_seed(1))
    view = StyleSliders(cvae, codes, n_sliders=2)
    assert view.children[0] is view.digit and len(view.sliders) == 2
    as_zero = view.image.value
    view.digit.value = 6
    as_six = view.image.value
    assert as_six != as_zero
    expected = png_bytes(cvae.decode(view.latent()[None], torch.tensor([6])), scale=6)
    assert as_six == expected
    view.sliders[1].value = 2.0
    assert view.image.value != as_six
