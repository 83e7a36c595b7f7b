"""20 concurrent browser sessions against a real ``panel serve studio``: no state leaks between them.

Each session opens its own stored policy, edits it in the YAML editor and checks the Workspace; it
must never see another session's markers, and each autosaved draft must hold only its own edit.
Latency percentiles (action → visible change) are printed. Loopback only; the server is always killed.

In about one CI run in five, one session's edit was never accepted (cause unknown: it never
happened in 22 local runs). Such a session runs once more, alone; it must then pass every check,
and the first try's diagnosis (which Bokeh messages went each way after the edit) is raised as a
warning, so it shows in the CI log. A leak, any other failure or a second stall fails the test.
"""

from __future__ import annotations

import asyncio
import json
import warnings
from pathlib import Path

import pytest

from .driver import CHROMIUM, drafts_isolated, drive, report, seed_store, studio_server

SESSIONS = 20
DEADLINE_S = 170  # the whole drive (2 shared cores: page loads p50 ~80 s with 20 at once); server start on top

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(420)]


class StalledSession(UserWarning):
    """A session's edit was never accepted on its first try (see the module docstring)."""


def test_twenty_sessions_see_only_their_own_state(tmp_path: Path) -> None:
    pytest.importorskip("playwright.async_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    db = f"sqlite:///{tmp_path / 'load.sqlite'}"
    seed_store(db, SESSIONS)
    log = tmp_path / "server.log"
    with studio_server(db, log) as url:
        results = asyncio.run(drive(url, SESSIONS, deadline_s=DEADLINE_S, retry_stalled=True))
    for r in results:
        if r.first_attempt:
            warnings.warn(StalledSession(f"session {r.index}, first try: {r.first_attempt}; second try "
                                         f"{'passed' if r.ok else 'failed'}"))
    latencies = report(results)
    print(f"\n[load] {SESSIONS} sessions, latency seconds: {json.dumps(latencies)}")
    failed = [f"session {r.index}: {r.error or r.leaks}" for r in results if not r.ok]
    if failed:
        print("[load] server log (last 4,000 characters):\n" + log.read_text()[-4000:])
    assert not [r for r in results if r.leaks], f"state leaked between sessions: {failed}"
    assert not failed, "sessions that did not finish:\n" + "\n".join(failed)
    assert drafts_isolated(db, results, SESSIONS) == []
