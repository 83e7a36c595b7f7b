"""Compiled decisions and the vectorised ranking against the reference single-request path."""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies.columns import confidence_column, fired_column
from policies.evaluate import SignalHit, route
from policies.model import Decision, RuleNode, Routing
from policies.simulation.decide import compile_decisions, route_frame

LEAVES = [("keyword", "a"), ("keyword", "b"), ("embedding", "e"), ("domain", "math"), ("complexity", "c:hard")]
SCORED = {("embedding", "e"), ("domain", "math"), ("complexity", "c:hard")}


def leaf(key):
    return RuleNode(type=key[0], name=key[1])


def frame(rows: list[dict]) -> pl.DataFrame:
    """Leaf columns from per-row {key: (fired, conf)} dicts."""
    data: dict[str, list] = {}
    for key in LEAVES:
        data[fired_column(key)] = [r.get(key, (False, None))[0] for r in rows]
        data[confidence_column(key)] = pl.Series([r.get(key, (False, None))[1] for r in rows], dtype=pl.Float64)
    return pl.DataFrame(data)


def batch_winners(decisions, rows, strategy="priority", mode="current"):
    compiled = compile_decisions(decisions, lambda k: k in SCORED, strategy, mode)
    return route_frame(compiled, frame(rows))["decision"].to_list()


def single_winners(decisions, rows, strategy="priority", mode="current"):
    routing = Routing(decisions=decisions, strategy=strategy)
    out = []
    for r in rows:
        state = {k: SignalHit(f, c) for k, (f, c) in r.items()}
        out.append(route(routing, state, "default", mode).decision_name)
    return out


def d(name, rules=None, priority=0, tier=None):
    return Decision(name=name, priority=priority, tier=tier, rules=rules)


def test_no_match_routes_to_default_model():
    decisions = [d("x", RuleNode.all_of(leaf(("keyword", "a"))), 5)]
    assert batch_winners(decisions, [{}]) == [None]


def test_priority_then_name_breaks_ties_without_scores():
    decisions = [d("zeta", leaf(("keyword", "a")), 5), d("alpha", leaf(("keyword", "a")), 5),
                 d("low", leaf(("keyword", "a")), 1)]
    assert batch_winners(decisions, [{("keyword", "a"): (True, None)}]) == ["alpha"]


def test_catch_all_ranks_after_real_matches_and_wins_alone():
    decisions = [d("catch", None, 100), d("real", leaf(("keyword", "a")), 1)]
    rows = [{("keyword", "a"): (True, None)}, {}]
    assert batch_winners(decisions, rows) == ["real", "catch"]


def test_lower_tier_wins_over_priority():
    decisions = [d("t1", leaf(("keyword", "a")), 1000, tier=1), d("t0", leaf(("keyword", "a")), 1)]
    assert batch_winners(decisions, [{("keyword", "a"): (True, None)}]) == ["t0"]


def test_confidence_strategy_and_3079_comparability():
    decisions = [d("p_high", leaf(("embedding", "e")), 10), d("p_low", leaf(("domain", "math")), 1),
                 d("crisp", leaf(("keyword", "a")), 5)]
    scored_only = [{("embedding", "e"): (True, 0.6), ("domain", "math"): (True, 0.9)}]
    assert batch_winners(decisions, scored_only, "confidence") == ["p_low"]
    assert batch_winners(decisions, scored_only, "priority") == ["p_high"]
    # a crisp candidate makes confidences incomparable: priority decides even under strategy confidence
    mixed = [{**scored_only[0], ("keyword", "a"): (True, None)}]
    assert batch_winners(decisions, mixed, "confidence") == ["p_high"]


def test_equal_priority_decided_by_confidence_when_comparable():
    decisions = [d("a_dec", leaf(("embedding", "e")), 5), d("b_dec", leaf(("domain", "math")), 5)]
    rows = [{("embedding", "e"): (True, 0.6), ("domain", "math"): (True, 0.9)},
            {("embedding", "e"): (True, 0.9), ("domain", "math"): (True, 0.9)}]
    assert batch_winners(decisions, rows) == ["b_dec", "a_dec"]


# -- property: batch == single-request reference ----------------------------------------
@st.composite
def trees(draw, depth=0):
    if depth >= 2 or draw(st.booleans()):
        return leaf(draw(st.sampled_from(LEAVES)))
    op = draw(st.sampled_from(["AND", "OR", "NOT"]))
    n = 1 if op == "NOT" else draw(st.integers(0 if depth else 1, 3))
    return RuleNode(operator=op, conditions=[draw(trees(depth + 1)) for _ in range(n)])


@st.composite
def decision_sets(draw):
    count = draw(st.integers(1, 6))
    names = draw(st.lists(st.sampled_from("abcdefghij"), min_size=count, max_size=count, unique=True))
    out = []
    for name in names:
        rules = None if draw(st.integers(0, 6)) == 0 else draw(trees())
        out.append(Decision(name=name, priority=draw(st.sampled_from([0, 1, 5])),
                            tier=draw(st.sampled_from([None, 0, 1])), rules=rules))
    return out


CONF = st.sampled_from([0.25, 0.5, 0.75, 1.0, 0.1, 0.3])


@st.composite
def signal_rows(draw):
    rows = []
    for _ in range(draw(st.integers(1, 8))):
        row = {}
        for key in LEAVES:
            fired = draw(st.booleans())
            conf = draw(CONF) if key in SCORED and draw(st.integers(0, 4)) else None
            row[key] = (fired, conf)
        rows.append(row)
    return rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(decision_sets(), signal_rows(), st.sampled_from(["priority", "confidence"]),
       st.sampled_from(["current", "aug2026"]))
def test_batch_winner_equals_reference_route(decisions, rows, strategy, mode):
    assert batch_winners(decisions, rows, strategy, mode) == single_winners(decisions, rows, strategy, mode)
