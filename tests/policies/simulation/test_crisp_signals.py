"""Crisp signal families over real Polars frames: each leaf's fired column, request by request."""

from __future__ import annotations

import polars as pl

from policies.columns import fired_column
from policies.simulation import Simulator
from policies.simulation.extract import narrowed

from .conftest import make_policy, requests_from_prompts


def fired(policy, requests, key) -> list[bool]:
    return Simulator(requests).simulate(policy).requests[fired_column(key)].to_list()


def leaf_policy(kind: str, collection: str, signal: dict, leaf_name: str | None = None):
    return make_policy([{"name": "d", "priority": 1, "rules": {"operator": "AND", "conditions": [
        {"type": kind, "name": leaf_name or signal["name"]}]}, "modelRefs": [{"model": "large"}]}],
        {collection: [signal]})


def test_keyword_or_and_word_boundaries():
    reqs = requests_from_prompts(["This is URGENT", "urgently please", "asap and urgent", "nothing"])
    or_policy = leaf_policy("keyword", "keywords", {"name": "k", "operator": "OR", "keywords": ["urgent", "asap"]})
    assert fired(or_policy, reqs, ("keyword", "k")) == [True, False, True, False]
    and_policy = leaf_policy("keyword", "keywords", {"name": "k", "operator": "AND", "keywords": ["urgent", "asap"]})
    assert fired(and_policy, reqs, ("keyword", "k")) == [False, False, True, False]


def test_keyword_case_sensitive_regex_and_nor():
    reqs = requests_from_prompts(["Call SSN now", "call ssn now", "order 12345"])
    cs = leaf_policy("keyword", "keywords", {"name": "k", "operator": "OR", "keywords": ["SSN"], "case_sensitive": True})
    assert fired(cs, reqs, ("keyword", "k")) == [True, False, False]
    rx = leaf_policy("keyword", "keywords", {"name": "k", "operator": "OR", "keywords": [r"\d{5}"], "method": "regex"})
    assert fired(rx, reqs, ("keyword", "k")) == [False, False, True]
    nor = leaf_policy("keyword", "keywords", {"name": "k", "operator": "NOR", "keywords": ["ssn"]})
    assert fired(nor, reqs, ("keyword", "k")) == [False, False, True]


def test_keyword_fuzzy_bm25_and_ngram():
    reqs = requests_from_prompts(["plese help with my invoce", "invoice question", "hello there"])
    fuzzy = leaf_policy("keyword", "keywords", {"name": "k", "operator": "OR", "keywords": ["invoice"],
                                                "fuzzy_match": True, "fuzzy_threshold": 1})
    assert fired(fuzzy, reqs, ("keyword", "k")) == [True, True, False]
    bm25 = leaf_policy("keyword", "keywords", {"name": "k", "operator": "OR", "keywords": ["invoice question", "refund"],
                                               "method": "bm25", "bm25_threshold": 0.1})
    assert fired(bm25, reqs, ("keyword", "k")) == [False, True, False]
    ngram = leaf_policy("keyword", "keywords", {"name": "k", "operator": "OR", "keywords": ["invoice"],
                                                "method": "ngram", "ngram_threshold": 0.4})
    assert fired(ngram, reqs, ("keyword", "k")) == [True, True, False]


def test_context_band_is_inclusive_and_parses_suffixes():
    reqs = requests_from_prompts(["a"] * 4, prompt_tokens=[31_999, 32_000, 128_000, None])
    policy = leaf_policy("context", "context", {"name": "long", "min_tokens": "32K", "max_tokens": "128K"})
    assert fired(policy, reqs, ("context", "long")) == [False, True, True, False]


def test_structure_count_exists_density():
    reqs = requests_from_prompts(["1. a\n2. b\n3. c", "no list", "x" * 10 + "?" * 5])
    count = leaf_policy("structure", "structure", {"name": "s", "feature": {
        "type": "count", "source": {"type": "regex", "pattern": r"(?m)^\d+\."}}, "predicate": {"gte": 3}})
    assert fired(count, reqs, ("structure", "s")) == [True, False, False]
    exists = leaf_policy("structure", "structure", {"name": "s", "feature": {
        "type": "exists", "source": {"type": "keyword_set", "keywords": ["list", "?"]}}})
    assert fired(exists, reqs, ("structure", "s")) == [False, True, True]
    # density is per text unit (a word run, or one CJK character): 5 '?' over one unit 'xxxxxxxxxx'
    density = leaf_policy("structure", "structure", {"name": "s", "feature": {
        "type": "density", "source": {"type": "regex", "pattern": r"\?"}}, "predicate": {"gt": 3}})
    assert fired(density, reqs, ("structure", "s")) == [False, False, True]


