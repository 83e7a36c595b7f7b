"""``hallucination``: a response-stage observation (the answer checked against its grounding).

Declared in config for the decision's hallucination plugin; it only exists once a model has
answered, so no decision leaf may reference it (it registers no leaf type) and nothing simulates it.
"""

from __future__ import annotations

from ..model.signals import Signal


class HallucinationSignal(Signal):
    """Response-stage only: declared in config, never referenceable from a decision."""

    collection = "hallucination"
    leaf_type = ""
    neural = True
    use_nli: bool | None = None
