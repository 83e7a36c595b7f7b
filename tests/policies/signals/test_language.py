"""Language signals as the router reports languages (language_classifier.go, evaluateLanguageSignal)."""

from __future__ import annotations

import itertools

import polars as pl
import pytest
import z3

from policies.conflicts.encoding import Encoding
from policies.model import RuleNode
from policies.model.routing import Routing
from policies.signals.base import Extractor
from tests.policies.simulation.conftest import requests_from_prompts
from tests.policies.simulation.test_crisp_signals import fired, leaf_policy


def _signal(name: str, threshold: float | None = None):
    spec = {"name": name, "description": "d"} | ({} if threshold is None else {"threshold": threshold})
    routing = Routing.from_spec({"signals": {"language": [spec]}})
    return routing, routing.find_signal("language", name)


def _leaf(name: str) -> RuleNode:
    return RuleNode.from_spec({"type": "language", "name": name})


def test_text_the_detector_cannot_place_is_reported_as_english():
    requests = requests_from_prompts(["", "12345 ???", "Bonjour, je voudrais un café s'il vous plaît"])
    assert fired(leaf_policy("language", "language", {"name": "en", "description": "d"}), requests,
                 ("language", "en")) == [True, True, False]


def test_a_detection_below_the_threshold_is_reported_as_english():
    _, en = _signal("en")
    _, fr = _signal("fr")
    frame = pl.DataFrame({"lang": ["fr", "fr"], "conf": [0.2, 0.9]})
    extractor = Extractor.for_leaf_type("language")
    verdict = {s.name: frame.select(extractor.leaf(s, _leaf(s.name), pl.col).fired.alias("f"))["f"].to_list()
               for s in (en, fr)}
    assert verdict == {"en": [True, False], "fr": [False, True]}


def test_rule_names_compare_exactly_and_leaves_are_crisp():
    _, upper = _signal("EN")
    leaf = Extractor.for_leaf_type("language").leaf(upper, _leaf("EN"), pl.col)
    frame = pl.DataFrame({"lang": ["en"], "conf": [0.99]})
    assert frame.select(leaf.fired.alias("f"))["f"].to_list() == [False]
    assert leaf.conf is None


@pytest.mark.parametrize("written", [None, 0, -0.5])
def test_a_threshold_of_zero_or_below_is_the_builtin_point_three(written):
    assert _signal("en", written)[1].effective_threshold() == 0.3


@pytest.mark.parametrize("name,threshold", [("en", None), ("en", 0.6), ("fr", None), ("fr", 0.6)])
def test_solver_and_simulation_agree_on_the_english_fallback(name, threshold):
    routing, signal = _signal(name, threshold)
    rows = list(itertools.product(["en", "fr", "und"], [0.1, 0.3, 0.45, 0.6, 0.9]))
    frame = pl.DataFrame({"lang": [r[0] for r in rows], "conf": [r[1] for r in rows]})
    polars = frame.select(Extractor.for_leaf_type("language").leaf(signal, _leaf(name), pl.col).fired.alias("f"))
    encoding = Encoding(routing)
    atom = encoding.atom(_leaf(name))
    conf = encoding.pool.term("language_conf")
    solver = []
    for lang, value in rows:
        s = z3.Solver()
        s.add(*encoding.pool.background, encoding.pool.is_("language", lang), conf == z3.RealVal(str(value)))
        yes, no = s.check(atom) == z3.sat, s.check(z3.Not(atom)) == z3.sat
        assert yes != no
        solver.append(yes)
    assert polars["f"].to_list() == solver
