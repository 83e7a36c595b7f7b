"""Keyword signals as the router evaluates them (keyword_classifier.go, lexical/, keywordSignalText).

Each test pins one rule of the router's that the studio once got wrong: the text is the recent user
turns, not only the last one; a rule without a valid operator is refused, not read as OR; BM25 scores
stemmed, stop-word-free tokens; n-gram similarity is ngrammatic's warp-2 formula; fuzzy words split at
underscores; AND/NOR over no keywords match.
"""

from __future__ import annotations

import polars as pl
import pytest

from policies.columns import fired_column
from policies.errors import Severity
from policies.model import RuleNode
from policies.model.routing import Routing
from policies.signals.lexical import Bm25Index, NgramIndex, bm25_tokens
from policies.simulation import Simulator
from policies.signals.base import Extractor
from policies.validation import validate_policy
from tests.policies.simulation.conftest import make_policy, requests_from_prompts
from tests.policies.test_signal_semantics_agree import _z3_verdicts


def _policy(signal: dict):
    return make_policy([{"name": "d", "priority": 1, "rules": {"operator": "AND", "conditions": [
        {"type": "keyword", "name": signal["name"]}]}, "modelRefs": [{"model": "large"}]}], {"keywords": [signal]})


def _fired(signal: dict, requests: pl.DataFrame) -> list[bool]:
    result = Simulator(requests).simulate(_policy(signal))
    return result.requests[fired_column(("keyword", signal["name"]))].to_list()


def test_a_marker_in_an_earlier_user_turn_still_matches():
    requests = pl.DataFrame({
        "request_id": ["a", "b", "c"],
        "prompt": ["and now summarise it", "and now summarise it", "hello"],
        "messages": [
            [{"role": "user", "content": "this is CONFIDENTIAL"}, {"role": "assistant", "content": "ok"},
             {"role": "user", "content": "and now summarise it"}],
            [{"role": "system", "content": "confidential"}, {"role": "user", "content": "and now summarise it"}],
            [{"role": "user", "content": "   "}, {"role": "user", "content": "hello"}],
        ],
    })
    signal = {"name": "k", "operator": "OR", "keywords": ["confidential"]}
    assert _fired(signal, requests) == [True, False, False]  # system text is not keyword text


def test_only_the_latest_twenty_prior_turns_count():
    turns = [{"role": "user", "content": "secret"}] + [{"role": "user", "content": f"turn {i}"} for i in range(21)]
    requests = pl.DataFrame({"request_id": ["a"], "prompt": ["turn 20"], "messages": [turns]})
    assert _fired({"name": "k", "operator": "OR", "keywords": ["secret"]}, requests) == [False]


@pytest.mark.parametrize("operator", [None, "or", "XOR"])
def test_a_rule_without_a_valid_operator_is_refused(operator):
    spec = {"name": "k", "keywords": ["urgent"]} | ({} if operator is None else {"operator": operator})
    policy = _policy(spec)
    errors = [f for f in validate_policy(policy) if f.severity is Severity.ERROR and "operator" in f.path]
    assert len(errors) == 1 and errors[0].path[-3:] == ("keywords", 0, "operator")  # one located error
    result = Simulator(requests_from_prompts(["urgent"])).simulate(policy)
    assert "keyword:k" in result.unavailable
    assert result.requests[fired_column(("keyword", "k"))].to_list() == [False]


def test_bm25_matches_stems_ignores_stop_words_and_counts_repeats():
    assert bm25_tokens("The runners were Running, quickly!") == ["runner", "run", "quick"]
    index = Bm25Index(["run", "invoice refund"])
    once, twice = index.scores("I run"), index.scores("run run")
    assert once[0] > 0 and twice[0] == pytest.approx(2 * once[0])
    requests = requests_from_prompts(["she was running late", "the of and", "refund"])
    signal = {"name": "k", "operator": "OR", "keywords": ["run", "the"], "method": "bm25"}
    assert _fired(signal, requests) == [True, False, False]


def test_bm25_threshold_is_inclusive():
    score = Bm25Index(["alpha", "beta"]).scores("alpha")[0]
    requests = requests_from_prompts(["alpha"])
    signal = {"name": "k", "operator": "OR", "keywords": ["alpha", "beta"], "method": "bm25"}
    assert _fired(signal | {"bm25_threshold": score}, requests) == [True]
    assert _fired(signal | {"bm25_threshold": score * 1.001}, requests) == [False]


def test_ngram_similarity_is_ngrammatics_warp_two():
    # "  abc  " and "  abd  " share 2 of their trigrams; all = 7 + 7 - 6 + 2 - 2 = 8 -> (64 - 36) / 64
    assert NgramIndex(["abc"], 3).scores("abd") == [pytest.approx(0.4375)]
    assert NgramIndex(["abc"], 1).arity == 2
    requests = requests_from_prompts(["abd", "xyz"])
    assert _fired({"name": "k", "operator": "OR", "keywords": ["abc"], "method": "ngram"}, requests) == [True, False]


def test_fuzzy_words_split_at_underscores():
    requests = requests_from_prompts(["see foo_bxr here", "nothing"])
    signal = {"name": "k", "operator": "OR", "keywords": ["bar"], "fuzzy_match": True, "fuzzy_threshold": 1}
    assert _fired(signal, requests) == [True, False]


@pytest.mark.parametrize("operator,expected", [("AND", True), ("NOR", True), ("OR", False)])
def test_operators_over_no_keywords_follow_the_router(operator, expected):
    spec = {"name": "k", "operator": operator, "keywords": []}
    assert _fired(spec, requests_from_prompts(["anything"])) == [expected]
    routing = Routing.from_spec({"signals": {"keywords": [spec]}})
    leaf = RuleNode.from_spec({"type": "keyword", "name": "k"})
    assert _z3_verdicts(routing, leaf, [{}]) == [expected]


def test_keyword_leaves_are_crisp():
    routing = Routing.from_spec({"signals": {"keywords": [{"name": "k", "operator": "OR", "keywords": ["a"]}]}})
    signal = routing.find_signal("keyword", "k")
    leaf = Extractor.for_leaf_type("keyword").leaf(signal, RuleNode.from_spec({"type": "keyword", "name": "k"}),
                                                   lambda part: pl.col(part))
    assert leaf.conf is None
