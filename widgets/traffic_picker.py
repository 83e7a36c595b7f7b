"""Pick the traffic a simulation replays: the embedded sample, an uploaded log, a traffic file the
server offers by name, or a database table.

A bad file or URL never replaces the traffic already loaded: the picker keeps the last good
:class:`TrafficSet` and shows what went wrong (the engine's located message) in ``error``.
A million-row log takes minutes to import, so the button reads it in a worker thread and shows
the share read; the server's event loop keeps serving every session meanwhile.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

import panel as pn
import param
from panel.viewable import Viewer

from policies.api import (ImportProgress, PolicyError, ProgressCallback, TrafficSet, format_names, read_sql_traffic,
                          read_traffic, sample_traffic)

from .markdown_text import md_text

SOURCES = ("Sample", "File", "Registered", "Database")
AUTO = "auto-detect"
POLL_S = 0.25  # how often a background load's progress reaches the page


def describe_failure(exc: BaseException) -> str:
    """The engine's located message for a PolicyError, else the exception's own first line."""
    if isinstance(exc, PolicyError):
        return "\n".join(f.human() for f in exc.findings)
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else 'no details'}"


def read_upload(filename: str, data: bytes, format: str | None = None,
                progress: ProgressCallback | None = None) -> TrafficSet:
    """Read uploaded bytes through ``read_traffic`` (which wants a path), keeping the file name."""
    with tempfile.TemporaryDirectory(prefix="rs-upload-") as folder:
        path = Path(folder) / Path(filename or "upload.jsonl").name
        path.write_bytes(data)
        return read_traffic(path, format=format, progress=progress)


def read_table(url: str, table: str, format: str | None = None,
               progress: ProgressCallback | None = None) -> TrafficSet:
    """A database table of logged requests, read by the engine's SQL reader."""
    if not url.strip() or not table.strip():
        raise PolicyError.single("traffic.db_missing", "give both a SQLAlchemy URL and a table name",
                                 suggestion="e.g. sqlite:///logs.db and requests")
    return read_sql_traffic(url.strip(), table.strip(), format=format, progress=progress)


def describe_traffic(traffic: TrafficSet | None) -> str:
    """One status line: source, format, counts (a pass over the whole table: slow on 1M rows)."""
    if traffic is None:
        return "No traffic loaded."
    s = traffic.summary()
    return (f"**{md_text(Path(s['source']).name)}** ({md_text(s['format'])}): {s['requests']:,} requests, "
            f"{s['rejected']:,} rejected, quality coverage {s['quality_coverage']:.0%}")


def describe_progress(progress: ImportProgress) -> str:
    """``Read 420,000 records (42%)``; the share is left out where the source's size is unknown."""
    share = "" if progress.fraction is None else f" ({progress.fraction:.0%})"
    return f"Read {progress.records:,} records{share}"


