"""Bokeh application hooks for ``panel serve studio``.

Bokeh executes this file once, when the server builds the application and before it listens, so
the warm-up below is paid at start-up instead of by the first sessions (see ``studio/warmup.py``), and
the pages' JavaScript and CSS are set to come from this server (see ``studio/resources.py``).
"""

import gc
import sys
from pathlib import Path

if __package__ in (None, ""):  # Bokeh runs this file as a script; make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.resources import serve_resources_locally  # noqa: E402
from studio.warmup import warm_up  # noqa: E402

serve_resources_locally()
warm_up()
# The ~300k objects of the imported libraries live as long as the server: keep them out of the
# cyclic collector's full passes, which otherwise rescan them while sessions are being built.
gc.collect()
gc.freeze()
