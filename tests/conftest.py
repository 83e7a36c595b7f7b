"""Shared fixtures: a studio served in-process on a free loopback port, and headless Debian Chromium.

Browser tests take ``studio`` (base URL of a fresh server with its own SQLite store) and ``page``
(a page in a fresh browser context), and call ``screenshot(page, name)`` to leave evidence under
``test-artifacts/screenshots/``. Servers are killed after each test, or pytest hangs at exit.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    """A TCP port nobody listens on right now (loopback)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_in_process(apps: dict[str, Callable[[], Any]], port: int) -> str:
    """Serve ``apps`` on 127.0.0.1:``port`` in a background thread; returns the base URL once it answers."""
    import panel as pn

    pn.serve(apps, port=port, address="127.0.0.1", threaded=True, show=False, start=True,
             websocket_origin=[f"127.0.0.1:{port}", f"localhost:{port}"])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return f"http://127.0.0.1:{port}"
        time.sleep(0.05)
    raise RuntimeError(f"studio did not start on port {port}")


@pytest.fixture
def studio_db(tmp_path: Path) -> str:
    """A fresh SQLite store URL for one test."""
    return f"sqlite:///{tmp_path / 'studio.sqlite'}"


@pytest.fixture
def serve_studio(studio_db: str) -> Iterator[Callable[..., str]]:
    """``serve_studio(db=...)`` starts a studio server and returns its app URL; all are killed afterwards."""
    import panel as pn

    from studio.app import build_app
    from studio.config import StudioConfig

    def start(db: str = studio_db, author: str = "tester") -> str:
        port = free_port()
        base = serve_in_process({"studio": lambda: build_app(StudioConfig(db=db, author=author))}, port)
        return f"{base}/studio"

    yield start
    pn.state.kill_all_servers()


@pytest.fixture
def studio(serve_studio: Callable[..., str]) -> str:
    """URL of a freshly served studio with its own store."""
    return serve_studio()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium through Playwright (never ``playwright install``)."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page in its own browser context (own cookies and storage), 1400×1000."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    """``screenshot(page, name)`` saves a full-page PNG under test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
