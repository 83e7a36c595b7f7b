"""Give a Tabulator new data only when it differs from what the table shows, at a fixed height.

Every ``Tabulator.value`` assignment makes the browser rebuild the table (Tabulator's ``setData``:
re-render every row, re-measure the page; the largest browser cost of a threshold move), even
when the rows are the same, which they often are after a small move. A table without a height
also re-measures itself and the page around it after every ``setData`` (``adjustTableSize``:
about 45 ms of a threshold move's browser time for two tables), so the height is set here, to
fit the rows shown, and changes only when their count does.

Tabulator's own number formatters print a missing number (NaN) as "NaN", and a None as an empty
cell; so the numbers they format reach the table as objects, None where a number is missing.
"""

from __future__ import annotations

from typing import Any, Collection

import pandas as pd
import panel as pn
import polars as pl


def tabulator_number(precision: int, symbol: str = "") -> dict[str, Any]:
    """Tabulator's own number formatting ("money"), for a ``formatters`` entry. Numeric columns
    otherwise get Bokeh formatters, which Panel runs through a per-cell wrapper: a quarter of a
    table's re-render in the browser."""
    return {"type": "money", "symbol": symbol, "precision": precision}


def tabulator_percent(precision: int = 1) -> dict[str, Any]:
    """Tabulator's own formatting of a share already multiplied by 100 (see :func:`as_percent`);
    Tabulator has no percent formatter, and a Bokeh one runs through Panel's per-cell wrapper."""
    return {"type": "money", "symbol": "%", "symbolAfter": True, "precision": precision}


def as_percent(frame: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
    """``frame`` with the share ``columns`` (0–1) scaled to percent, for :func:`tabulator_percent`."""
    return frame.with_columns(pl.col(c) * 100 for c in columns if c in frame.columns)


ROW_PX = 29  # one-line rows and header of Panel's default Tabulator theme, measured in Chromium
HEADER_PX = 29
# Tabulator's plain row renderer (the virtual one measures the page once per row it adds; these tables
# show a page or a few rows) at a fixed row height: without one, every row measures each of its cells
# after ``setData`` (about 24 ms of a threshold move's browser time).
FAST_ROWS = {"renderVertical": "basic", "rowHeight": ROW_PX - 1}  # Tabulator adds the 1 px bottom border


def fitted_height(rows: int) -> int:
    """Pixels that show ``rows`` rows (at least one) without a scrollbar. The tables are never
    paginated by Tabulator: a drill-down hands them one page (see :mod:`widgets.drilldown`)."""
    return HEADER_PX + ROW_PX * max(rows, 1) + 2


def missing_as_none(frame: pl.DataFrame, columns: Collection[str]) -> pd.DataFrame:
    """``frame`` as pandas, its float ``columns`` as objects with None for a missing number (null or
    NaN). Always objects, even with nothing missing, so the table's column definitions stay put."""
    out = frame.to_pandas()
    for column in columns:
        if column in out.columns and out[column].dtype.kind == "f":
            out[column] = out[column].astype(object).where(out[column].notna(), None)
    return out


class TableData:
    """The frame shown in ``table``; :meth:`show` skips frames equal to it."""

    def __init__(self, table: pn.widgets.Tabulator) -> None:
        self.table = table
        self.frame: pl.DataFrame | None = None

    def show(self, frame: pl.DataFrame) -> bool:
        """Show ``frame``; False when it equals the one shown (nothing is sent)."""
        if self.frame is not None and self.frame.equals(frame):
            return False
        self.frame = frame
        height = fitted_height(frame.height)
        if self.table.height != height:
            self.table.height = height
        own = [c for c, formatter in self.table.formatters.items() if isinstance(formatter, dict)]
        self.table.value = missing_as_none(frame, own)
        return True
