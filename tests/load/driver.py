"""Drive N concurrent studio sessions against a real ``panel serve studio`` subprocess.

Shared by ``tests/load/test_concurrent_sessions.py`` and ``benchmarks/bench_load.py``. Each session
opens its own stored policy (``load_NN``, whose first decision is ``mark_NN``), renames that
decision to ``edit_NN`` in the YAML editor, then checks the Workspace shows the edit. A session
that ever shows another session's marker is a leak. Latencies are action → visible change.
Everything is bounded: a total deadline, per-step timeouts, and the server is killed on exit.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from studio.config import SERVE_ARGS

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "policies" / "cost_optimised.yaml"
FIRST_DECISION = "long_documents"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-renderer-backgrounding", "--disable-background-timer-throttling"]

# Text of the whole page, shadow roots included (Bokeh renders every widget in one).
DEEP_TEXT_JS = """() => {
  const parts = [];
  const walk = (root) => {
    for (const node of root.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) parts.push(node.textContent);
      if (node.shadowRoot) walk(node.shadowRoot);
      if (node.childNodes && node.childNodes.length) walk(node);
    }
  };
  walk(document.body);
  return parts.join(' ');
}"""
# The Ace editor behind Panel's CodeEditor (inside a shadow root): the one on screen, as a user
# would type into it; ``count`` reports how many the page holds (more than one would be a stale view).
ACE_JS = """(action) => {
  const found = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.classList.contains('ace_editor') && el.env) found.push(el);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  if (action.count) return String(found.length) + ' (' + found.filter(
    (el) => el.getBoundingClientRect().width > 0).length + ' on screen)';
  const el = found.find((e) => e.getBoundingClientRect().width > 0) || found[0];
  if (!el) return null;
  const editor = el.env.editor;
  if (action.set !== undefined) editor.setValue(action.set, 1);
  return editor.getValue();
}"""


def mark(i: int) -> str:
    return f"mark_{i:02d}"


def edited(i: int) -> str:
    return f"edit_{i:02d}"


def policy_name(i: int) -> str:
    return f"load_{i:02d}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed_store(db_url: str, sessions: int) -> None:
    """One stored policy per session, each with its own marker decision."""
    from policies.storage import Store

    text = SAMPLE.read_text()
    with Store.open(db_url) as store:
        for i in range(sessions):
            store.save_version(policy_name(i), text.replace(FIRST_DECISION, mark(i)), "load-test", "seed")


@contextmanager
def studio_server(db_url: str, log: Path, port: int | None = None, start_timeout_s: float = 120,
                  server_args: Sequence[str] = ()) -> Iterator[str]:
    """``panel serve studio`` (the studio's ``SERVE_ARGS``, then ``server_args``) on 127.0.0.1 with
    ``ROUTING_STUDIO_DB``; yields the app URL; always killed."""
    port = port or free_port()
    env = dict(os.environ, ROUTING_STUDIO_DB=db_url, BOKEH_ALLOW_WS_ORIGIN=f"127.0.0.1:{port}")
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "panel", "serve", "studio", "--address", "127.0.0.1", "--port", str(port),
             "--allow-websocket-origin", f"127.0.0.1:{port}", "--num-procs", "1", *SERVE_ARGS, *server_args],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + start_timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"studio exited with {proc.returncode}: {log.read_text()[-2000:]}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"studio did not listen on 127.0.0.1:{port} within {start_timeout_s}s")
        yield f"http://127.0.0.1:{port}/studio"
    finally:
        _kill(proc)


def _kill(proc: subprocess.Popen) -> None:
    """Terminate the server's process group (it is ours alone: start_new_session), then SIGKILL."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


@dataclass
class Wire:
    """What one page's websocket carried, kept to explain a step that timed out: did the edit leave the
    browser, and did the server answer? Bokeh sends each message as a header frame naming its
    ``msgtype``, then content frames; a patch from the editor carries its ``code``. Page errors
    include console errors (BokehJS reports a message it cannot apply there)."""
    frames: list[tuple[float, str, str]] = field(default_factory=list)  # (perf_counter, sent/received, msgtype or "")
    code_sent_at: list[float] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def attach(self, page: object) -> None:
        def record(direction: str) -> Callable[[str | bytes], None]:
            def on_frame(payload: str | bytes) -> None:
                now, text = time.perf_counter(), payload if isinstance(payload, str) else ""
                kind = re.match(r'\{"msgid":"[^"]*","msgtype":"([A-Z-]+)"', text[:200].replace(" ", ""))
                self.frames.append((now, direction, kind.group(1) if kind else ""))
                if direction == "sent" and '"attr":"code"' in text:
                    self.code_sent_at.append(now)
            return on_frame

        def watch(ws: object) -> None:
            ws.on("framesent", record("sent"))  # type: ignore[attr-defined]
            ws.on("framereceived", record("received"))  # type: ignore[attr-defined]
            ws.on("close", lambda _: self.closed.append(f"at {time.perf_counter():.1f}"))  # type: ignore[attr-defined]

        page.on("websocket", watch)  # type: ignore[attr-defined]
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)[:200]))  # type: ignore[attr-defined]
        page.on("console", lambda msg: self.page_errors.append(  # type: ignore[attr-defined]
            f"console: {msg.text[:200]}") if msg.type == "error" else None)

    def since(self, started: float) -> str:
        """Message types each way since ``started``, whether a patch carried the editor's text, closed
        sockets and page errors."""
        def kinds(direction: str) -> str:
            counts = Counter(kind for at, way, kind in self.frames if at >= started and way == direction and kind)
            return ", ".join(f"{n} {kind}" for kind, n in counts.items()) or "nothing"
        code_sent = sum(at >= started for at in self.code_sent_at)
        return (f"; since the edit the page sent {kinds('sent')} ({code_sent} carrying the editor's"
                f" text) and received {kinds('received')}; sockets closed: {self.closed or 'none'}"
                f"; page errors: {self.page_errors or 'none'}")


