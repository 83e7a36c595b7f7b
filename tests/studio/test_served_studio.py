"""The README's ``panel serve studio`` as a new user runs it: every tab by clicking, and nothing from outside.

The other browser tests serve the app in-process and open tabs by URL; these start the real command
as a subprocess with a fresh HOME (so a fresh store), click through every tab the way a user does, and
record every request the page makes. Two ways this broke on a fresh install (see studio/resources.py):
a Tabulator tab froze the page (extension not declared), and CSS came from cdn.holoviz.org.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.conftest import ROOT, free_port

PlaywrightError = pytest.importorskip("playwright.sync_api").Error
pytestmark = [pytest.mark.browser, pytest.mark.slow]

START_TIMEOUT_S = 300  # warm-up imports the whole studio; a busy 2-core CI machine is slow
RENDER_TIMEOUT_MS = 120_000
RESPONSE_TIMEOUT_MS = 60_000  # an idle page answers at once; one spinning never does
# The `panel` script (panel.command.main) under the tests' own interpreter: the packages under test.
PANEL = (sys.executable, "-m", "panel")
# What only each tab shows once it has rendered; all must be visible after the click.
TAB_MARKERS: dict[str, tuple[str, ...]] = {
    "Workspace": ("table.rs-decisions",),
    "Builder": (".rb-new-decision",),
    "YAML": (".ace_content",),
    "DSL": (".dsl-omitted",),  # the routing as the router's DSL; the alert lists what stays in the YAML only
    "Checks": (".checks-list",),
    "Export": ("button:text-is('Write file')",),
    "Versions": ("button:text-is('Save version')",),
    "Simulation": (".rs-cards", ".tabulator-tableholder"),  # exists only once the Tabulator library built a table
    "Compare": ("button:text-is('Compare with the open policy (B)')", ".tabulator-tableholder"),
    "Explain": ("textarea[placeholder='Paste a prompt…']",),
    "Topology": ("input[placeholder='Type a prompt to see its path…']", ".topology-summary"),
    "Models": ("button:text-is('Save with this version')",),
    "Calibrate": ("button:text-is('Calibrate')",),
}


@dataclass
class ServedStudio:
    """A ``panel serve studio`` process, its URL and what it logged."""

    url: str
    home: Path
    log: Path
    process: subprocess.Popen[bytes]

    def server_log(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class PageWatch:
    """Everything a page did that a user would suffer from: errors, and requests to other hosts."""

    origin: str
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        page.on("console", lambda msg: msg.type == "error" and self.console_errors.append(msg.text))
        page.on("request", lambda request: self.requests.append(request.url))

    def foreign_requests(self) -> list[str]:
        """Requests to any host but the studio's (``data:``/``blob:`` URLs stay in the page)."""
        return [url for url in self.requests
                if urlparse(url).scheme not in ("data", "blob") and urlparse(url).netloc != self.origin]

    def assert_clean(self, when: str) -> None:
        assert not self.foreign_requests(), f"{when}: requests left the server: {self.foreign_requests()}"
        assert not self.page_errors, f"{when}: page errors {self.page_errors}"
        assert not self.console_errors, f"{when}: console errors {self.console_errors}"


def start_studio(tmp_path: Path, *extra_args: str, env: dict[str, str] | None = None) -> ServedStudio:
    """``panel serve studio --port N [extra_args]`` from the repository root, with a fresh HOME and no
    studio or Bokeh/Panel settings inherited from this environment; returns once the port answers."""
    home = tmp_path / "home"
    home.mkdir()
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("ROUTING_STUDIO_", "BOKEH_", "PANEL_", "XDG_"))}
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen([*PANEL, "serve", "studio", "--port", str(port), *extra_args],
                                   cwd=ROOT, env={**clean, "HOME": str(home), **(env or {})},
                                   stdout=out, stderr=subprocess.STDOUT)
    studio = ServedStudio(f"http://localhost:{port}/studio", home, log, process)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"panel serve studio exited with {process.returncode}:\n{studio.server_log()[-3000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return studio
        time.sleep(0.5)
    stop(studio)
    pytest.fail(f"panel serve studio did not listen within {START_TIMEOUT_S} s:\n{studio.server_log()[-3000:]}")


def stop(studio: ServedStudio) -> None:
    studio.process.terminate()
    try:
        studio.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        studio.process.kill()
        studio.process.wait()


