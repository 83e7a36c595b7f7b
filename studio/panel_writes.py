"""Work around a Panel race that strands a server → browser update: the studio's lost edit.

Panel (1.9.4, ``panel/io/document.py``) writes a model change straight to the websocket from
``unlocked()``. When the socket is busy (Bokeh is writing another message: its write lock is held)
or earlier messages are still queued, it serialises the change instead (``schedule_write_events``):
the message goes into ``_WRITE_MSGS[doc]``, the flag ``_WRITE_BLOCK[doc]`` is set and a
``_dispatch_msgs`` task is started to write it. ``_dispatch_msgs`` returns at once when the flag is
absent, and a task that has written its messages clears the flag after awaiting the writes. So when
a second change is queued while a first task awaits its writes, and the first task resumes before
the second task starts, the first clears the flag and the second returns without writing: the
second message stays in ``_WRITE_MSGS`` until some later change of that page is queued the same way.

In the 20-session load test that message was the Undo button's enabling after a YAML edit: the
server had applied the edit (and autosaved it), the page never heard of it, and the next edit
changed nothing else the page shows, so nothing flushed it ("the server acknowledged the text and
never applied it"). ``tests/studio/test_panel_writes.py`` reproduces the interleaving in a real
server and browser.

The fix: after a dispatch task ends, if messages are still queued and no task is due to write them,
start one. A no-op on a Panel without these internals.
"""

from __future__ import annotations

from typing import Any


def keep_queued_writes() -> None:
    """Make Panel's queued-write dispatch leave no message behind (idempotent)."""
    from panel.io import document

    dispatch = getattr(document, "_dispatch_msgs", None)
    if dispatch is None or getattr(dispatch, "keeps_queued_writes", False) or not all(
            hasattr(document, name) for name in ("_WRITE_MSGS", "_WRITE_BLOCK", "_dispatch_write_task")):
        return

    async def dispatch_all(doc: Any) -> None:
        await dispatch(doc)
        if document._WRITE_MSGS.get(doc) and doc not in document._WRITE_BLOCK:
            document._WRITE_BLOCK[doc] = True
            document._dispatch_write_task(doc, dispatch_all, doc)

    dispatch_all.keeps_queued_writes = True  # type: ignore[attr-defined]
    # Panel looks the task function up by this module-level name each time it starts one.
    document._dispatch_msgs = dispatch_all