@dataclass
class SessionResult:
    index: int
    sid: str = ""
    load_s: float | None = None   # goto → own policy title visible
    edit_s: float | None = None   # YAML edit → server accepted it (undo enabled)
    view_s: float | None = None   # Workspace tab click → edited decision visible
    leaks: list[str] = field(default_factory=list)
    error: str = ""
    wire: Wire = field(default_factory=Wire)

    @property
    def ok(self) -> bool:
        return not self.error and not self.leaks and None not in (self.load_s, self.edit_s, self.view_s)


def _foreign_markers(text: str, i: int, sessions: int) -> list[str]:
    """Other sessions' decision markers in ``text`` (policy names are public: the store list shows them all)."""
    return [m for j in range(sessions) if j != i for m in (mark(j), edited(j)) if m in text]


async def drive_session(browser: object, base_url: str, i: int, sessions: int, step_timeout_ms: int) -> SessionResult:
    """One user: open own policy, edit it in YAML, look at it in the Workspace; record leaks."""
    result = SessionResult(i)
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page = None
    edit_started: float | None = None
    try:
        page = await context.new_page()
        result.wire.attach(page)
        page.set_default_timeout(step_timeout_ms)
        started = time.perf_counter()
        await page.goto(f"{base_url}?policy={policy_name(i)}&tab=yaml")
        await page.locator(".policy-title").get_by_text(policy_name(i)).wait_for()
        await page.locator(".undo button").wait_for()
        result.load_s = time.perf_counter() - started
        text = await _ace(page)
        if mark(i) not in text:
            result.error = f"opened text lacks {mark(i)}"
            return result
        started = edit_started = time.perf_counter()
        await page.evaluate(ACE_JS, {"set": text.replace(mark(i), edited(i))})
        await page.locator(".undo button:not([disabled])").wait_for()
        result.edit_s = time.perf_counter() - started
        started = time.perf_counter()
        await page.locator(".bk-tab", has_text="Workspace").click()
        await page.locator("table.rs-decisions b").get_by_text(edited(i), exact=True).wait_for()
        result.view_s = time.perf_counter() - started
        seen = await page.evaluate(DEEP_TEXT_JS) + await _ace(page)
        result.leaks = _foreign_markers(seen, i, sessions)
        if mark(i) in await _ace(page):
            result.error = "the edit did not stick in the editor"
        # the server pushes the draft id into the URL after the page loads; a missing id is a failure
        await page.wait_for_function("() => location.search.includes('sid=')", timeout=step_timeout_ms)
        result.sid = page.url.split("sid=", 1)[1].split("&", 1)[0]
    except Exception as exc:  # a timeout in one session is a result to report, not a crash of the drive
        where = await _where(page, i) if page else ""
        wire = result.wire.since(edit_started) if edit_started is not None else ""
        result.error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}{where}{wire}"
    finally:
        await context.close()
    return result


