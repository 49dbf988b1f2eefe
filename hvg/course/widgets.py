"""Interactive views for the notebooks, built from core ipywidgets (7.7 and 8, Colab too).

Each view is a `View`: a VBox whose callbacks write PNG bytes into an `Image` widget. Setting a
slider's `.value` redraws at once, so tests drive them headless exactly as a learner's mouse
does. Errors inside a callback go to an Output widget below the view, where JupyterLab shows
them. A displayed view also carries a PNG of its picture, for readers without a kernel.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import ipywidgets as widgets
import torch

from hvg.course.plots import pca
from hvg.denoising import Method, read_picture
from hvg.files import png_bytes
from hvg.latent import interpolate
from hvg.metrics import psnr, ssim
from hvg.models.conditional import ConditionalVAE, ConditionalVAEGAN, translate
from hvg.noise import KINDS, LEVELS, corrupt

Decode = Callable[[torch.Tensor], torch.Tensor]  # codes (B, D) -> images (B, C, H, W) in [-1, 1]
ConditionalModel = ConditionalVAE | ConditionalVAEGAN  # a class-conditional model with an encoder


def _render(decode: Decode, z: torch.Tensor, scale: int) -> bytes:
    """Decode one code to PNG bytes, without tracking gradients."""
    with torch.no_grad():
        return png_bytes(decode(z[None]), scale=scale)


class View(widgets.VBox):
    """What every view shares: controls above a PNG `Image` (with a CSS class, for the browser
    test to find), an error `Output` at the bottom, and `watch` to redraw on changes."""

    def __init__(self, css_class: str, above: list, below: list | None = None):
        self.image = widgets.Image(format="png")
        self.image.add_class(css_class)
        self.errors = widgets.Output()
        super().__init__([*above, self.image, *(below or []), self.errors])

    def watch(self, controls: list, callback: Callable | None = None) -> None:
        """Call `callback` (default: `redraw`) whenever a control's value changes; its errors
        go to the Output widget, where JupyterLab shows them."""
        for control in controls:
            control.observe(self.errors.capture()(callback or self.redraw), names="value")

    def redraw(self, change: dict | None = None) -> None:
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs) -> dict | None:
        """The live widget plus a PNG of its picture as shown: a front end with a kernel shows
        the widget, GitHub and static HTML exports (which cannot) show the picture."""
        data = super()._repr_mimebundle_(**kwargs)
        if data is not None and self.image.value:
            data["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        return data


class LatentSliders(View):
    """One slider per principal direction of the codes, in standard deviations from their mean.

    With a 2-D latent these are the latent axes (up to a rotation); with more dimensions they
    are the directions along which the encoder spreads the data most.
    """

    def __init__(
        self,
        decode: Decode,
        codes: torch.Tensor,
        n_sliders: int = 4,
        limit: float = 3.0,
        scale: int = 6,
    ):
        self.decode, self.scale = decode, scale
        self.mean, self.directions, self.stds = pca(codes.detach().float(), n_sliders)
        self.sliders = [
            widgets.FloatSlider(
                value=0.0,
                min=-limit,
                max=limit,
                step=0.1,
                description=f"PC {i + 1}",
                continuous_update=True,
            )
            for i in range(len(self.directions))
        ]
        super().__init__("latent-image", [], self.sliders)
        self.watch(self.sliders)
        self.redraw()

    def latent(self) -> torch.Tensor:
        """The code the sliders point at: mean + sum_i value_i * std_i * direction_i."""
        values = torch.tensor([s.value for s in self.sliders], dtype=self.mean.dtype)
        return self.mean + (values * self.stds) @ self.directions

    def redraw(self, change: dict | None = None) -> None:
        self.image.value = _render(self.decode, self.latent(), self.scale)


class Interpolation(View):
    """A slider t in [0, 1] that walks from one named code to another; the image follows."""

    def __init__(
        self,
        decode: Decode,
        anchors: dict[str, torch.Tensor],
        start: str | None = None,
        end: str | None = None,
        spherical: bool = False,
        scale: int = 6,
    ):
        if len(anchors) < 2:
            raise ValueError("Interpolation needs at least two named codes to walk between")
        names = list(anchors)
        self.decode, self.anchors, self.spherical, self.scale = decode, anchors, spherical, scale
        self.start = widgets.Dropdown(options=names, value=start or names[0], description="from")
        self.end = widgets.Dropdown(options=names, value=end or names[-1], description="to")
        self.t = widgets.FloatSlider(
            value=0.0, min=0.0, max=1.0, step=0.05, description="t", continuous_update=True
        )
        super().__init__("interpolation-image", [widgets.HBox([self.start, self.end])], [self.t])
        self.watch([self.start, self.end, self.t])
        self.redraw()

    def latent(self) -> torch.Tensor:
        """The code a fraction t of the way between the two chosen anchors."""
        z0, z1 = self.anchors[self.start.value], self.anchors[self.end.value]
        return interpolate(z0, z1, self.t.value, self.spherical)

    def redraw(self, change: dict | None = None) -> None:
        self.image.value = _render(self.decode, self.latent(), self.scale)


class SeedPicker(View):
    """A seed slider: each seed draws a fixed batch of codes from N(0, I) and decodes them."""

    def __init__(
        self, decode: Decode, latent_dim: int, n: int = 8, max_seed: int = 999, scale: int = 3
    ):
        self.decode, self.latent_dim, self.n, self.scale = decode, latent_dim, n, scale
        self.seed = widgets.IntSlider(
            value=0, min=0, max=max_seed, description="seed", continuous_update=False
        )
        super().__init__("seed-image", [self.seed])
        self.watch([self.seed])
        self.redraw()

    def latents(self) -> torch.Tensor:
        """The n codes that the current seed draws."""
        generator = torch.Generator().manual_seed(self.seed.value)
        return torch.randn(self.n, self.latent_dim, generator=generator)

    def redraw(self, change: dict | None = None) -> None:
        with torch.no_grad():
            self.image.value = png_bytes(self.decode(self.latents()), nrow=self.n, scale=self.scale)


class ReconstructionPicker(View):
    """Pick an image by index: it is shown beside each model's reconstruction of it, with the
    pixel error of each, so that sharpness and faithfulness can be compared one image at a time.
    """

    def __init__(
        self,
        images: torch.Tensor,
        reconstructors: dict[str, Decode],
        labels: torch.Tensor | None = None,
        scale: int = 5,
    ):
        if not reconstructors:
            raise ValueError("ReconstructionPicker needs at least one named reconstructor")
        self.images, self.reconstructors, self.labels = images, reconstructors, labels
        self.scale = scale
        self.index = widgets.IntSlider(
            value=0, min=0, max=len(images) - 1, description="image", continuous_update=False
        )
        self.caption = widgets.HTML()
        super().__init__("reconstruction-image", [self.index, self.caption])
        self.watch([self.index])
        self.redraw()

    def row(self) -> torch.Tensor:
        """The chosen image followed by each model's reconstruction of it, (1 + M, C, H, W)."""
        x = self.images[self.index.value][None]
        with torch.no_grad():
            return torch.cat([x, *(f(x) for f in self.reconstructors.values())])

    def redraw(self, change: dict | None = None) -> None:
        row = self.row()
        mse = ((row[1:] - row[:1]) ** 2).flatten(1).mean(1)
        label = "" if self.labels is None else f" (a {int(self.labels[self.index.value])})"
        errors = zip(self.reconstructors, mse.tolist(), strict=True)
        parts = [f"<b>input</b>{label}"] + [f"<b>{name}</b> MSE {e:.3f}" for name, e in errors]
        self.caption.value = " &nbsp;|&nbsp; ".join(parts)
        self.image.value = png_bytes(row, nrow=len(row), scale=self.scale)


