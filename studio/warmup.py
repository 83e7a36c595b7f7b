"""Pay the studio's one-time costs once per server process, before the first visitor arrives.

Bokeh runs a session's app script on the server's single event loop. Left to the first session,
importing the studio (Panel widgets, the simulation tabs, the engine) and
compiling the validator's schema took ~10 s, and every session that arrived meanwhile waited
behind it. ``studio/app_hooks.py`` calls :func:`warm_up` when ``panel serve studio`` loads the app.
"""

from __future__ import annotations

from widgets.state import PolicyState
from widgets.workspace import sample_policies


def warm_up() -> None:
    """Import every tab's code and open one sample policy (parse, validate: the schema compiles once)."""
    import studio.app  # noqa: F401  (the whole studio, every tab's widgets included)

    samples = sample_policies()
    if samples:
        PolicyState().open_text(next(iter(samples.values())).read_bytes())
