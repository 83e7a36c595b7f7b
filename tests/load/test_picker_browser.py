"""In a real server and browser: the picker's Load button shows progress, and another session is
served while a large traffic file loads (the load runs in a worker thread, not on the event loop)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.synthetic_traffic import synthetic_log  # noqa: E402
from tests.conftest import free_port, serve_in_process  # noqa: E402

ROWS = 100_000  # ~15 s to import on a quiet 2-core machine: long enough to open a second session

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_second_session_is_served_while_a_large_file_loads(tmp_path: Path, browser: Any) -> None:
    import panel as pn

    from widgets.traffic_picker import TrafficPicker

    path = synthetic_log(tmp_path / "log.jsonl", ROWS)
    base = serve_in_process({"picker": lambda: TrafficPicker(registered={"large log": str(path)},
                                                             source="Registered")}, free_port())
    first, second = (browser.new_context().new_page() for _ in range(2))
    try:
        first.goto(f"{base}/picker")
        first.get_by_role("button", name="Load traffic").click()
        first.get_by_text(re.compile(r"Read [\d,]+ records \(\d+%\)")).wait_for(timeout=60_000)
        second.goto(f"{base}/picker")
        # A liveness bound, not a speed limit (a busy machine is slow, not wrong): a load holding the
        # event loop would serve the second page only after it, which the overlap check catches.
        second.get_by_role("button", name="Load traffic").wait_for(timeout=120_000)
        assert first.get_by_text(re.compile(r"Read [\d,]+ records")).is_visible(), \
            ("the first session finished before the second was served: the load held the event loop, "
             "or it ends too fast here to show overlap (raise ROWS)")
        first.get_by_text(f"{ROWS:,} requests").wait_for(timeout=300_000)
        assert first.get_by_role("button", name="Load traffic").is_enabled()
    finally:
        for page in (first, second):
            page.context.close()
        pn.state.kill_all_servers()
