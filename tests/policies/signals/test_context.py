"""Context signals as the router reads token bands (TokenCount.Value, ContextRule.Bounds, ContextClassifier)."""

from __future__ import annotations

import pytest

from policies.model import RuleNode
from policies.model.routing import Routing
from policies.signals.context import parse_token_count
from tests.policies.simulation.conftest import requests_from_prompts
from tests.policies.simulation.test_crisp_signals import fired, leaf_policy
from tests.policies.test_signal_semantics_agree import _z3_verdicts


@pytest.mark.parametrize("text,count", [("32K", 32_000), (" 1.5m ", 1_500_000), ("1e3", 1000), (".5K", 500),
                                        (4096, 4096), ("+7", 7)])
def test_token_counts_read_as_go_parses_them(text, count):
    assert parse_token_count(text) == count


@pytest.mark.parametrize("text", ["32 K", "NaN", "inf", "-1K", "4k tokens", "1_000"])
def test_token_counts_the_router_refuses(text):
    with pytest.raises(ValueError):
        parse_token_count(text)


@pytest.mark.parametrize("band", [{}, {"min_tokens": "32 K"}, {"min_tokens": "8K", "max_tokens": "4K"}])
def test_a_band_in_error_never_matches_in_simulation_or_solver(band):
    requests = requests_from_prompts(["a", "b"], prompt_tokens=[0, 50_000])
    policy = leaf_policy("context", "context", {"name": "c", **band})
    assert fired(policy, requests, ("context", "c")) == [False, False]
    routing = Routing.from_spec({"signals": {"context": [{"name": "c", **band}]}})
    assert _z3_verdicts(routing, RuleNode.from_spec({"type": "context", "name": "c"}), [{"tokens": 50_000}]) == [False]


def test_an_open_band_and_an_exact_band():
    requests = requests_from_prompts(["a"] * 3, prompt_tokens=[99, 100, 101])
    assert fired(leaf_policy("context", "context", {"name": "c", "min_tokens": 100}), requests,
                 ("context", "c")) == [False, True, True]
    assert fired(leaf_policy("context", "context", {"name": "c", "min_tokens": "100", "max_tokens": "0.1K"}),
                 requests, ("context", "c")) == [False, True, False]