async def _where(page: object, i: int) -> str:
    """What the page showed when a step failed: which marker the editor holds, and the buttons' state."""
    try:
        text = await _ace(page)
        undo = await page.locator(".undo button").get_attribute("disabled", timeout=5_000)  # type: ignore[attr-defined]
    except Exception as exc:  # the page itself may be gone
        return f" (page unreadable: {type(exc).__name__})"
    held = [m for m in (mark(i), edited(i)) if m in text]
    editors = await page.evaluate(ACE_JS, {"count": True})  # type: ignore[attr-defined]
    return (f" (editor holds {held or 'neither marker'}; editors in the page: {editors}; "
            f"undo {'disabled' if undo is not None else 'enabled'})")


async def _ace(page: object) -> str:
    return await page.evaluate(ACE_JS, {}) or ""  # type: ignore[attr-defined]


async def drive(base_url: str, sessions: int = 20, deadline_s: float = 150,
                step_timeout_ms: int = 90_000) -> list[SessionResult]:
    """All sessions at once in one headless Chromium (one context each), within ``deadline_s``."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tasks = [asyncio.create_task(drive_session(browser, base_url, i, sessions, step_timeout_ms))
                     for i in range(sessions)]
            done, pending = await asyncio.wait(tasks, timeout=deadline_s)
            for task in pending:
                task.cancel()
            results = [t.result() if t in done else SessionResult(i, error=f"not done after {deadline_s}s")
                       for i, t in enumerate(tasks)]
        finally:
            await browser.close()
    return results


def drafts_isolated(db_url: str, results: list[SessionResult], sessions: int) -> list[str]:
    """Server side: each session's autosaved draft holds its own edit and nobody else's marker."""
    from policies.storage import Store

    problems = []
    with Store.open(db_url) as store:
        for r in results:
            if r.sid and not sid_survives_url(r.sid):
                continue  # the URL no longer names the server's sid (test_session_ids.py pins this bug)
            draft = store.get_draft(r.sid, policy_name(r.index)) if r.sid else None
            if draft is None:
                problems.append(f"session {r.index}: no draft for sid {r.sid!r}")
            elif edited(r.index) not in draft.spec_yaml or _foreign_markers(draft.spec_yaml, r.index, sessions):
                problems.append(f"session {r.index}: draft holds {_foreign_markers(draft.spec_yaml, r.index, sessions)}")
    return problems


def sid_survives_url(sid: str) -> bool:
    """False for what Panel's query parsing turned into a number (e.g. ``inf`` from ``123e45678901``)."""
    try:
        float(sid)
    except ValueError:
        return True
    return False


def percentiles(values: list[float]) -> dict[str, float]:
    """p50 / p95 / max in seconds (nearest-rank p95)."""
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    p95 = ordered[max(0, min(len(ordered) - 1, round(0.95 * len(ordered)) - 1))]
    return {"n": len(ordered), "p50": round(statistics.median(ordered), 3), "p95": round(p95, 3),
            "max": round(ordered[-1], 3)}


def report(results: list[SessionResult]) -> dict[str, dict[str, float]]:
    """Latency percentiles per step over the sessions that reached it."""
    return {step: percentiles([getattr(r, step) for r in results if getattr(r, step) is not None])
            for step in ("load_s", "edit_s", "view_s")}
