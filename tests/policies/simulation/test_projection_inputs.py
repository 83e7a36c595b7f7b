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


def test_the_solver_reads_inputs_as_the_simulation_does() -> None:
    """A band over a score with confidence and binary inputs: same verdict in z3 and Polars for random scores."""
    import random

    import z3

    from policies.conflicts.encoding import Encoding
    from policies.model import RuleNode, Routing
    from policies.simulation.projections import mapping_leaves

    routing = Routing.from_spec({
        "signals": {"embeddings": [{"name": "e", "threshold": 0.4, "candidates": ["x"]}],
                    "keywords": [{"name": "k", "operator": "OR", "keywords": ["urgent"]}]},
        "projections": {
            "scores": [{"name": "s", "inputs": [
                {"type": "embedding", "name": "e", "weight": 1.0, "value_source": "confidence", "miss": 0.9},
                {"type": "keyword", "name": "k", "weight": 0.5, "match": 0, "miss": 0.2}]}],
            "mappings": [{"name": "m", "source": "s", "outputs": [{"name": "high", "gte": 0.75}]}]},
        "decisions": [{"name": "d", "rules": {"type": "projection", "name": "high"}}]})
    rng = random.Random(3)
    rows = [(round(rng.uniform(-0.2, 1.0), 2), rng.random() < 0.5) for _ in range(40)]
    frame = pl.DataFrame({"score": [r[0] for r in rows], "kw": [r[1] for r in rows]})
    leaves = {("embedding", "e"): LeafExpr(pl.col("score") >= 0.4, pl.col("score")),
              ("keyword", "k"): LeafExpr(pl.col("kw"), None)}
    scores = score_exprs(routing.projections, leaves, lambda kind, name: pl.col("score"))
    high = mapping_leaves(routing.projections.mappings, scores)[("projection", "high")]
    simulated = frame.select(high.fired.alias("f"))["f"].to_list()

    encoding = Encoding(routing)
    atom = encoding.atom(RuleNode.leaf("projection", "high"))
    emb = encoding.pool.term("emb:e")
    keyword = encoding.atom(RuleNode.leaf("keyword", "k"))
    for (value, kw), expected in zip(rows, simulated):
        solver = z3.Solver()
        solver.add(*encoding.pool.background, emb == z3.RealVal(str(value)), keyword == z3.BoolVal(kw))
        assert (solver.check(atom) == z3.sat) == expected and (solver.check(z3.Not(atom)) == z3.sat) != expected
