"""Embedding signals as the router's embedding classifier scores them (bundled encoder)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from policies.columns import fired_column
from policies.model import RuleNode
from policies.model.routing import Routing
from policies.simulation import Simulator
from policies.simulation.neural import NeuralContext
from policies.signals.base import Extractor
from tests.policies.simulation.conftest import make_policy, requests_from_prompts
from tests.policies.simulation.test_neural_signals import encoder  # noqa: F401  (the bundled encoder, or a skip)

A, B = "reset a network password", "bake a chocolate cake"
N1, N2 = "write a poem about spring", "explain quantum physics"
PROMPTS = ["How do I reset my router password?", "Give me a cake recipe", ""]


def _simulate(encoder, tmp_path, rule: dict, prompts=PROMPTS):
    policy = make_policy([{"name": "d", "priority": 1, "modelRefs": [{"model": "large"}],
                           "rules": {"operator": "AND", "conditions": [{"type": "embedding", "name": "e"}]}}],
                         {"embeddings": [{"name": "e", **rule}]})
    return Simulator(requests_from_prompts(prompts), context=NeuralContext(encoder, cache_dir=tmp_path)).simulate(policy)


def _sims(encoder, tmp_path, texts: list[str]) -> np.ndarray:
    vectors = NeuralContext(encoder, cache_dir=tmp_path).embed([*PROMPTS[:2], *texts])
    return vectors[:2] @ vectors[2:].T


def test_max_scores_the_prototype_blend_and_mean_the_deduplicated_bank(encoder, tmp_path):
    sims = _sims(encoder, tmp_path, [A, B, N1, N2])
    top = np.sort(sims[:, :2], axis=1)[:, ::-1]
    blend = 0.75 * top[:, 0] + 0.25 * top.mean(axis=1)
    raw = _simulate(encoder, tmp_path, {"threshold": 0.5, "candidates": [A, B]}).extraction.raw
    assert raw["raw::embedding::e::score"].to_list()[:2] == pytest.approx(blend, abs=1e-5)
    contrastive = {"threshold": 0.0, "candidates": [A, A, B], "negative_candidates": [N1, N2],
                   "aggregation_method": "mean"}
    raw = _simulate(encoder, tmp_path, contrastive).extraction.raw
    expected = sims[:, :2].mean(axis=1) - sims[:, 2:].mean(axis=1)
    assert raw["raw::embedding::e::score"].to_list()[:2] == pytest.approx(expected, abs=1e-5)


def test_a_blank_prompt_is_never_scored(encoder, tmp_path):
    result = _simulate(encoder, tmp_path, {"threshold": -1.0, "candidates": [A]})
    assert result.requests[fired_column(("embedding", "e"))].to_list() == [True, True, False]


def test_an_image_query_is_unavailable(encoder, tmp_path):
    result = _simulate(encoder, tmp_path, {"threshold": 0.5, "candidates": [A], "query_modality": "image"})
    assert "embedding:e" in result.unavailable


@pytest.mark.parametrize("negative,expected", [(False, [0.0, 0.3, 1.0]), (True, [0.375, 0.575, 0.85])])
def test_confidence_is_the_bounded_score(negative, expected):
    spec = {"name": "e", "threshold": 0.1, "candidates": [A]} | ({"negative_candidates": [N1]} if negative else {})
    signal = Routing.from_spec({"signals": {"embeddings": [spec]}}).find_signal("embedding", "e")
    leaf = Extractor.for_leaf_type("embedding").leaf(signal, RuleNode.from_spec({"type": "embedding", "name": "e"}),
                                                     pl.col)
    frame = pl.DataFrame({"score": [-0.5, 0.3, 1.4]})
    assert frame.select(leaf.conf.alias("c"))["c"].to_list() == pytest.approx(expected)
    assert frame.select(leaf.fired.alias("f"))["f"].to_list() == [False, True, True]
