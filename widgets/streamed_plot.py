"""A HoloViews pane whose Bokeh figure is built once and then only fed new data.

Setting ``pn.pane.HoloViews.object`` to a new element makes the browser drop the whole figure and
build a new one (a hundred-odd Bokeh models, then layout of the page around it): about a second
per threshold move on the dashboard. Here the pane always shows the same ``DynamicMap`` over a
``Pipe``; :meth:`StreamedPlot.show` sends a new element through the pipe, HoloViews updates the
existing figure's data sources in place, and the browser receives only data patches (batched with
everything else changed under ``pn.io.hold()``). A placeholder element stands in while there is
nothing to draw, because a DynamicMap must keep returning the same kind of element.
"""

from __future__ import annotations

from typing import Any

import holoviews as hv
import holoviews.plotting.bokeh  # noqa: F401  (registers the backend so the widget works without hv.extension)
import panel as pn
from panel.viewable import Viewer


def _passthrough(data: hv.Element) -> hv.Element:
    return data


class StreamedPlot(Viewer):
    """Shows ``placeholder`` until :meth:`show` is given elements; later elements only patch data."""

    def __init__(self, placeholder: hv.Element, **pane_params: Any):
        super().__init__()
        self._placeholder = placeholder
        self._pipe: hv.streams.Pipe | None = None
        self.dynamic: hv.DynamicMap | None = None
        self._pane = pn.pane.HoloViews(placeholder, **pane_params)

    def show(self, element: hv.Element | None) -> None:
        """Draw ``element`` (``None``: the placeholder). Same kind as before: a data patch only."""
        if element is None:
            self._pane.object = self._placeholder
            return
        if self._pipe is None or type(element) is not type(self._pipe.data):
            self._pipe = hv.streams.Pipe(data=element)
            self.dynamic = hv.DynamicMap(_passthrough, streams=[self._pipe])
            self._pane.object = self.dynamic
            return
        self._pipe.send(element)
        if self._pane.object is not self.dynamic:
            self._pane.object = self.dynamic

    def __panel__(self) -> pn.viewable.Viewable:
        return self._pane
