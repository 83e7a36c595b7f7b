"""Event signals as the router's rule-based EventClassifier evaluates them (event_classifier.go).

The router matches event rules on the prompt with no model, so the studio simulates them (it reported
them unavailable): whole-word, case-insensitive event types and action codes, the four known
severities, urgency markers; a rule fires when any configured criterion matches, with confidence
0.5 + 0.5 x matched / configured. Unknown severities are dropped (a warning), a rule with no criterion
never fires (a warning). The simulation's leaf and the solver's atom agree.
"""

from __future__ import annotations

import polars as pl
import pytest

from policies.columns import fired_column
from policies.model import RuleNode
from policies.model.routing import Routing
from policies.simulation import Simulator
from policies.simulation.frame import PROMPT
from policies.signals.base import Extractor
from tests.policies.simulation.conftest import make_policy, requests_from_prompts
from tests.policies.test_signal_semantics_agree import _polars_verdicts, _z3_verdicts

PROMPTS = ["ALERT: payment_failed for order 7, severity CRITICAL, fix it now",
           "payment_failedx happened; low priority",
           "TXN_DECLINE on card, please look",
           "nothing to see here"]


def _signal(**spec):
    return Routing.from_spec({"signals": {"events": [{"name": "e", **spec}]}}).find_signal("event", "e")


def _confidences(spec: dict) -> list[float]:
    requests = pl.DataFrame({PROMPT: PROMPTS})
    return Extractor.for_leaf_type("event").raw(_signal(**spec), requests, None)["conf"].to_list()


def test_criteria_match_whole_words_and_set_the_confidence():
    spec = {"event_types": ["payment_failed"], "severities": ["Critical ", "urgent"], "action_codes": ["txn_decline"],
            "temporal": True}
    # Four criteria (the unknown severity "urgent" is dropped): row 0 matches type, severity and "now".
    assert _confidences(spec) == [0.5 + 0.5 * 3 / 4, 0.0, 0.5 + 0.5 * 1 / 4, 0.0]


def test_a_simulated_rule_fires_on_the_prompt():
    policy = make_policy([{"name": "d", "priority": 1, "modelRefs": [{"model": "large"}],
                           "rules": {"operator": "AND", "conditions": [{"type": "event", "name": "e"}]}}],
                         {"events": [{"name": "e", "severities": ["low"]}]})
    out = Simulator(requests_from_prompts(PROMPTS)).simulate(policy).requests
    assert out[fired_column(("event", "e"))].to_list() == [False, True, False, False]


@pytest.mark.parametrize("spec,codes", [
    ({"event_types": ["x"]}, []),
    ({"severities": ["sev1"]}, ["event-severity", "event-no-criteria"]),
    ({"event_types": ["  "], "temporal": False}, ["event-no-criteria"]),
])
def test_dropped_severities_and_empty_rules_are_warned(spec, codes):
    assert [f.code for f in _signal(**spec).check(("signals", "events", 0))] == codes
    if "event-no-criteria" in codes:
        assert _confidences(spec) == [0.0] * len(PROMPTS)


def test_leaf_and_solver_agree():
    spec = {"event_types": ["payment_failed"], "temporal": True}
    routing = Routing.from_spec({"signals": {"events": [{"name": "e", **spec}]}})
    leaf = RuleNode.from_spec({"type": "event", "name": "e"})
    confs = [0.0, 0.5, 0.75, 1.0]
    polars = _polars_verdicts(_signal(**spec), leaf, pl.DataFrame({"conf": confs}))
    assert polars == [False, True, True, True]
    assert _z3_verdicts(routing, leaf, [{"event:e": c} for c in confs]) == polars