class SampleRanking(View):
    """Pick a model and a per-sample score: its `n` best and `n` worst samples, side by side.

    `samples` maps a model's name to its images (N, C, H, W); `scores` maps it to named
    per-sample scores (N,) where higher is better (e.g. hvg.metrics.realism, confidence).
    """

    def __init__(
        self,
        samples: dict[str, torch.Tensor],
        scores: dict[str, dict[str, torch.Tensor]],
        n: int = 8,
        scale: int = 3,
    ):
        if not samples or set(samples) != set(scores):
            raise ValueError("samples and scores need the same, non-empty, set of model names")
        self.samples, self.scores, self.n, self.scale = samples, scores, n, scale
        names = list(samples)
        self.model = widgets.Dropdown(options=names, value=names[0], description="model")
        self.score = widgets.Dropdown(description="score")
        self.caption = widgets.HTML()
        super().__init__("ranking-image", [widgets.HBox([self.model, self.score]), self.caption])
        self._offer_scores()
        self.watch([self.model], self._offer_scores)
        self.watch([self.score])

    def _offer_scores(self, change: dict | None = None) -> None:
        """The chosen model's scores, the first chosen (unless the choice still exists)."""
        options = list(self.scores[self.model.value])
        self.score.options = options
        if self.score.value not in options:
            self.score.value = options[0]
        self.redraw()

    def ranked(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Indices of the n best and the n worst samples under the chosen score."""
        order = self.scores[self.model.value][self.score.value].argsort(descending=True)
        return order[: self.n], order[-self.n :].flip(0)

    def redraw(self, change: dict | None = None) -> None:
        best, worst = self.ranked()
        values = self.scores[self.model.value][self.score.value]
        images = self.samples[self.model.value]
        self.caption.value = (
            f"<b>top row</b>: best {self.n} by {self.score.value} ({values[best[0]]:.3g} to "
            f"{values[best[-1]]:.3g}); <b>bottom row</b>: worst {self.n} "
            f"({values[worst[0]]:.3g} to {values[worst[-1]]:.3g})"
        )
        self.image.value = png_bytes(
            images[torch.cat([best, worst])], nrow=self.n, scale=self.scale
        )


Sampler = Callable[[int, int], torch.Tensor]  # (n, seed) -> n images (n, C, H, W) in [-1, 1]


class SideBySide(View):
    """Pick two models and a seed: each draws `n` samples from a generator seeded alike, so
    that models with the same latent layout decode the very same codes and noise."""

    def __init__(
        self, samplers: dict[str, Sampler], n: int = 8, max_seed: int = 999, scale: int = 3
    ):
        if len(samplers) < 2:
            raise ValueError("SideBySide needs at least two named samplers to compare")
        self.samplers, self.n, self.scale = samplers, n, scale
        names = list(samplers)
        self.left = widgets.Dropdown(options=names, value=names[0], description="top")
        self.right = widgets.Dropdown(options=names, value=names[1], description="bottom")
        self.seed = widgets.IntSlider(
            value=0, min=0, max=max_seed, description="seed", continuous_update=False
        )
        super().__init__("side-by-side-image", [widgets.HBox([self.left, self.right]), self.seed])
        self.watch([self.left, self.right, self.seed])
        self.redraw()

    def rows(self) -> torch.Tensor:
        """The two chosen models' samples for the current seed, one row each (2n, C, H, W)."""
        with torch.no_grad():
            return torch.cat(
                [self.samplers[c.value](self.n, self.seed.value) for c in (self.left, self.right)]
            )

    def redraw(self, change: dict | None = None) -> None:
        self.image.value = png_bytes(self.rows(), nrow=self.n, scale=self.scale)


class SnapshotSlider(View):
    """Pick a model and slide over its training steps: the samples it drew at each step.

    `snapshots` maps a model's name to {step: images}, e.g. what `hvg.train.fit(...,
    samples=...)` collects; the slider offers the chosen model's steps.
    """

    def __init__(
        self, snapshots: dict[str, dict[int, torch.Tensor]], nrow: int = 8, scale: int = 3
    ):
        if not snapshots or not all(snapshots.values()):
            raise ValueError("SnapshotSlider needs at least one model with at least one step")
        self.snapshots, self.nrow, self.scale = snapshots, nrow, scale
        names = list(snapshots)
        self.model = widgets.Dropdown(options=names, value=names[0], description="model")
        steps = sorted(snapshots[names[0]])
        self.step = widgets.SelectionSlider(
            options=steps, value=steps[-1], description="step", continuous_update=False
        )
        super().__init__("snapshot-image", [self.model, self.step])
        self._offer_steps()
        self.watch([self.model], self._offer_steps)
        self.watch([self.step])

    def _offer_steps(self, change: dict | None = None) -> None:
        """The chosen model's steps, keeping the current step where that model has it."""
        steps = sorted(self.snapshots[self.model.value])
        current = self.step.value
        self.step.options = steps
        self.step.value = current if current in steps else steps[-1]
        self.redraw()

    def redraw(self, change: dict | None = None) -> None:
        images = self.snapshots[self.model.value][self.step.value]
        self.image.value = png_bytes(images, nrow=self.nrow, scale=self.scale)


def _uploaded(value: object) -> bytes | None:
    """The bytes of the file a FileUpload holds: ipywidgets 8 keeps a tuple of dicts, 7.7 (Colab)
    a dict of dicts keyed by file name; None when it holds nothing."""
    files = list(value.values()) if isinstance(value, dict) else list(value or ())
    return bytes(files[-1]["content"]) if files else None


class DenoiseExplorer(View):
    """Pick a digit, a noise kind and a level: the clean digit, its noisy copy and each method's
    output, with PSNR and SSIM against the clean digit, redrawn at every change. With
    `upload=True`, a picture the learner uploads (a digit drawn on paper or in a paint
    program) joins the digits, read as MNIST's are (hvg.denoising.read_picture)."""

    def __init__(
        self,
        images: torch.Tensor,
        methods: dict[str, Method],
        upload: bool = False,
        seed: int = 0,
        scale: int = 4,
    ):
        if not methods:
            raise ValueError("DenoiseExplorer needs at least one named method")
        self.images, self.methods, self.seed, self.scale = images, methods, seed, scale
        self.index = widgets.IntSlider(
            value=0, min=0, max=len(images) - 1, description="digit", continuous_update=False
        )
        self.kind = widgets.Dropdown(options=list(KINDS), value="gaussian", description="noise")
        self.level = widgets.FloatSlider(
            value=0.5,
            min=LEVELS[0],
            max=LEVELS[-1],
            step=0.1,
            description="level",
            continuous_update=False,
        )
        self.caption = widgets.HTML()
        controls = [self.index, self.kind, self.level]
        self.upload: widgets.FileUpload | None = None  # with upload=True only
        self.message = widgets.HTML()
        if upload:
            self.upload = widgets.FileUpload(accept="image/*", multiple=False, description="digit")
            controls += [self.upload, self.message]
        super().__init__("denoise-image", [*controls, self.caption])
        self.watch([self.index, self.kind, self.level])
        if self.upload is not None:
            self.watch([self.upload], self._on_upload)
        self.redraw()

    def _on_upload(self, change: dict) -> None:
        data = _uploaded(change["new"])
        if data is not None:
            self.add_picture(data)

    def add_picture(self, data: bytes) -> None:
        """Add an uploaded picture to the digits and show it, or say why it cannot be read."""
        try:
            picture = read_picture(data, self.images.shape[-1])
        except ValueError as err:
            self.message.value = f"<span style='color:#b00020'>{err}</span>"
            return
        self.images = torch.cat([self.images, picture.to(self.images)])
        self.message.value = f"Your picture is digit {len(self.images) - 1}."
        self.index.max = len(self.images) - 1
        self.index.value = len(self.images) - 1  # redraws

    def row(self) -> torch.Tensor:
        """The clean digit, its noisy copy and each method's output, (2 + M, C, H, W); the
        noise is drawn from seed + the digit's index, so each digit keeps its own noise."""
        clean = self.images[self.index.value][None]
        generator = torch.Generator().manual_seed(self.seed + self.index.value)
        noisy = corrupt(clean, self.kind.value, self.level.value, generator)
        with torch.no_grad():
            outputs = [f(noisy, self.kind.value, self.level.value) for f in self.methods.values()]
        return torch.cat([clean, noisy, *outputs])

    def redraw(self, change: dict | None = None) -> None:
        row = self.row()
        names = ["clean", "noisy input", *self.methods]
        labels = [""] + [
            f"{psnr(out[None], row[:1]):.1f} dB<br>SSIM {ssim(out[None], row[:1]):.2f}"
            for out in row[1:]
        ]
        width = (self.images.shape[-1] + 2) * self.scale  # one tile of png_bytes' grid
        self.caption.value = _captions(names, labels, width)
        self.image.value = png_bytes(row, nrow=len(row), scale=self.scale)


def _captions(names: list[str], labels: list[str], width: int) -> str:
    """One HTML cell per tile of an image row, `width` pixels each: a name, then a label."""
    style = f"width:{width}px;padding:0;text-align:center;vertical-align:top;font-size:90%"
    cells = "".join(
        f"<td style='{style}'><b>{n}</b><br>{label}</td>"
        for n, label in zip(names, labels, strict=True)
    )
    return f"<table style='border-collapse:collapse;table-layout:fixed'><tr>{cells}</tr></table>"


class Translator(View):
    """Pick a test digit and a target class: the digit beside its code decoded as the target,
    the exemplar's style with new content (hvg.models.conditional.translate)."""

    def __init__(
        self, model: ConditionalModel, images: torch.Tensor, labels: torch.Tensor, scale: int = 6
    ):
        self.model, self.images, self.labels, self.scale = model, images, labels, scale
        self.index = widgets.IntSlider(
            value=0, min=0, max=len(images) - 1, description="digit", continuous_update=False
        )
        self.target = widgets.Dropdown(
            options=list(range(model.num_classes)), value=0, description="write as"
        )
        self.caption = widgets.HTML()
        super().__init__("translation-image", [self.index, self.target, self.caption])
        self.watch([self.index, self.target])
        self.redraw()

    def pair(self) -> torch.Tensor:
        """The chosen digit and its translation to the target class, (2, C, H, W)."""
        i = self.index.value
        x, y = self.images[i][None], self.labels[i][None]
        return torch.cat([x, translate(self.model, x, y, torch.tensor([self.target.value]))])

    def redraw(self, change: dict | None = None) -> None:
        label, target = int(self.labels[self.index.value]), self.target.value
        self.caption.value = f"test digit {self.index.value}, a {label}, written as a {target}"
        self.image.value = png_bytes(self.pair(), nrow=2, scale=self.scale)


class StyleSliders(LatentSliders):
    """Latent sliders at a chosen class: with the class given, the code holds only the style,
    so the same slider moves every digit alike (slant, thickness, width)."""

    def __init__(
        self,
        model: ConditionalModel,
        codes: torch.Tensor,
        n_sliders: int = 4,
        limit: float = 3.0,
        scale: int = 6,
    ):
        self.digit = widgets.Dropdown(
            options=list(range(model.num_classes)), value=0, description="digit"
        )

        def decode(z: torch.Tensor) -> torch.Tensor:
            return model.decode(z, torch.full((len(z),), self.digit.value))

        super().__init__(decode, codes, n_sliders, limit, scale)
        self.children = (self.digit, *self.children)
        self.watch([self.digit])
