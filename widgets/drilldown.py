"""The requests behind a number: a filtered, paged table; clicking a row picks that request.

A drill-down is a conjunction of ``column == value`` filters (``None`` means the column is null)
over any per-request table the engine returns; its ``decision`` column shows as the reports name it
(:func:`policies.simulation.report.decision_label`: ``(default)``, ``(passthrough)``).

The widget pages (and sorts) the requests itself and gives the table one page. Tabulator's remote
pagination needs the whole filtered frame as pandas on every refresh: every request's row
converted and indexed on each threshold move (about 15 ms of the server's ~80 ms at 10k requests,
and a copy of every prompt preview at 1M).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import panel as pn
import param
import polars as pl
from panel.viewable import Viewer

from policies.api import DEFAULT_LABEL, decision_label

from .markdown_text import md_text
from .table_data import FAST_ROWS, TableData, tabulator_number

PROMPT_CHARS = 120
# The preview column: narrow enough that the six outcome columns beside it fit the ~900 px beside the
# controls at 1280 px; a preview cut short shows whole on hover, the prompt in the request's explanation.
PROMPT_PX = 240
PAGE_SIZE = 15
PREVIEW = "prompt_preview"
_UNITS = {"cost_usd": tabulator_number(6, "$"), "latency_ms": tabulator_number(0), "quality": tabulator_number(3)}
# each outcome column as a simulation names it, and as a comparison does for its versions A and B
FORMATTERS = {column + side: unit for column, unit in _UNITS.items() for side in ("", "_a", "_b")}


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
    if "decision" in frame.columns:  # named as the reports and the Sankey name it, never a blank cell
        frame = frame.with_columns(decision_label(frame.columns))
    keep = [c for c in columns if c in frame.columns]
    if "prompt" in keep and PREVIEW in frame.columns:
        out = frame.select([pl.col(PREVIEW).alias("prompt") if c == "prompt" else pl.col(c) for c in keep])
    else:
        out = frame.select(keep)
        out = out.with_columns(prompt_preview(pl.col("prompt"))) if "prompt" in out.columns else out
    return out


def page_count(rows: int) -> int:
    """Pages that show ``rows`` requests (at least one, empty)."""
    return max(1, -(-rows // PAGE_SIZE))


def sorted_requests(frame: pl.DataFrame, sorters: Sequence[Mapping[str, str]]) -> pl.DataFrame:
    """``frame`` in the order of Tabulator's ``sorters`` (``{"field", "dir"}``; the first one leads)."""
    keys = [(s["field"], s.get("dir") == "desc") for s in sorters if s.get("field") in frame.columns]
    if not keys:
        return frame
    return frame.sort([k for k, _ in keys], descending=[d for _, d in keys], nulls_last=True, maintain_order=True)


class Drilldown(Viewer):
    """Requests of ``frame`` matching ``filters``, a page at a time; a clicked row sets ``selected_request``."""

    frame = param.ClassSelector(class_=pl.DataFrame, allow_None=True, doc="Per-request table.")
    filters = param.Dict(default={}, doc="column → value; empty shows every request.")
    columns = param.List(default=["request_id", "prompt", "decision", "model", "cost_usd", "latency_ms", "quality"],
                         item_type=str, doc="Columns shown, when present.")
    selected_request = param.String(default=None, allow_None=True)
    page = param.Integer(default=1, bounds=(1, None), doc="1-based page shown; kept (within range) on refresh.")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self._title = pn.pane.Markdown(sizing_mode="stretch_width")
        # Filled, not stretched: fit_data_stretch sizes the last column to the gap the others leave.
        self._table = pn.widgets.Tabulator(disabled=True, show_index=False, sizing_mode="stretch_width",
                                           layout="fit_data_fill", formatters=FORMATTERS, widths={"prompt": PROMPT_PX},
                                           configuration={**FAST_ROWS, "columns": [{"field": "prompt", "tooltip": True}]})
        self._table.on_click(self._clicked)
        self._data = TableData(self._table)
        self._clear = pn.widgets.Button(label="Show all", color="light")
        self._clear.on_click(lambda _event: setattr(self, "filters", {}))
        self._pager = {step: pn.widgets.Button(label=label, color="light", css_classes=[f"drill-{step}"])
                       for step, label in (("first", "« First"), ("prev", "‹ Prev"), ("next", "Next ›"),
                                           ("last", "Last »"))}
        for step, button in self._pager.items():
            button.on_click(lambda _event, step=step: self.turn(step))
        self._where = pn.pane.Markdown(css_classes=["drill-page"])
        self.param.watch(self._refresh, ["frame", "columns", "page"])
        self.param.watch(self._restart, "filters")
        self._table.param.watch(self._restart, "sorters")
        self._refresh()

    def turn(self, step: str) -> None:
        """Go to the ``first``, ``prev``, ``next`` or ``last`` page."""
        pages = page_count(self.rows().height)
        page = min(self.page, pages)
        self.page = {"first": 1, "prev": max(1, page - 1), "next": min(pages, page + 1), "last": pages}[step]

    def rows(self) -> pl.DataFrame:
        """The filtered requests (all columns)."""
        if self.frame is None:
            return pl.DataFrame()
        return filter_requests(self.frame, {k: v for k, v in self.filters.items() if k in self.frame.columns})

    def _restart(self, *_events: Any) -> None:
        """A new drill-down or sort order starts on its first page."""
        if self.page == 1:
            self._refresh()
        else:
            self.page = 1

    def _refresh(self, *_events: Any) -> None:
        rows = self.rows()
        pages = page_count(rows.height)
        page = min(self.page, pages)
        none = {"decision": DEFAULT_LABEL}  # a null decision: the default model served it
        where = " and ".join(f"{md_text(k)} = {none.get(k, '(none)') if v is None else md_text(v)}"
                                 for k, v in self.filters.items()) or "all"
        self._title.object = f"#### Requests: {where} ({rows.height:,})"
        shown = sorted_requests(rows, self._table.sorters).slice((page - 1) * PAGE_SIZE, PAGE_SIZE)
        self._data.show(_shown(shown, self.columns))
        self._where.object = f"Page {page:,} of {pages:,}"
        for step, button in self._pager.items():
            button.disabled = (page == 1) if step in ("first", "prev") else (page == pages)

    def _clicked(self, event: Any) -> None:
        frame = self._table.value
        if event.row is not None and 0 <= event.row < len(frame) and "request_id" in frame:
            self.selected_request = str(frame["request_id"].iloc[event.row])

    def __panel__(self) -> pn.viewable.Viewable:
        buttons = self._pager
        pager = pn.Row(buttons["first"], buttons["prev"], self._where, buttons["next"], buttons["last"])
        return pn.Column(pn.Row(self._title, self._clear), self._table, pager, sizing_mode="stretch_width")
