"""No server → browser update is stranded by Panel's queued writes (the load test's lost edit).

A real Panel server and a real page. The page's button starts, on the server, the interleaving
that strands a message in Panel 1.9.4 (see ``studio/panel_writes.py``): a first change is queued
because the socket is busy (its write lock held, as while Bokeh writes another message), and a
second change is queued just as the first one's writes complete. Without
:func:`keep_queued_writes` the second change never reaches the page (checked: 3 runs of 3); with
it, both do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from studio.panel_writes import keep_queued_writes
from tests.conftest import free_port, serve_in_process

pytestmark = pytest.mark.browser


def race_app() -> Any:
    """Buttons ``a`` and ``b``, and ``go``, which disables ``a`` then ``b`` in the stranding order."""
    import panel as pn
    from panel.io.state import set_curdoc

    first, second = pn.widgets.Button(label="a", css_classes=["a"]), pn.widgets.Button(label="b", css_classes=["b"])
    go = pn.widgets.Button(label="go", css_classes=["go"])
    doc = pn.state.curdoc

    async def race() -> None:
        [connection] = doc.session_context._session._subscribed_connections
        lock = connection._socket.write_lock
        await lock.acquire()  # the socket is busy: the first change is queued, its dispatch task started
        with set_curdoc(doc):
            first.disabled = True
        lock.release()
        await asyncio.sleep(0)  # the dispatch task takes the message, starts its writes and awaits them
        await asyncio.sleep(0)  # the writes complete; the task resumes on the next turn of the loop
        with set_curdoc(doc):
            second.disabled = True  # queued before that turn: its own task starts after it

    go.on_click(lambda _: doc.add_next_tick_callback(race))
    return pn.Row(first, second, go)


@pytest.fixture
def race_url() -> Iterator[str]:
    import panel as pn

    keep_queued_writes()
    yield serve_in_process({"race": race_app}, free_port()) + "/race"
    pn.state.kill_all_servers()


def test_a_change_queued_while_another_is_written_reaches_the_page(page: Any, race_url: str) -> None:
    page.goto(race_url)
    page.locator(".go button").click()
    page.locator(".a button[disabled]").wait_for(timeout=60_000)
    page.locator(".b button[disabled]").wait_for(timeout=60_000)


def test_installing_twice_wraps_once() -> None:
    from panel.io import document

    keep_queued_writes()
    installed = document._dispatch_msgs
    keep_queued_writes()
    assert document._dispatch_msgs is installed and installed.keeps_queued_writes
