"""Replace a Bokeh ``ColumnDataSource``'s data in place without ever shrinking it.

Updating a figure's sources (instead of building a new figure) is what keeps the dashboard's
threshold moves cheap in the browser: it receives a data patch, not a hundred new models to lay
out. With Panel 1.9 / Bokeh 3.9, though, a source that loses rows inside ``pn.io.hold()`` makes
BokehJS paint with stale row indices ("Out of bounds" / "Size mismatch"), after which the page
stops applying updates. So rows beyond the new data are filled with a blank row that draws
nothing (NaN coordinates, empty text or paths), and a source only ever grows.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import panel as pn
from bokeh.models import ColumnDataSource
from panel.io.document import unlocked

NAN = float("nan")
# Panel's margin for a figure: a Bokeh pane shows its figure as it is, without one, so a figure beside the
# page's edge reached it (toolbar included) where every other part of the page keeps 10 px from it.
MARGIN = (5, 10)


def replace_data(source: ColumnDataSource, data: Mapping[str, list], blank: Mapping[str, Any]) -> None:
    """Set ``source.data`` to ``data``, padded with ``blank`` up to the rows the source has now."""
    rows = max((len(v) for v in data.values()), default=0)
    current = max((len(v) for v in source.data.values()), default=0)
    target = max(rows, current)
    source.data = {column: list(values) + [blank[column]] * (target - len(values)) for column, values in data.items()}


def edit_models(change: Callable[[], None]) -> None:
    """Run ``change`` (direct edits of Bokeh models) the way Panel applies its own widget updates:
    now, inside ``unlocked()``, when this thread may edit the session's document, else on the
    document's event loop.

    A button handler runs as an async task that does not hold the document lock; editing a
    model there without ``unlocked()`` makes Bokeh raise "_pending_writes should be non-None"
    and the view never updates (Compare's Sankey did, intermittently).
    """
    def apply() -> None:
        with unlocked():
            change()

    pn.state.execute(apply, schedule="auto")
