"""The requests behind a number: a filtered, paginated table; clicking a row picks that request.

A drill-down is a conjunction of ``column == value`` filters (``None`` means the column is null,
e.g. the default route) over any per-request table the engine returns.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import panel as pn
import param
import polars as pl
from panel.viewable import Viewer

from .table_data import TableData, tabulator_number

PROMPT_CHARS = 120
PAGE_SIZE = 15
PREVIEW = "prompt_preview"
# Tabulator's plain row renderer: the virtual one measures the page once per row it adds, and these
# tables show one page (or a few rows) anyway.
BASIC_ROWS = {"renderVertical": "basic"}
FORMATTERS = {"cost_usd": tabulator_number(6, "$"), "latency_ms": tabulator_number(0),
              "quality": tabulator_number(3)}


def filter_requests(frame: pl.DataFrame, filters: Mapping[str, Any]) -> pl.DataFrame:
    """Rows where every ``column == value`` holds (``None`` matches nulls)."""
    condition = pl.lit(True)
    for column, value in filters.items():
        condition &= pl.col(column).is_null() if value is None else pl.col(column) == value
    return frame.filter(condition)


def prompt_preview(prompt: pl.Expr) -> pl.Expr:
    """The first ``PROMPT_CHARS`` characters on one line (sliced first: collapsing whitespace of
    whole long documents costs seconds)."""
    return prompt.str.slice(0, 2 * PROMPT_CHARS).str.replace_all(r"\s+", " ").str.slice(0, PROMPT_CHARS)


def _shown(frame: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """The shown columns; ``prompt`` as its preview (a ``prompt_preview`` column computed once per
    traffic set when the caller has one, so refreshes never re-scan the prompts)."""
    keep = [c for c in columns if c in frame.columns]
    if "prompt" in keep and PREVIEW in frame.columns:
        return frame.select([pl.col(PREVIEW).alias("prompt") if c == "prompt" else pl.col(c) for c in keep])
    out = frame.select(keep)
    return out.with_columns(prompt_preview(pl.col("prompt"))) if "prompt" in out.columns else out


class Drilldown(Viewer):
    """Requests of ``frame`` matching ``filters``; a clicked row sets ``selected_request``."""

    frame = param.ClassSelector(class_=pl.DataFrame, allow_None=True, doc="Per-request table.")
    filters = param.Dict(default={}, doc="column → value; empty shows every request.")
    columns = param.List(default=["request_id", "prompt", "decision", "model", "cost_usd", "latency_ms", "quality"],
                         item_type=str, doc="Columns shown, when present.")
    selected_request = param.String(default=None, allow_None=True)

    def __init__(self, **params: Any):
        super().__init__(**params)
        self._title = pn.pane.Markdown(sizing_mode="stretch_width")
        self._table = pn.widgets.Tabulator(pagination="remote", page_size=PAGE_SIZE, disabled=True,
                                           show_index=False, sizing_mode="stretch_width", layout="fit_data_stretch",
                                           configuration=BASIC_ROWS, formatters=FORMATTERS)
        self._table.on_click(self._clicked)
        self._data = TableData(self._table)
        self._clear = pn.widgets.Button(label="Show all", color="light")
        self._clear.on_click(lambda _event: setattr(self, "filters", {}))
        self.param.watch(self._refresh, ["frame", "filters", "columns"])
        self._refresh()

    def rows(self) -> pl.DataFrame:
        """The filtered requests (all columns)."""
        if self.frame is None:
            return pl.DataFrame()
        return filter_requests(self.frame, {k: v for k, v in self.filters.items() if k in self.frame.columns})

    def _refresh(self, *_events: Any) -> None:
        rows = self.rows()
        where = " and ".join(f"{k} = {'(none)' if v is None else v}" for k, v in self.filters.items()) or "all"
        self._title.object = f"#### Requests: {where} ({rows.height:,})"
        self._data.show(_shown(rows, self.columns))

    def _clicked(self, event: Any) -> None:
        frame = self._table.value
        if event.row is not None and 0 <= event.row < len(frame) and "request_id" in frame:
            self.selected_request = str(frame["request_id"].iloc[event.row])

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(pn.Row(self._title, self._clear), self._table, sizing_mode="stretch_width")