class TrafficPicker(Viewer):
    """Choose and load a traffic set; ``traffic`` only ever holds a set that loaded cleanly."""

    traffic = param.ClassSelector(class_=TrafficSet, allow_None=True, doc="The last traffic set that loaded.")
    error = param.String(default="", doc="Why the last load failed (empty after a success).")
    source = param.Selector(default="Sample", objects=list(SOURCES))
    format = param.Selector(default=AUTO, objects=[AUTO, *format_names()],
                            doc="Force a reader (e.g. 'table' for plain prompt tables); else detected.")
    db_url = param.String(default="", doc="SQLAlchemy URL of the database holding the logs.")
    db_table = param.String(default="", doc="Table of logged requests in that database.")
    registered = param.Dict(default={}, doc="Traffic files on the server by name, offered by whoever runs it "
                                            "(large logs cannot go through a browser upload; a browser never names "
                                            "a server path itself).")
    registered_name = param.Selector(default=None, objects=[], allow_None=True, label="Registered traffic")
    loading = param.Boolean(default=False, doc="A load is running in the background.")
    progress = param.ClassSelector(class_=ImportProgress, allow_None=True, doc="How far the running load is.")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self._file = pn.widgets.FileInput(accept=".jsonl,.json,.csv,.tsv,.parquet,.gz", multiple=False)
        self._load = pn.widgets.Button(label="Load traffic", color="primary")
        self._load.on_click(self._on_load)
        self._described: tuple[TrafficSet | None, str] = (None, describe_traffic(None))
        self._bar = pn.indicators.Progress(value=-1, max=100, visible=False, sizing_mode="stretch_width")
        self._status = pn.pane.Markdown(self._status_text(), sizing_mode="stretch_width")
        self._alert = pn.pane.Alert("", alert_type="danger", visible=False, sizing_mode="stretch_width")
        self.param.watch(self._show_state, ["traffic", "error", "loading", "progress"])
        self.param.watch(self._offer_registered, "registered")
        self._offer_registered()

    def load(self) -> bool:
        """Load from the chosen source now (blocking); on failure keep the previous traffic, set ``error``."""
        try:
            loaded = self._read(self._report)
        except Exception as exc:  # the UI boundary: any failure becomes a message, never a crash
            self.error = describe_failure(exc)
            return False
        return self._accept(loaded)

    async def load_async(self) -> bool:
        """:meth:`load` in a worker thread, its progress shown every ``POLL_S`` (what the button does).

        The worker only appends to a list; params change on the event loop, so no widget is
        touched from another thread.
        """
        self.param.update(loading=True, progress=None)
        seen: list[ImportProgress] = []
        work = asyncio.ensure_future(asyncio.to_thread(self._read_described, seen.append))
        try:
            while not work.done():
                await asyncio.wait({work}, timeout=POLL_S)
                if seen:
                    self.progress = seen[-1]
            loaded, self._described = work.result()
        except Exception as exc:  # the UI boundary: any failure becomes a message, never a crash
            self.error = describe_failure(exc)
            return False
        finally:
            self.param.update(loading=False, progress=None)
        return self._accept(loaded)

    async def _on_load(self, _event: Any) -> None:
        await self.load_async()

    def _read(self, progress: ProgressCallback) -> TrafficSet:
        if self.source == "Sample":
            return sample_traffic()
        if self.source == "File":
            if self._file.value is None:
                raise PolicyError.single("traffic.no_file", "choose a traffic file first")
            return read_upload(self._file.filename, self._file.value, self._format(), progress)
        if self.source == "Registered":
            if self.registered_name not in self.registered:
                raise PolicyError.single("traffic.no_file", "choose a registered traffic file first",
                                         suggestion=f"registered: {', '.join(self.registered) or 'none'}")
            return read_traffic(self.registered[self.registered_name], format=self._format(), progress=progress)
        return read_table(self.db_url, self.db_table, self._format(), progress)

    def _read_described(self, progress: ProgressCallback) -> tuple[TrafficSet, tuple[TrafficSet, str]]:
        """The set and its status line, both worked out in the worker (the loop only shows them)."""
        loaded = self._read(progress)
        return loaded, (loaded, describe_traffic(loaded))

    def _report(self, progress: ImportProgress) -> None:
        self.progress = progress

    def _accept(self, loaded: TrafficSet) -> bool:
        if loaded.requests.height == 0:
            self.error = f"{loaded.source.path}: no requests could be read ({loaded.rejects.height} rows rejected)"
            return False
        self.param.update(traffic=loaded, error="")
        return True

    def _offer_registered(self, *_events: Any) -> None:
        names = list(self.registered)
        self.param.registered_name.objects = names
        if self.registered_name not in names:
            self.registered_name = names[0] if names else None

    def _format(self) -> str | None:
        return None if self.format == AUTO else self.format

    def _status_text(self) -> str:
        if self._described[0] is not self.traffic:
            self._described = (self.traffic, describe_traffic(self.traffic))
        return self._described[1]

    def _show_state(self, *_events: Any) -> None:
        shown = self.progress
        self._status.object = describe_progress(shown) if self.loading and shown else (
            "Reading…" if self.loading else self._status_text())
        fraction = None if shown is None else shown.fraction
        self._bar.param.update(visible=self.loading, value=-1 if fraction is None else round(100 * fraction))
        self._load.disabled = self.loading
        self._alert.param.update(object=md_text(self.error), visible=bool(self.error))

    def __panel__(self) -> pn.viewable.Viewable:
        choice = pn.widgets.RadioButtonGroup.from_param(self.param.source, color="light")
        fmt = pn.widgets.Select.from_param(self.param.format, label="Format", width=160,
                                           visible=self.param.source.rx() != "Sample")
        file_row = pn.Row(self._file, visible=self.param.source.rx() == "File")
        registered_row = pn.Row(pn.widgets.Select.from_param(self.param.registered_name),
                                visible=self.param.source.rx() == "Registered")
        db_row = pn.Row(pn.widgets.TextInput.from_param(self.param.db_url, placeholder="sqlite:///logs.db"),
                        pn.widgets.TextInput.from_param(self.param.db_table, placeholder="requests"),
                        visible=self.param.source.rx() == "Database")
        # Wrapping: the button goes under the sources where the picker is narrow (the simulation's controls)
        # instead of running into what lies beside it.
        choose = pn.FlexBox(choice, self._load, align_items="center", sizing_mode="stretch_width")
        return pn.Column(choose, fmt, file_row, registered_row, db_row, self._bar,
                         self._status, self._alert, sizing_mode="stretch_width")
