"""The load driver serves the studio as ``studio/main.py`` says to: with the long unused-session lifetime.

Without it Bokeh discards a page's session when its websocket is slower than 15 s to connect (routine
with 20 sessions opening on 2 cores) and builds the session a second time: the load test found 40
builds for 20 sessions. Bokeh logs a non-default lifetime at start-up; this reads that line.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path

from studio.config import SERVE_ARGS

from .driver import studio_server


def test_the_served_studio_keeps_unconnected_sessions_for_two_minutes(tmp_path: Path) -> None:
    lifetime_ms = int(SERVE_ARGS[SERVE_ARGS.index("--unused-session-lifetime") + 1])
    assert lifetime_ms >= 120_000
    log = tmp_path / "server.log"
    with studio_server(f"sqlite:///{tmp_path / 's.sqlite'}", log) as url:
        with urllib.request.urlopen(url, timeout=120) as page:  # a real session build answers the request
            assert page.status == 200
    assert f"Unused sessions last for {lifetime_ms} milliseconds" in log.read_text()
