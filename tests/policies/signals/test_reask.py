"""Reask signals as the router's reask classifier scores them, with the bundled encoder."""

from __future__ import annotations

import polars as pl

from policies.columns import confidence_column, fired_column
from policies.simulation import Simulator
from policies.simulation.neural import NeuralContext
from tests.policies.simulation.conftest import make_policy
from tests.policies.simulation.test_neural_signals import encoder  # noqa: F401  (the bundled encoder, or a skip)

SAME, OTHER = "How do I reset my router password?", "What is the weather like in Paris today?"


def _conversation(*turns: str) -> list[dict[str, str]]:
    out = []
    for turn in turns:
        out += [{"role": "user", "content": turn}, {"role": "assistant", "content": "answer"}]
    return out[:-1]


def _run(encoder, tmp_path, conversations: list[list[dict[str, str]]], **rule) -> pl.DataFrame:
    policy = make_policy([{"name": "again", "priority": 1, "modelRefs": [{"model": "large"}],
                           "rules": {"operator": "AND", "conditions": [{"type": "reask", "name": "r"}]}}],
                         {"reasks": [{"name": "r", **rule}]})
    requests = pl.DataFrame({"request_id": [f"q{i}" for i in range(len(conversations))],
                             "messages": conversations})
    return Simulator(requests, context=NeuralContext(encoder, cache_dir=tmp_path)).simulate(policy).requests


def test_every_looked_back_turn_must_be_similar_and_the_confidence_is_the_lowest(encoder, tmp_path):
    out = _run(encoder, tmp_path, [_conversation(OTHER, SAME, SAME), _conversation(SAME, OTHER, SAME),
                                   _conversation(SAME, SAME, SAME)], lookback_turns=2)
    assert out[fired_column(("reask", "r"))].to_list() == [False, False, True]
    assert out[confidence_column(("reask", "r"))][2] == 1.0  # identical turns score exactly 1


def test_too_few_prior_turns_never_fire_and_blank_turns_are_skipped(encoder, tmp_path):
    out = _run(encoder, tmp_path, [_conversation(SAME, SAME), _conversation(SAME, "   ", SAME),
                                   _conversation(SAME, SAME + "   ")], lookback_turns=2)
    assert out[fired_column(("reask", "r"))].to_list() == [False, False, False]
    out = _run(encoder, tmp_path, [_conversation(SAME, "   ", SAME), _conversation(SAME, "  " + SAME + " ")])
    assert out[fired_column(("reask", "r"))].to_list() == [True, True]