@pytest.fixture
def serve_readme_command(tmp_path: Path) -> Iterator[Callable[..., ServedStudio]]:
    """``serve(*extra_args, env=...)`` starts the README's command; every server started is stopped after."""
    started: list[ServedStudio] = []

    def serve(*extra_args: str, env: dict[str, str] | None = None) -> ServedStudio:
        started.append(start_studio(tmp_path, *extra_args, env=env))
        return started[-1]

    yield serve
    for studio in started:
        stop(studio)


@pytest.fixture
def chromium_page(browser: Any) -> Iterator[Any]:
    """A 1280×800 page (the README screenshot's size) in a fresh browser context."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(RENDER_TIMEOUT_MS)
    yield page
    context.close()


def assert_responsive(page: Any, when: str) -> None:
    """The page still runs a script: a page spinning on its main thread (the Tabulator freeze) cannot."""
    try:
        page.wait_for_function("() => true", timeout=RESPONSE_TIMEOUT_MS)
    except PlaywrightError as exc:
        pytest.fail(f"{when}: the page stopped responding ({exc})")


def assert_tab_works(page: Any, tab: str, watch: PageWatch) -> None:
    """Every marker of ``tab`` visible, the page responsive, no error, no outside request. A tab that
    never renders is reported as a frozen page or an error where that is the reason."""
    try:
        for selector in TAB_MARKERS[tab]:
            page.locator(f"{selector} >> visible=true").first.wait_for()
    except PlaywrightError:
        assert_responsive(page, f"{tab} did not render")
        watch.assert_clean(f"{tab} did not render")
        raise
    assert_responsive(page, f"after opening {tab}")
    watch.assert_clean(f"after opening {tab}")


def click_tab(page: Any, tab: str) -> None:
    name = re.compile(f"^{tab}$")
    page.locator(".bk-tab", has_text=name).click()
    page.locator(".bk-tab.bk-active", has_text=name).wait_for()


def test_every_tab_of_the_studio_is_clicked_here() -> None:
    """A new tab joins this test (a tab nobody clicks is how three tabs froze for every user)."""
    from studio.app import TAB_NAMES

    assert [t.lower() for t in TAB_MARKERS] == list(TAB_NAMES)


def test_every_tab_works_when_clicked_and_nothing_leaves_the_server(
        serve_readme_command: Callable[..., ServedStudio], chromium_page: Any, screenshot: Callable) -> None:
    studio = serve_readme_command()
    page = chromium_page
    watch = PageWatch(urlparse(studio.url).netloc)
    watch.attach(page)
    page.goto(studio.url)
    assert_tab_works(page, "Workspace", watch)  # the default tab
    screenshot(page, "served_studio_default")  # docs/studio.png, the README's picture, is a copy of one

    for tab in TAB_MARKERS:
        click_tab(page, tab)
        assert_tab_works(page, tab, watch)
        screenshot(page, f"served_studio_{tab.lower()}")

    # Explain's tables render only with an answer: go back and ask for one (real ONNX models).
    click_tab(page, "Explain")
    page.locator(TAB_MARKERS["Explain"][0]).fill("integrate x^2 from 0 to 1")
    page.get_by_role("button", name="Explain", exact=True).click()
    page.locator(".tabulator-row >> visible=true").first.wait_for()
    assert_responsive(page, "after explaining a prompt")
    watch.assert_clean("after explaining a prompt")
    screenshot(page, "served_studio_explained")

    assert watch.requests, "no request was recorded: the watch is not attached"
    assert list(studio.home.glob(".local/share/routing-studio/*.sqlite")), "the store is not in the fresh HOME"
    assert "was not loaded" not in studio.server_log(), studio.server_log()[-3000:]


def test_resources_stay_local_when_the_environment_asks_for_a_cdn_and_the_session_is_rebuilt(
        serve_readme_command: Callable[..., ServedStudio], chromium_page: Any) -> None:
    """``BOKEH_RESOURCES=cdn`` in the environment, and a page that connects after its session expired
    (Bokeh then builds the session again, on the websocket, without Panel's page template)."""
    studio = serve_readme_command("--check-unused-sessions", "200", "--unused-session-lifetime", "500",
                                  "--log-level", "debug", env={"BOKEH_RESOURCES": "cdn"})
    page = chromium_page
    watch = PageWatch(urlparse(studio.url).netloc)
    watch.attach(page)

    def connect_late(route: Any) -> None:  # BokehJS arrives after the page's session was discarded
        time.sleep(3)
        route.continue_()

    page.route("**/static/js/bokeh.min.js*", connect_late)
    page.goto(studio.url)
    assert_tab_works(page, "Workspace", watch)
    click_tab(page, "Simulation")
    assert_tab_works(page, "Simulation", watch)
    assert "Discarding session" in studio.server_log(), "the page's session was not discarded before it connected"
