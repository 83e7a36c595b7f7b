"""A thresholded leaf means the same thing to the simulation (Polars), the solver (z3) and explanations.

For every kind whose leaf compares scores with a ``threshold``, random raw scores (and scores sitting
exactly on the threshold) go through the simulator's leaf expression and through the solver's atom
with its score variables pinned to the same values: the two verdicts must agree on every row, for a
written threshold, an unset one and (where the router treats it as unset) a written 0. The unset
values are the router's own (``ReaskRule.WithDefaults``: 0.8; ``LanguageRule``: 0.3; required
thresholds: Go's zero value) and the explanation reports the same number.
"""

from __future__ import annotations

import random

import polars as pl
import pytest
import z3

from policies.conflicts.encoding import Encoding
from policies.model import RuleNode
from policies.model.routing import Routing
from policies.model.signals import Signal
from policies.signals.base import Extractor

# (collection, leaf type, extra spec fields, raw score columns → solver variables they pin)
SCORED = [
    ("embeddings", "embedding", {"candidates": ["a"]}),
    ("jailbreak", "jailbreak", {"method": "classifier"}),
    ("reasks", "reask", {}),
    ("preferences", "preference", {"description": "d", "examples": ["a"]}),
]
ROUTER_UNSET = {"embedding": 0.0, "jailbreak": 0.0, "reask": 0.8, "preference": 0.0, "pii": 0.0,
                "language": 0.3, "complexity": 0.0}


def _routing(collection: str, spec: dict) -> Routing:
    return Routing.from_spec({"signals": {collection: [spec]}})


def _thresholds(rng: random.Random) -> list[float | None]:
    return [None, 0.0, round(rng.uniform(0.05, 0.95), 3), round(rng.uniform(-0.5, 1.0), 2)]


def _z3_verdicts(routing: Routing, leaf: RuleNode, pins: list[dict[str, float]]) -> list[bool]:
    """The atom's truth with the leaf's score variables fixed to each row's values (exactly one holds)."""
    encoding = Encoding(routing)
    atom = encoding.atom(leaf)
    terms = {name: encoding.pool.term(name) for pin in pins for name in pin}  # ties the bounds to the terms
    out = []
    for pin in pins:
        solver = z3.Solver()
        solver.add(*encoding.pool.background)
        for name, value in pin.items():
            solver.add(terms[name] == z3.RealVal(str(value)))
        fired = solver.check(atom) == z3.sat
        missed = solver.check(z3.Not(atom)) == z3.sat
        assert fired != missed, f"{leaf.type}:{leaf.name} undetermined for {pin}"
        out.append(fired)
    return out


def _polars_verdicts(signal: Signal, leaf: RuleNode, frame: pl.DataFrame) -> list[bool]:
    extractor = Extractor.for_leaf_type(str(leaf.type))
    assert extractor is not None
    expr = extractor.leaf(signal, leaf, lambda part: pl.col(part)).fired
    return frame.select(expr.alias("fired"))["fired"].to_list()


@pytest.mark.parametrize("collection,leaf_type,extra", SCORED, ids=[k[1] for k in SCORED])
def test_scored_leaf_agrees_between_simulation_and_solver(collection, leaf_type, extra):
    rng = random.Random(leaf_type)
    for threshold in _thresholds(rng):
        spec = {"name": "s", **extra} | ({} if threshold is None else {"threshold": threshold})
        routing = _routing(collection, spec)
        signal = routing.find_signal(leaf_type, "s")
        effective = signal.effective_threshold()
        scores = [round(rng.uniform(-0.2, 1.0), 3) for _ in range(40)] + [effective, effective - 1e-3, effective + 1e-3]
        scores = [min(1.0, max(0.0, s)) if leaf_type != "embedding" else s for s in scores]
        leaf = RuleNode.from_spec({"type": leaf_type, "name": "s"})
        encoding = Encoding(routing)
        encoding.atom(leaf)
        (var,) = encoding._score_vars(leaf)
        polars = _polars_verdicts(signal, leaf, pl.DataFrame({"score": scores}))
        solver = _z3_verdicts(routing, leaf, [{var: s} for s in scores])
        assert polars == solver, f"{leaf_type} threshold={threshold}: simulation and solver disagree"
        assert polars == [s >= effective for s in scores]


