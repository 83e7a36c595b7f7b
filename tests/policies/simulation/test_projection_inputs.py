"""Projection score inputs read as the router's projectionInputValue does (classifier_projection_inputs.go).

``confidence`` is 0 when the signal did not match (not the input's ``miss``) and 1.0 for a matched
signal reporting none or a confidence <= 0; ``binary`` and unknown sources read ``match``/``miss``
with a written ``match: 0`` meaning 1; ``raw`` is the signal's value, 0 when it has none.
"""

from __future__ import annotations

import polars as pl
import pytest

from policies.model.projections import Projections
from policies.signals.base import LeafExpr, Unavailable
from policies.simulation.projections import score_exprs

FRAME = pl.DataFrame({"fired": [True, True, False], "conf": [0.7, 0.0, None], "raw": [0.3, None, 0.9]})
LEAVES = {("embedding", "e"): LeafExpr(pl.col("fired"), pl.col("conf"))}


def _score(item: dict) -> list[float]:
    projections = Projections.from_spec({"scores": [{"name": "s", "inputs": [
        {"type": "embedding", "name": "e", "weight": 2.0, **item}]}]})
    expr = score_exprs(projections, LEAVES, lambda kind, name: pl.col("raw"))["s"]
    return FRAME.select(expr.alias("s"))["s"].to_list()


@pytest.mark.parametrize("item,expected", [
    ({"value_source": "confidence", "miss": 0.25}, [1.4, 2.0, 0.0]),   # not matched: 0, not miss
    ({"value_source": "binary", "match": 0, "miss": 0.25}, [2.0, 2.0, 0.5]),  # match 0 reads 1
    ({"value_source": "Binary", "match": 0.5}, [1.0, 1.0, 0.0]),
    ({"value_source": "score", "miss": 0.1}, [2.0, 2.0, 0.2]),  # unknown source: binary
    ({"value_source": "raw"}, [0.6, 0.0, 1.8]),  # no value: 0
])
def test_input_values_follow_the_router(item: dict, expected: list[float]) -> None:
    assert _score(item) == pytest.approx(expected)


def test_a_projection_read_by_confidence_is_unavailable_not_silently_its_score() -> None:
    projections = Projections.from_spec({"scores": [
        {"name": "a", "inputs": [{"type": "embedding", "name": "e"}]},
        {"name": "b", "inputs": [{"type": "projection", "name": "a", "value_source": "confidence"}]}]})
    with pytest.raises(Unavailable, match="confidence"):
        score_exprs(projections, LEAVES, lambda kind, name: pl.col("raw"))
