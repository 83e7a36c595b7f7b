"""Pick the traffic a simulation replays: the embedded sample, an uploaded log, or a database table.

A bad file or URL never replaces the traffic already loaded: the picker keeps the last good
:class:`TrafficSet` and shows what went wrong (the engine's located message) in ``error``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import panel as pn
import param
from panel.viewable import Viewer

from policies.errors import PolicyError
from policies.traffic import TrafficSet, format_names, read_sql_traffic, read_traffic, sample_traffic

SOURCES = ("Sample", "File", "Database")
AUTO = "auto-detect"


def describe_failure(exc: BaseException) -> str:
    """The engine's located message for a PolicyError, else the exception's own first line."""
    if isinstance(exc, PolicyError):
        return "\n".join(f.human() for f in exc.findings)
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else 'no details'}"


def read_upload(filename: str, data: bytes, format: str | None = None) -> TrafficSet:
    """Read uploaded bytes through ``read_traffic`` (which wants a path), keeping the file name."""
    with tempfile.TemporaryDirectory(prefix="rs-upload-") as folder:
        path = Path(folder) / Path(filename or "upload.jsonl").name
        path.write_bytes(data)
        return read_traffic(path, format=format)


def read_table(url: str, table: str, format: str | None = None) -> TrafficSet:
    """A database table of logged requests, read by the engine's SQL reader."""
    if not url.strip() or not table.strip():
        raise PolicyError.single("traffic.db_missing", "give both a SQLAlchemy URL and a table name",
                                 suggestion="e.g. sqlite:///logs.db and requests")
    return read_sql_traffic(url.strip(), table.strip(), format=format)


class TrafficPicker(Viewer):
    """Choose and load a traffic set; ``traffic`` only ever holds a set that loaded cleanly."""

    traffic = param.ClassSelector(class_=TrafficSet, allow_None=True, doc="The last traffic set that loaded.")
    error = param.String(default="", doc="Why the last load failed (empty after a success).")
    source = param.Selector(default="Sample", objects=list(SOURCES))
    format = param.Selector(default=AUTO, objects=[AUTO, *format_names()],
                            doc="Force a reader (e.g. 'table' for plain prompt tables); else detected.")
    db_url = param.String(default="", doc="SQLAlchemy URL of the database holding the logs.")
    db_table = param.String(default="", doc="Table of logged requests in that database.")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self._file = pn.widgets.FileInput(accept=".jsonl,.json,.csv,.tsv,.parquet,.gz", multiple=False)
        self._load = pn.widgets.Button(label="Load traffic", color="primary")
        self._load.on_click(lambda _event: self.load())
        self._status = pn.pane.Markdown(self._status_text(), sizing_mode="stretch_width")
        self._alert = pn.pane.Alert("", alert_type="danger", visible=False, sizing_mode="stretch_width")
        self.param.watch(self._show_state, ["traffic", "error"])

    def load(self) -> bool:
        """Load from the chosen source; on failure keep the previous traffic and set ``error``."""
        try:
            if self.source == "Sample":
                loaded = sample_traffic()
            elif self.source == "File":
                if self._file.value is None:
                    raise PolicyError.single("traffic.no_file", "choose a traffic file first")
                loaded = read_upload(self._file.filename, self._file.value, self._format())
            else:
                loaded = read_table(self.db_url, self.db_table, self._format())
        except Exception as exc:  # the UI boundary: any failure becomes a message, never a crash
            self.error = describe_failure(exc)
            return False
        if loaded.requests.height == 0:
            self.error = f"{loaded.source.path}: no requests could be read ({loaded.rejects.height} rows rejected)"
            return False
        self.param.update(traffic=loaded, error="")
        return True

    def _format(self) -> str | None:
        return None if self.format == AUTO else self.format

    def _status_text(self) -> str:
        if self.traffic is None:
            return "No traffic loaded."
        s = self.traffic.summary()
        return (f"**{Path(s['source']).name}** ({s['format']}): {s['requests']:,} requests, "
                f"{s['rejected']:,} rejected, quality coverage {s['quality_coverage']:.0%}")

    def _show_state(self, *_events: Any) -> None:
        self._status.object = self._status_text()
        self._alert.param.update(object=self.error, visible=bool(self.error))

    def __panel__(self) -> pn.viewable.Viewable:
        choice = pn.widgets.RadioButtonGroup.from_param(self.param.source, color="light")
        fmt = pn.widgets.Select.from_param(self.param.format, label="Format", width=160,
                                           visible=self.param.source.rx() != "Sample")
        file_row = pn.Row(self._file, visible=self.param.source.rx() == "File")
        db_row = pn.Row(pn.widgets.TextInput.from_param(self.param.db_url, placeholder="sqlite:///logs.db"),
                        pn.widgets.TextInput.from_param(self.param.db_table, placeholder="requests"),
                        visible=self.param.source.rx() == "Database")
        return pn.Column(pn.Row(choice, self._load), fmt, file_row, db_row, self._status, self._alert,
                         sizing_mode="stretch_width")