def test_language_detector_and_threshold():
    reqs = requests_from_prompts(["What is the best way to learn?", "¿Cuál es la mejor manera de aprender?", "学习的最好方法是什么"])
    # 0.6: below it the Spanish detection (0.4 here) is reported as English at 0.5 (ClassifyWithThreshold)
    en = leaf_policy("language", "language", {"name": "en", "description": "English", "threshold": 0.6})
    zh = leaf_policy("language", "language", {"name": "zh", "description": "Chinese"})
    assert fired(en, reqs, ("language", "en")) == [True, False, False]
    assert fired(zh, reqs, ("language", "zh")) == [False, False, True]


def test_authz_from_user_and_groups_and_metadata_predicates():
    reqs = requests_from_prompts(["q"] * 4, user_id=["alice", "bob", "carol", None],
                         metadata=[{"groups": ["clinical-staff"], "region": "eu"}, {"groups": ["sales"], "region": "us"},
                                   {"region": "apac"}, None])
    authz = leaf_policy("authz", "role_bindings", {"name": "clinician", "role": "clinician", "subjects": [
        {"kind": "Group", "name": "clinical-staff"}, {"kind": "User", "name": "carol"}]})
    assert fired(authz, reqs, ("authz", "clinician")) == [True, False, True, False]  # conditions name the role
    equals = leaf_policy("metadata", "metadata", {"name": "eu", "key": "region", "predicate": {"equals": "eu"}})
    assert fired(equals, reqs, ("metadata", "eu")) == [True, False, False, False]
    within = leaf_policy("metadata", "metadata", {"name": "m", "key": "region", "predicate": {"in": ["us", "apac"]}})
    assert fired(within, reqs, ("metadata", "m")) == [False, True, True, False]
    exists = leaf_policy("metadata", "metadata", {"name": "m", "key": "groups", "predicate": {"exists": True}})
    assert fired(exists, reqs, ("metadata", "m")) == [True, True, False, False]


def test_conversation_features_and_input_modality():
    reqs = pl.DataFrame({
        "request_id": ["a", "b"],
        "messages": [[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"},
                      {"role": "user", "content": "again"}], [{"role": "user", "content": "x"},
                                                              {"role": "tool", "content": "{}"}]],
        "tool_definitions": [0, 1], "has_image": [True, False],
    })
    users = leaf_policy("conversation", "conversation", {"name": "c", "feature": {
        "type": "count", "source": {"type": "message", "role": "user"}}, "predicate": {"gte": 2}})
    assert fired(users, reqs, ("conversation", "c")) == [True, False]
    loop = leaf_policy("conversation", "conversation", {"name": "c", "feature": {
        "type": "exists", "source": {"type": "active_tool_loop"}}})
    assert fired(loop, reqs, ("conversation", "c")) == [False, True]
    tools = leaf_policy("conversation", "conversation", {"name": "c", "feature": {
        "type": "exists", "source": {"type": "tool_definition"}}})
    assert fired(tools, reqs, ("conversation", "c")) == [False, True]
    image = leaf_policy("input_modality", "input_modality", {"name": "img", "modality": "image"})
    assert fired(image, reqs, ("input_modality", "img")) == [True, False]


def test_uncomputable_signals_are_reported_not_silently_false():
    reqs = requests_from_prompts(["is this true?"])
    policy = leaf_policy("fact_check", "fact_check", {"name": "needs_fact_check", "description": "x"})
    result = Simulator(reqs).simulate(policy)
    assert "fact_check:needs_fact_check" in result.unavailable
    assert result.summary()["unavailable_signals"]["fact_check:needs_fact_check"]["decisions"] == ["d"]


def test_raw_columns_are_float32_only_where_that_changes_no_value():
    """Hits, token counts and BM25 scores (float32 in the router, lexical/bm25.go) are kept at half the
    memory; a score that float32 would round keeps float64."""
    reqs = requests_from_prompts(["invoice question about a refund", "hello there", "refund my invoice now"])
    policy = make_policy([
        {"name": "hit", "priority": 2, "rules": {"operator": "AND", "conditions": [{"type": "keyword", "name": "plain"}]},
         "modelRefs": [{"model": "large"}]},
        {"name": "scored", "priority": 1, "rules": {"operator": "AND", "conditions": [{"type": "keyword", "name": "bm"}]},
         "modelRefs": [{"model": "large"}]}],
        {"keywords": [{"name": "plain", "operator": "OR", "keywords": ["refund"]},
                      {"name": "bm", "operator": "OR", "keywords": ["invoice question", "refund"],
                       "method": "bm25", "bm25_threshold": 0.1}]})
    raw = Simulator(reqs).simulate(policy).extraction.raw
    plain = raw["raw::keyword::plain::k0"]
    assert plain.dtype == pl.Float32 and plain.to_list() == [1.0, 0.0, 1.0]
    bm25 = raw.select(pl.selectors.starts_with("raw::keyword::bm::"))
    assert set(bm25.dtypes) == {pl.Float32} and bm25["raw::keyword::bm::k1"].to_list()[1] == 0.0
    assert narrowed(pl.Series([0.1, 0.5])).dtype == pl.Float64, "a score float32 rounds was narrowed"
