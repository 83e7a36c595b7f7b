"""Draft keys must survive the URL: found by the 20-session load test (1 session in 20 lost its sid).

``PolicyState.sync_url`` makes ``sid = uuid4().hex[:12]``. Panel's ``parse_query`` reads query values
as JSON-ish literals, so a hex id made only of digits and one ``e`` (``123e45678901``, ~0.8% of ids)
comes back as a float (``inf``), the String parameter refuses it, and a reload gets a fresh sid:
that browser's autosaved draft is never offered back.
"""

from __future__ import annotations

import uuid

import pytest

from panel.util import parse_query

from widgets.state import PolicyState


def test_every_generated_sid_survives_a_reload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID("123e4567-8901-4abc-8def-0123456789ab"))

    class Location:  # the two calls sync_url makes; the browser would echo the URL back on reload
        def sync(self, state: PolicyState, mapping: dict) -> None:
            pass

        def update_query(self, **query: str) -> None:
            pass

    state = PolicyState()
    state.sync_url(Location())
    reloaded = parse_query(f"?sid={state.sid}")["sid"]
    assert reloaded == state.sid, f"sid {state.sid!r} comes back from the URL as {reloaded!r}"
