"""The traffic picker's background load: registered server files, progress, a free event loop."""

from __future__ import annotations

import asyncio
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Coroutine

import pytest

from widgets.traffic_picker import TrafficPicker, describe_progress

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.synthetic_traffic import synthetic_log  # noqa: E402


def run_on_own_loop(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """``asyncio.run`` in a fresh thread: in the full suite a session-scoped Playwright (sync API)
    browser keeps an event loop running on the main thread, where ``asyncio.run`` refuses to start."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_registered_file_loads_in_the_background_with_progress(tmp_path: Path) -> None:
    path = synthetic_log(tmp_path / "log.jsonl", 30_000)
    picker = TrafficPicker(registered={"thirty thousand": str(path)}, source="Registered")
    picker.__panel__()
    assert picker.registered_name == "thirty thousand"
    shown: list[str] = []
    picker.param.watch(lambda _e: shown.append(picker._status.object), "progress")
    bars: list[int] = []
    picker._bar.param.watch(lambda e: bars.append(e.new), "value")
    loaded = run_on_own_loop(picker.load_async())
    assert loaded, picker.error
    assert picker.traffic.requests.height == 30_000 and picker.traffic.rejects.height == 0
    # Progress is set on the event loop while the worker thread reads: a partial share shown means
    # the loop ran during the load. How long it stalled is a wall-clock figure, so it lives in
    # benchmarks/bench_large_traffic.py (a busy machine must not fail this test).
    assert any(text.startswith("Read ") and "%" in text for text in shown), shown
    assert any(0 < value < 100 for value in bars), bars
    assert not picker.loading and not picker._load.disabled and not picker._bar.visible
    assert "30,000 requests" in picker._status.object


def test_bad_registered_file_keeps_the_last_good_traffic(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"request_id": "r1", "messages": [{"role": "user", "content": "hi"}]}) + "\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"neither": "a known format"}\n')
    picker = TrafficPicker(registered={"good": str(good), "bad": str(bad)}, source="Registered")
    assert run_on_own_loop(picker.load_async()), picker.error
    loaded = picker.traffic
    picker.registered_name = "bad"
    assert run_on_own_loop(picker.load_async()) is False
    assert picker.traffic is loaded and "cannot tell the traffic format" in picker.error
    picker.registered = {}
    assert picker.registered_name is None
    assert picker.load() is False and "choose a registered traffic file" in picker.error


@pytest.mark.parametrize(("records", "fraction", "text"), [(420_000, 0.42, "Read 420,000 records (42%)"),
                                                             (10, None, "Read 10 records")])
def test_progress_text(records: int, fraction: float | None, text: str) -> None:
    from policies.traffic import ImportProgress

    assert describe_progress(ImportProgress(records, fraction)) == text
