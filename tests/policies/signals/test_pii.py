"""PII signals as the router evaluates them (evaluatePIIRule, classifier_signal_pii.go; classifier_pii_ops.go).

Pinned rules the studio once got wrong: at threshold 0 only a detected entity counts (a zero score fired
every request); a PII match records no confidence, so it counts 1.0 (it carried the detector's score);
``include_history`` scores system and assistant messages too, each on its own (it read the user turns
joined); the allow-list compares upper case, so a lower-case type is valid. Real bundled detector.
"""

from __future__ import annotations

import polars as pl
import z3

from policies.columns import fired_column
from policies.conflicts.encoding import Encoding
from policies.model import RuleNode
from policies.model.routing import Routing
from policies.simulation import Simulator
from policies.signals.base import Extractor
from tests.policies.simulation.conftest import make_policy
from tests.policies.test_signal_semantics_agree import _polars_verdicts, _z3_verdicts

EMAIL = "Write to me at jane.doe@example.com about the invoice."
PLAIN = "How do I sort a list in Python?"



def _simulate(spec: dict, conversations: list[list[dict]], context) -> pl.DataFrame:
    policy = make_policy([{"name": "d", "priority": 1, "modelRefs": [{"model": "large"}],
                           "rules": {"operator": "AND", "conditions": [{"type": "pii", "name": "p"}]}}],
                         {"pii": [{"name": "p", **spec}]})
    requests = pl.DataFrame({"request_id": [f"r{i}" for i in range(len(conversations))],
                             "messages": conversations})
    return Simulator(requests, context=context).simulate(policy).requests


def test_threshold_zero_needs_a_detected_entity(neural_context):
    out = _simulate({"threshold": 0}, [[{"role": "user", "content": EMAIL}], [{"role": "user", "content": PLAIN}]],
                    neural_context)
    assert out[fired_column(("pii", "p"))].to_list() == [True, False]


def test_a_match_is_crisp(neural_context):
    out = _simulate({"threshold": 0.5}, [[{"role": "user", "content": EMAIL}]], neural_context)
    assert out[fired_column(("pii", "p"))].to_list() == [True]
    signal = Routing.from_spec({"signals": {"pii": [{"name": "p", "threshold": 0.5}]}}).find_signal("pii", "p")
    leaf = Extractor.for_leaf_type("pii").leaf(signal, RuleNode.from_spec({"type": "pii", "name": "p"}),
                                               lambda part: pl.col(part))
    assert leaf.conf is None  # crisp: counts 1.0, not the detector's score


def test_include_history_reads_system_and_assistant_messages(neural_context):
    conversation = [{"role": "system", "content": EMAIL}, {"role": "user", "content": PLAIN},
                    {"role": "assistant", "content": "Use sorted()."},
                    {"role": "user", "content": "And in reverse order?"}]
    only_current = _simulate({"threshold": 0.5}, [conversation], neural_context)
    history = _simulate({"threshold": 0.5, "include_history": True}, [conversation], neural_context)
    assert only_current[fired_column(("pii", "p"))].to_list() == [False]
    assert history[fired_column(("pii", "p"))].to_list() == [True]


def test_a_tool_result_is_not_history(neural_context):
    conversation = [{"role": "user", "content": PLAIN}, {"role": "tool", "content": EMAIL},
                    {"role": "user", "content": "And in reverse order?"}]
    out = _simulate({"threshold": 0.5, "include_history": True}, [conversation], neural_context)
    assert out[fired_column(("pii", "p"))].to_list() == [False]


def test_the_allow_list_compares_upper_case():
    signal = Routing.from_spec({"signals": {"pii": [{"name": "p", "threshold": 0.5,
                                                      "pii_types_allowed": ["email_address", "NOPE"]}]}}
                               ).find_signal("pii", "p")
    assert [(f.code, f.path[-1]) for f in signal.check(("signals", "pii", 0))] == [("unknown-pii-type", 1)]


def test_threshold_zero_agrees_between_simulation_and_solver():
    from policies.labels import PII_TYPES
    routing = Routing.from_spec({"signals": {"pii": [{"name": "p", "threshold": 0}]}})
    signal, leaf = routing.find_signal("pii", "p"), RuleNode.from_spec({"type": "pii", "name": "p"})
    rows = [{t: 0.0 for t in PII_TYPES}, {t: (0.7 if t == "US_SSN" else 0.0) for t in PII_TYPES}]
    polars = _polars_verdicts(signal, leaf, pl.DataFrame(rows).with_columns(OTHER=pl.lit(0.0)))
    assert polars == [False, True]
    assert _z3_verdicts(routing, leaf, [{f"pii:{t}": v for t, v in row.items()} for row in rows]) == polars


def test_the_solver_relates_history_to_the_current_text_and_upper_cases_the_allow_list():
    routing = Routing.from_spec({"signals": {"pii": [
        {"name": "now", "threshold": 0.5, "pii_types_allowed": ["email_address"]},
        {"name": "all", "threshold": 0.5, "pii_types_allowed": ["email_address"], "include_history": True}]}})
    encoding = Encoding(routing)
    now, all_ = (encoding.atom(RuleNode.from_spec({"type": "pii", "name": n})) for n in ("now", "all"))
    solver = z3.Solver()
    solver.add(*encoding.pool.background)
    assert solver.check(now, z3.Not(all_)) == z3.unsat  # more texts read: never fewer matches
    assert solver.check(all_, z3.Not(now)) == z3.sat  # an entity only in an earlier message
    assert "pii:EMAIL_ADDRESS" not in encoding.pool.numbers  # allowed, as the leaf reads it
