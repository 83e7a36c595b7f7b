"""Complexity signals as the router's complexity classifier scores them (bundled encoder)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from policies.model import RuleNode
from policies.model.routing import Routing
from policies.simulation import Simulator
from policies.simulation.neural import NeuralContext
from policies.signals.base import Extractor
from tests.policies.simulation.conftest import make_policy, requests_from_prompts
from tests.policies.simulation.test_neural_signals import encoder  # noqa: F401  (the bundled encoder, or a skip)

HARD = ["prove this theorem rigorously", "design a distributed consensus protocol"]
PROMPTS = ["Prove that there are infinitely many primes", "What is 2 + 2?"]


def _simulate(encoder, tmp_path, rule: dict):
    policy = make_policy([{"name": "d", "priority": 1, "modelRefs": [{"model": "large"}],
                           "rules": {"operator": "AND", "conditions": [{"type": "complexity", "name": "c:hard"}]}}],
                         {"complexity": [{"name": "c", **rule}]})
    return Simulator(requests_from_prompts(PROMPTS), context=NeuralContext(encoder, cache_dir=tmp_path)).simulate(policy)


def test_hard_is_a_prototype_blend_and_an_empty_easy_bank_scores_zero(encoder, tmp_path):
    raw = _simulate(encoder, tmp_path, {"threshold": 0.1, "hard": {"candidates": HARD}, "easy": {"candidates": []}})
    vectors = NeuralContext(encoder, cache_dir=tmp_path).embed([*PROMPTS, *HARD])
    sims = np.sort(vectors[:2] @ vectors[2:].T, axis=1)[:, ::-1]
    assert raw.extraction.raw["raw::complexity::c::hard"].to_list() == pytest.approx(
        0.75 * sims[:, 0] + 0.25 * sims.mean(axis=1), abs=1e-5)
    assert raw.extraction.raw["raw::complexity::c::easy"].to_list() == [0.0, 0.0]


def test_model_method_rules_are_unavailable(encoder, tmp_path):
    result = _simulate(encoder, tmp_path, {"method": "model", "threshold": 0.5,
                                           "hard": {"candidates": HARD}, "easy": {"candidates": ["hi"]}})
    assert "complexity:c:hard" in result.unavailable


@pytest.mark.parametrize("level", ["hard", "medium", "easy"])
def test_every_level_reports_the_margins_size_as_confidence(level):
    signal = Routing.from_spec({"signals": {"complexity": [{"name": "c", "threshold": 0.1, "hard": {"candidates": ["h"]},
                                                            "easy": {"candidates": ["e"]}}]}}).find_signal("complexity", "c")
    leaf = Extractor.for_leaf_type("complexity").leaf(signal, RuleNode.from_spec({"type": "complexity",
                                                                                  "name": f"c:{level}"}), pl.col)
    frame = pl.DataFrame({"hard": [0.7, 0.55, 0.3], "easy": [0.5, 0.5, 0.6]})
    assert frame.select(leaf.conf.alias("c"))["c"].to_list() == pytest.approx([0.2, 0.05, 0.3])
