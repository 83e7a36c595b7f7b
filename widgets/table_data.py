"""Give a Tabulator new data only when it differs from what the table shows.

Every ``Tabulator.value`` assignment makes the browser rebuild the table (Tabulator's ``setData``:
re-render every row, re-measure the page; the largest browser cost of a threshold move), even
when the rows are the same, which they often are after a small move.
"""

from __future__ import annotations

from typing import Any

import panel as pn
import polars as pl


def tabulator_number(precision: int, symbol: str = "") -> dict[str, Any]:
    """Tabulator's own number formatting ("money"), for a ``formatters`` entry. Numeric columns
    otherwise get Bokeh formatters, which Panel runs through a per-cell wrapper: a quarter of a
    table's re-render in the browser."""
    return {"type": "money", "symbol": symbol, "precision": precision}


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
        self.table.value = frame.to_pandas()
        return True
