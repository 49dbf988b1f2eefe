"""The widgets in a real browser: JupyterLab runs a notebook, a slider moves, the image follows.

Headless Chromium through Playwright drives a copy of the notebook in quick mode. On failure a
screenshot and the page's console land in test-artifacts/, named in the failure message.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import nbformat
import pytest
from nbconvert.preprocessors import ClearOutputPreprocessor

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
]

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import Page, sync_playwright
except ImportError:
    pytest.skip(
        "BROWSER TEST SKIPPED: the Python package playwright is not installed; "
        "run `pip install -c constraints.txt -e '.[dev]'` (or `pip install playwright`)",
        allow_module_level=True,
    )
if not CHROMIUM.exists():
    pytest.skip(
        f"BROWSER TEST SKIPPED: no Chromium at {CHROMIUM}; install it with "
        "`apt-get install -y chromium` (Debian/Ubuntu)",
        allow_module_level=True,
    )


class Slider(NamedTuple):
    """A notebook, the CSS class of the image its widget draws, and its slider in that widget."""

    notebook: str
    image_class: str
    handle: str


SLIDERS = [
    Slider("01_vae_basics.ipynb", "latent-image", ".widget-slider .noUi-handle >> nth=0"),
    Slider("06_denoising.ipynb", "denoise-image", ".widget-slider .noUi-handle >> nth=1"),
    Slider("07_conditional.ipynb", "translation-image", ".widget-slider .noUi-handle >> nth=0"),
]


def _free_port() -> int:
    """A TCP port nobody listens on now, for the server to take."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _copy_course(notebook: str, root: Path) -> None:
    """The notebook, never run, in root/notebooks; its sibling folders linked for its ../ paths."""
    (root / "notebooks").mkdir()
    never_run, _ = ClearOutputPreprocessor().preprocess(
        nbformat.read(ROOT / "notebooks" / notebook, as_version=4), {}
    )
    never_run.metadata.pop("widgets", None)  # saved widget state, as if never run
    nbformat.write(never_run, root / "notebooks" / notebook)
    for folder in ("data", "checkpoints", "bench"):
        (root / folder).symlink_to(ROOT / folder, target_is_directory=True)


def _wait_for_server(url: str, server: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    """Poll /api/status until the server answers; fail with its log if it dies or stalls."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited ({server.returncode}):\n{log.read_text()}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{url}/api/status", timeout=2) as response:
                if response.status == 200:
                    return
        time.sleep(0.3)
    pytest.fail(f"JupyterLab did not answer within {timeout:.0f} s:\n{log.read_text()}")


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """A JupyterLab server on loopback, no token, quick mode, in a scratch folder of its own.

    Yields its URL, its root folder (notebooks are copied there) and its log file.
    """
    root, log = tmp_path / "course", tmp_path / "jupyterlab.log"
    root.mkdir()
    port = _free_port()
    env = {
        **os.environ,
        "HVG_QUICK": "1",
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--allow-root",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.ip=127.0.0.1",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    with log.open("w") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_server(url, server, log)
        yield url, root, log
    finally:
        server.terminate()  # jupyter_server shuts its kernels down on SIGTERM
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@contextlib.contextmanager
def artifacts_on_failure(page: Page, name: str, console: list[str], log: Path) -> Iterator[None]:
    """On any failure inside, save a screenshot, the console and the server log, and say where."""
    try:
        yield
    except (AssertionError, PlaywrightError) as error:
        ARTIFACTS.mkdir(exist_ok=True)
        screenshot = ARTIFACTS / f"{name}.png"
        page.screenshot(path=screenshot, full_page=True)
        (ARTIFACTS / f"{name}.console.log").write_text("\n".join(console) + "\n")
        shutil.copy(log, ARTIFACTS / f"{name}.jupyterlab.log")
        raise pytest.fail.Exception(
            f"{error}\nscreenshot: {screenshot}; browser console: {name}.console.log and server "
            f"log: {name}.jupyterlab.log, both in {ARTIFACTS}",
            pytrace=False,
        ) from None


def _image_digest(page: Page, selector: str) -> str:
    """A SHA-256 of the bytes the image shows now (its src is a blob URL or a data URL)."""
    data = page.locator(selector).evaluate(
        """async (img) => {
            const blob = await (await fetch(img.src)).blob();
            const bytes = new Uint8Array(await blob.arrayBuffer());
            return btoa(String.fromCharCode(...bytes));
        }"""
    )
    return hashlib.sha256(base64.b64decode(data)).hexdigest()[:16]


def _changed(page: Page, selector: str, before: str, seconds: float) -> bool:
    """Whether the image's bytes differ from `before` within `seconds`."""
    deadline = time.monotonic() + seconds
    while _image_digest(page, selector) == before:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _run_all_cells(page: Page) -> None:
    """Once the kernel is up, run every cell from JupyterLab's Run menu, as a learner would."""
    page.locator(".jp-StatusBar-TextItem", has_text="| Idle").wait_for(timeout=60_000)
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()


def _wait_until_idle(page: Page, timeout_ms: float) -> None:
    """Wait until no cell is queued or running (a busy cell's prompt shows [*])."""
    page.wait_for_function(
        """() => [...document.querySelectorAll('.jp-InputPrompt')]
                  .every((prompt) => !prompt.textContent.includes('*'))""",
        timeout=timeout_ms,
    )


def _cell_errors(page: Page) -> list[str]:
    """Tracebacks the notebook shows, if any, so a failure names the cell's error."""
    return page.locator('[data-mime-type="application/vnd.jupyter.stderr"]').all_inner_texts()


@pytest.mark.parametrize("case", SLIDERS, ids=lambda c: f"{c.notebook}:{c.image_class}")
def test_moving_a_slider_redraws_the_image(lab: tuple[str, Path, Path], case: Slider):
    url, root, log = lab
    _copy_course(case.notebook, root)
    image = f"img.{case.image_class}"
    name = f"browser-{Path(case.notebook).stem}-{case.image_class}"
    console: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            with artifacts_on_failure(page, name, console, log):
                page.goto(f"{url}/lab/tree/notebooks/{case.notebook}")
                page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
                _run_all_cells(page)
                try:
                    page.locator(image).wait_for(timeout=120_000)
                    _wait_until_idle(page, timeout_ms=120_000)
                except PlaywrightError as error:
                    errors = "\n".join(_cell_errors(page)) or "(no error output in the notebook)"
                    raise AssertionError(f"{image} never appeared: {error}\n{errors}") from None
                widget = page.locator(image).locator(
                    "xpath=ancestor::div[contains(@class, 'widget-vbox')][1]"
                )
                before = _image_digest(page, image)
                widget.locator(case.handle).focus()
                for _ in range(3):
                    page.keyboard.press("ArrowRight")
                if not _changed(page, image, before, seconds=20):
                    raise AssertionError(
                        f"{image} still shows the same bytes (sha256 {before}...) 20 s after "
                        f"ArrowRight x3 on {case.handle!r} in {case.notebook}"
                    )
        finally:
            browser.close()
