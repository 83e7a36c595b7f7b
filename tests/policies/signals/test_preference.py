"""Preference signals as the router's contrastive preference classifier scores them (bundled encoder)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from policies.columns import confidence_column, fired_column
from policies.simulation import Simulator
from policies.simulation.neural import NeuralContext
from tests.policies.simulation.conftest import make_policy, requests_from_prompts
from tests.policies.simulation.test_neural_signals import encoder  # noqa: F401  (the bundled encoder, or a skip)

DESCRIPTION, EXAMPLE = "Creative writing: poems, stories and song lyrics", "Fix the failing unit test in my Python code"
PROMPTS = ["Write a short poem about the sea", "What is 2 + 2?", "   "]


def _run(encoder, tmp_path, **rule) -> pl.DataFrame:
    policy = make_policy([{"name": "pref", "priority": 1, "modelRefs": [{"model": "large"}],
                           "rules": {"operator": "AND", "conditions": [{"type": "preference", "name": "p"}]}}],
                         {"preferences": [{"name": "p", "description": DESCRIPTION, "examples": [EXAMPLE], **rule}]})
    context = NeuralContext(encoder, cache_dir=tmp_path)
    return Simulator(requests_from_prompts(PROMPTS), context=context).simulate(policy).requests


def test_the_score_is_the_prototype_blend_over_description_and_examples(encoder, tmp_path):
    out = _run(encoder, tmp_path)
    vectors = NeuralContext(encoder, cache_dir=tmp_path).embed([DESCRIPTION, EXAMPLE, *PROMPTS[:2]])
    assert float(vectors[0] @ vectors[1]) < 0.9  # two prototypes, no clustering
    for row in range(2):
        sims = sorted((float(vectors[2 + row] @ vectors[i]) for i in (0, 1)), reverse=True)
        expected = 0.75 * sims[0] + 0.25 * np.mean(sims)
        assert out[confidence_column(("preference", "p"))][row] == pytest.approx(expected, abs=1e-5)


def test_an_unset_threshold_is_no_threshold_and_a_blank_prompt_never_fires(encoder, tmp_path):
    assert _run(encoder, tmp_path)[fired_column(("preference", "p"))].to_list() == [True, True, False]
    out = _run(encoder, tmp_path, threshold=0.45)
    scores = out[confidence_column(("preference", "p"))].to_list()
    assert out[fired_column(("preference", "p"))].to_list() == [s is not None and s >= 0.45 for s in scores]
