"""Browser tests: the app as `streamlit run` serves it, driven through Playwright in Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve_streamlit(folder: Path, env: dict[str, str], launcher: list[str] | None = None) -> Iterator[str]:
    """`streamlit run streamlit_app.py` on a free loopback port with this environment, its output in
    folder/streamlit.log; yields the app's URL once it answers. `launcher` replaces `python -m streamlit`."""
    port = _free_port()
    log_path = folder / "streamlit.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*(launcher or [sys.executable, "-m", "streamlit"]), "run", "streamlit_app.py", "--server.port",
             str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                        if response.read() == b"ok":
                            break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"streamlit did not start; see {log_path}") from None
                    time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=20)


def _serve_app(tmp_path_factory: pytest.TempPathFactory, time_scale: str) -> Iterator[str]:
    """The app started with the same `streamlit run` the README's run command uses, on the emulator."""
    folder = tmp_path_factory.mktemp("streamlit")
    env = {**os.environ, "BEDROCK_BACKEND": "emulator", "BEDROCK_EMULATOR_TIME_SCALE": time_scale,
           "BEDROCK_LAB_HISTORY": str(folder / "history.sqlite")}
    with serve_streamlit(folder, env) as url:
        yield url


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on an emulator without delays."""
    yield from _serve_app(tmp_path_factory, "0")


@pytest.fixture(scope="session")
def live_app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on an emulator that keeps the models' real latency profiles (time scale 1)."""
    yield from _serve_app(tmp_path_factory, "1")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = shutil.which("chromium")
    if executable is None:
        reason = "Chromium is not installed (apt-get install chromium); scripts/test installs it when it can"
        if os.environ.get("CI"):
            pytest.fail(reason + ". CI must run the browser tests.")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()
