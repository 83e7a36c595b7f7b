"""Bokeh directory-app entry point: ``panel serve studio [--args --db URL --author NAME]``.

Serve it with ``panel serve studio --unused-session-lifetime 120000`` (``studio.config.SERVE_ARGS``).
Bokeh builds a session when the page is requested and discards it if the browser has not connected
within 15 s; a busy server or client (20 sessions opening at once on 2 cores: 30-90 s between the page
request and the websocket) then builds every session a second time on connect, doubling the work
exactly when the server is saturated. Two minutes covers that; an abandoned page costs memory for
two minutes. The other server options stay at their defaults, on purpose:

- ``--num-threads``: every callback is Python under the GIL, so a thread pool adds no throughput; the
  session build, the dominant cost, runs on the event loop either way.
- ``--num-procs``: the page request and its websocket may reach different processes, and the second
  one builds the session again; it pays off only behind a sticky load balancer.
- websocket compression (off): on loopback or a LAN it only spends the server's CPU.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):  # Bokeh runs this file as a script; make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.app import build_app  # noqa: E402
from studio.config import parse_args  # noqa: E402
from studio.panel_writes import keep_queued_writes  # noqa: E402

keep_queued_writes()  # else a Panel race can strand an update on its way to the page (see the module)
build_app(parse_args(sys.argv[1:])).servable(title="Routing Studio")