def test_pii_leaf_agrees_between_simulation_and_solver():
    from policies.labels import PII_TYPES
    rng = random.Random("pii")
    for threshold in _thresholds(rng):
        threshold = None if threshold is None else min(1.0, abs(threshold))
        spec = {"name": "p", "pii_types_allowed": ["EMAIL_ADDRESS"]} | ({} if threshold is None else {"threshold": threshold})
        routing = _routing("pii", spec)
        signal = routing.find_signal("pii", "p")
        leaf = RuleNode.from_spec({"type": "pii", "name": "p"})
        rows = [{t: round(rng.uniform(0, 1), 2) * (rng.random() < 0.3) for t in PII_TYPES} for _ in range(30)]
        frame = pl.DataFrame(rows).with_columns(OTHER=pl.lit(0.0))
        polars = _polars_verdicts(signal, leaf, frame)
        solver = _z3_verdicts(routing, leaf, [{f"pii:{t}": v for t, v in row.items() if t != "EMAIL_ADDRESS"}
                                              for row in rows])
        assert polars == solver


def test_language_leaf_agrees_between_simulation_and_solver():
    rng = random.Random("language")
    for threshold in (None, 0.0, 0.6):
        spec = {"name": "en", "description": "d"} | ({} if threshold is None else {"threshold": threshold})
        routing = _routing("language", spec)
        signal = routing.find_signal("language", "en")
        leaf = RuleNode.from_spec({"type": "language", "name": "en"})
        confs = [round(rng.uniform(0, 1), 2) for _ in range(30)] + [0.3, 0.6]
        frame = pl.DataFrame({"lang": ["en"] * len(confs), "conf": confs})
        polars = _polars_verdicts(signal, leaf, frame)
        encoding = Encoding(routing)
        atom = encoding.atom(leaf)
        conf_term = encoding.pool.term("language_conf")
        solver = []
        for conf in confs:
            s = z3.Solver()
            s.add(*encoding.pool.background, encoding.pool.is_("language", "en"), conf_term == z3.RealVal(str(conf)))
            solver.append(s.check(atom) == z3.sat and s.check(z3.Not(atom)) == z3.unsat)
        assert polars == solver


@pytest.mark.parametrize("collection,leaf_type,spec", [
    ("embeddings", "embedding", {"candidates": ["a"]}),
    ("jailbreak", "jailbreak", {}),
    ("reasks", "reask", {}),
    ("preferences", "preference", {"description": "d"}),
    ("pii", "pii", {}),
    ("language", "language", {"description": "d"}),
    ("complexity", "complexity", {"hard": {"candidates": ["h"]}, "easy": {"candidates": ["e"]}}),
])
def test_unset_threshold_is_the_routers_default_everywhere(collection, leaf_type, spec):
    signal = _routing(collection, {"name": "s", **spec}).find_signal(leaf_type, "s")
    assert signal.effective_threshold() == ROUTER_UNSET[leaf_type]
    extractor = Extractor.for_leaf_type(leaf_type)
    assert extractor.numeric_thresholds(signal).get("threshold") == ROUTER_UNSET[leaf_type]


def test_written_zero_means_unset_only_where_the_router_says_so():
    reask = _routing("reasks", {"name": "r", "threshold": 0}).find_signal("reask", "r")
    assert reask.effective_threshold() == 0.8 and reask.effective_lookback() == 1
    language = _routing("language", {"name": "en", "description": "d", "threshold": 0}).find_signal("language", "en")
    assert language.effective_threshold() == 0.3
    embedding = _routing("embeddings", {"name": "e", "threshold": 0, "candidates": ["a"]}).find_signal("embedding", "e")
    assert embedding.effective_threshold() == 0.0


@pytest.mark.parametrize("spec,expected", [
    ({}, {0.05: "hard", -0.05: "easy", 0.0: "medium"}),  # unset: threshold 0, the router's zero value
    ({"threshold": 0.1}, {0.15: "hard", 0.05: "medium", -0.15: "easy"}),
    ({"hard_above": 0.2, "easy_below": -0.1}, {0.25: "hard", 0.0: "medium", -0.2: "easy"}),
    ({"hard_below": -0.2, "easy_above": 0.1}, {-0.25: "hard", 0.0: "medium", 0.2: "easy"}),  # lower is harder
])
def test_complexity_levels_follow_the_routers_boundaries(spec, expected):
    signal = _routing("complexity", {"name": "c", "hard": {"candidates": ["h"]}, "easy": {"candidates": ["e"]},
                                     **spec}).find_signal("complexity", "c")
    extractor = Extractor.for_leaf_type("complexity")
    margins = list(expected)
    frame = pl.DataFrame({"hard": [0.5 + m for m in margins], "easy": [0.5] * len(margins)})
    for level in ("hard", "medium", "easy"):
        leaf = RuleNode.from_spec({"type": "complexity", "name": f"c:{level}"})
        fired = _polars_verdicts(signal, leaf, frame)
        assert fired == [expected[m] == level for m in margins], (spec, level)
