"""Everything a studio page loads comes from the studio's own server: Panel extensions and stylesheets.

Two ways a page broke on a fresh install, both found by clicking through ``panel serve studio``:

- An extension not declared at page load is never loaded in the browser. For ``tabulator`` that is
  worse than a missing table: Panel's table view (1.9) waits for a Tabulator object that can never
  be built (``ReferenceError: Tabulator is not defined``) and re-polls forever, so the page freezes
  at full CPU. :data:`EXTENSIONS` lists every extension any tab uses; :func:`prepare_session`
  loads them all for every session, whichever tab it opens on.
- Panel points a component's stylesheets at its CDN unless the session's document records the
  server's own ``dist_url``, which Panel sets only while rendering the HTML page. A session Bokeh
  builds on websocket connect (the page's session expired first: 15 s by default, easily reached
  by a first visit on a slow machine) never gets it, and all its CSS came from cdn.holoviz.org.
"""

from __future__ import annotations

import panel as pn
from bokeh.settings import settings
from panel.io.resources import LOCAL_DIST

# Every Panel extension a studio page can use: CodeEditor (YAML, Export), Tabulator (Simulation,
# Compare, Explain). Bokeh figures (Sankey, cost/quality) are part of Bokeh itself.
EXTENSIONS: tuple[str, ...] = ("codeeditor", "tabulator")


def serve_resources_locally() -> None:
    """Once per server: Bokeh and Panel JavaScript and CSS from this server, whatever ``BOKEH_RESOURCES``
    says (``cdn`` needs the internet; ``inline`` still points Panel's stylesheets at the CDN)."""
    settings.resources = "server"


def prepare_session() -> None:
    """Per session: load every extension, and pin the session's stylesheets to this server."""
    # Signatures serve IPython's help; re-applying them to every Panel class costs ~50 ms per session.
    pn.extension(*EXTENSIONS, apply_signatures=False)
    doc = pn.state.curdoc
    if doc is not None and doc.session_context is not None:
        rel_path = pn.state.rel_path
        doc._template_variables.setdefault("dist_url", f"{rel_path}/{LOCAL_DIST}" if rel_path else LOCAL_DIST)
