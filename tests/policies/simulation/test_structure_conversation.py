"""Structure and conversation signals as vLLM SR computes them, on hand-written requests read by the real readers.

Expected values are worked out by hand from the router's rules (structure_classifier.go,
structure_text.go, classifier_signal_conversation.go, extproc/utils_fast.go), quoted per case.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from policies.columns import fired_column
from policies.loader import load_policy
from policies.simulation import Simulator
from policies.traffic import read_traffic

from ..traffic.conftest import dump_lines
from .conftest import make_policy

ROOT = Path(__file__).resolve().parents[3]
UPSTREAM = ROOT.parent / "shared" / "data" / "vllm-sr-upstream"
SAMPLE = ROOT / "sample_data" / "traffic" / "sample_requests.jsonl.gz"


def body(*messages: dict[str, Any], **request: Any) -> dict[str, Any]:
    """A bare OpenAI chat.completions request body (the openai reader's last line shape)."""
    return {"model": "auto", "messages": list(messages), **request}


def user(text: Any) -> dict[str, Any]:
    return {"role": "user", "content": text}


def assistant(text: str | None = None, *calls: tuple[str, str]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if calls:
        message["tool_calls"] = [{"id": cid, "type": "function", "function": {"name": name, "arguments": "{}"}}
                                 for cid, name in calls]
    return message


def tool(call_id: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "content": "{\"ok\": true}"}


def read(tmp_path: Path, lines: list[dict[str, Any]]):
    traffic = read_traffic(dump_lines(tmp_path / "log.jsonl", lines))
    assert traffic.rejects.height == 0, traffic.rejects.rows()
    return traffic.requests


def fired(requests, collection: str, signal: dict[str, Any]) -> list[bool]:
    kind = "structure" if collection == "structure" else "conversation"
    policy = make_policy([{"name": "d", "priority": 1, "modelRefs": [{"model": "large"}],
                           "rules": {"operator": "AND", "conditions": [{"type": kind, "name": signal["name"]}]}}],
                         {collection: [signal]})
    result = Simulator(requests).simulate(policy)
    assert not result.unavailable, result.unavailable
    return result.requests[fired_column((kind, signal["name"]))].to_list()


def structure(requests, feature: dict[str, Any], predicate: dict[str, Any] | None = None) -> list[bool]:
    signal: dict[str, Any] = {"name": "s", "feature": feature}
    if predicate is not None:
        signal["predicate"] = predicate
    return fired(requests, "structure", signal)


def conversation(requests, source: dict[str, Any], kind: str = "count",
                 predicate: dict[str, Any] | None = None) -> list[bool]:
    signal: dict[str, Any] = {"name": "c", "feature": {"type": kind, "source": source}}
    if predicate is not None:
        signal["predicate"] = predicate
    return fired(requests, "conversation", signal)


def prompts(tmp_path: Path, *texts: str):
    return read(tmp_path, [body(user(t)) for t in texts])


def test_structure_regex_is_case_insensitive_by_default_and_go_classes_are_ascii(tmp_path):
    reqs = prompts(tmp_path, "1. plan\n2. build", "١. خطة\n٢. بناء", "STEP one", "step two")
    steps = {"type": "count", "source": {"type": "regex", "pattern": r"(?m)^\s*\d+\.\s+"}}
    # Go's \d is [0-9]: Arabic-Indic digits are no step numbers (Polars' own \d would count them)
    assert structure(reqs, steps, {"gte": 2}) == [True, False, False, False]
    word = {"type": "exists", "source": {"type": "regex", "pattern": "step"}}
    assert structure(reqs, word) == [False, False, True, True]
    sensitive = {"type": "exists", "source": {"type": "regex", "pattern": "step", "case_sensitive": True}}
    assert structure(reqs, sensitive) == [False, False, False, True]
    # the router trims and lower-cases both type names
    loose = {"type": " Exists", "source": {"type": "REGEX ", "pattern": "step"}}
    assert structure(reqs, loose) == [False, False, True, True]


def test_structure_keywords_need_word_boundaries_except_cjk(tmp_path):
    reqs = prompts(tmp_path, "Stay under budget", "Understand the underdog", "请不超过十个字",
                   "at most 3, AT MOST 4", "Must be 3x")
    keywords = {"type": "count", "source": {"type": "keyword_set", "keywords": ["under", "at most", "不超过"]}}
    # "understand"/"underdog" touch letters; a CJK keyword needs no boundary; each occurrence counts
    assert structure(reqs, keywords, {"gte": 1}) == [True, False, True, True, False]
    assert structure(reqs, keywords, {"gte": 2}) == [False, False, False, True, False]


def test_structure_density_is_per_text_unit(tmp_path):
    # units: a run of letters/digits is one, a CJK character is one (multilingualTextUnitCount)
    reqs = prompts(tmp_path, "You must do it", "You must do it now please", "必须至少三个", "???")
    must = {"type": "density", "source": {"type": "keyword_set", "keywords": ["must", "至少"]}}
    # 1/4 = 0.25, 1/6 = 0.167, 1/6 (至少 among 6 CJK units), "???" has no unit: 0
    assert structure(reqs, must, {"gt": 0.2}) == [True, False, False, False]
    assert structure(reqs, must, {"gt": 0.16}) == [True, True, True, False]
    questions = {"type": "density", "source": {"type": "regex", "pattern": r"\?"}}
    assert structure(reqs, questions) == [False, False, False, False]


def test_structure_sequences_match_in_order_anywhere(tmp_path):
    reqs = prompts(tmp_path, "First gather data, then THEN report", "Then report, first gather",
                   "先分析再回答", "Plan it. Execute. Verify!", "firstthen")
    source = {"type": "sequence", "sequences": [["first", "then"], ["先", "再"], ["plan", "execute", "verify"]]}
    assert structure(reqs, {"type": "sequence", "source": source}) == [True, False, True, True, True]
    # a sequence source under count is 0/1 as well; the sequence feature ignores the source type
    assert structure(reqs, {"type": "count", "source": source}, {"gte": 1}) == [True, False, True, True, True]
    assert structure(reqs, {"type": "sequence", "source": {**source, "type": "regex", "pattern": "x"}}) == [
        True, False, True, True, True]


def test_structure_text_bytes_exists_predicates_and_blank_prompts(tmp_path):
    reqs = prompts(tmp_path, "héllo", "", "   ", "no digits here")
    # UTF-8 bytes: "héllo" is 6
    assert structure(reqs, {"type": "count", "source": {"type": "text_bytes"}}, {"gte": 6}) == [
        True, False, False, True]
    # a blank prompt never fires, even where the predicate holds for 0 (Classify returns no match)
    assert structure(reqs, {"type": "count", "source": {"type": "text_bytes"}}, {"lt": 6}) == [
        False, False, False, False]
    # exists is 0/1 and the predicate still applies to it
    digits = {"type": "exists", "source": {"type": "regex", "pattern": "[0-9]"}}
    assert structure(reqs, digits, {"lt": 1}) == [True, False, False, True]


def test_structure_reads_the_last_user_message_with_text(tmp_path):
    reqs = read(tmp_path, [
        body(user("first plan, then act"), assistant("ok"),
             user([{"type": "image_url", "image_url": {"url": "https://x/y.png"}}])),
        body(user("first plan, then act"), assistant("ok"), user("thanks")),
        # text parts: the non-empty ones joined by a space (extractTextFromContent)
        body(user([{"type": "text", "text": "first plan"}, {"type": "text", "text": ""},
                   {"type": "text", "text": "then act"}])),
    ])
    assert reqs["prompt"].to_list() == ["first plan, then act", "thanks", "first plan then act"]
    seq = {"type": "sequence", "source": {"type": "sequence", "sequences": [["first", "then"]]}}
    assert structure(reqs, seq) == [True, False, True]
    bytes_ = {"type": "count", "source": {"type": "text_bytes"}}
    assert structure(reqs, bytes_, {"gte": 19, "lte": 19}) == [False, False, True]


AGENTIC = [
    # 0: plain question
    body(user("hi")),
    # 1: tools declared (2 tools + 1 legacy function), required choice, no call yet
    body({"role": "developer", "content": "be terse"}, {"role": "developer", "content": "really"}, user("look it up"),
         tools=[{"type": "function", "function": {"name": "search"}}, {"type": "function", "function": {"name": "get"}}],
         functions=[{"name": "legacy"}], tool_choice="required"),
    # 2: two calls in one assistant turn, one answered: the last message is a tool result
    body({"role": "system", "content": "s"}, user("q"), assistant(None, ("c1", "search"), ("c2", "get")), tool("c1"),
         tools=[{"type": "function", "function": {"name": "search"}}], tool_choice="none"),
    # 3: user turn right after a tool result; named tool choice
    body(user("q"), assistant(None, ("c1", "search")), tool("c1"), user("and now?"),
         tool_choice={"type": "function", "function": {"name": "search"}}),
    # 4: outstanding assistant call is the last message
    body(user("q"), assistant(None, ("c1", "search"))),
    # 5: the loop closed: the assistant answered after the tool result; two images
    body(user([{"type": "text", "text": "see"}, {"type": "image_url", "image_url": {"url": "https://x/1.png"}}]),
         assistant(None, ("c1", "search")), tool("c1"), assistant("done"),
         user([{"type": "image_url", "image_url": {"url": "https://x/2.png"}}, {"type": "text", "text": "and"}])),
    # 6: Router Flow tool result (flowtool_<state>__<call>) last; 7: separator right after the prefix
    body(user("q"), assistant(None, ("flowtool_s1__c1", "step")), tool("flowtool_s1__c1")),
    body(user("q"), assistant(None, ("flowtool___c1", "step")), tool("flowtool___c1")),
]


@pytest.fixture
def agentic(tmp_path):
    return read(tmp_path, AGENTIC)


def test_conversation_message_counts_by_role(agentic):
    assert conversation(agentic, {"type": "message", "role": "user"}, predicate={"gte": 2}) == [
        False, False, False, True, False, True, False, False]
    # developer is presence (1), not a count
    assert conversation(agentic, {"type": "message", "role": "developer"}, predicate={"gte": 2}) == [False] * 8
    assert conversation(agentic, {"type": "message", "role": "developer"}, "exists") == [
        False, True] + [False] * 6
    # non_user: assistant + system + tool (+1 developer); request 2: system, assistant, tool = 3
    assert conversation(agentic, {"type": "message", "role": "non_user"}, predicate={"gte": 3}) == [
        False, False, True, False, False, True, False, False]
    # no role: every counted message; request 1 is 1 (developer) + 1 user = 2
    assert conversation(agentic, {"type": "message"}, predicate={"lte": 2}) == [
        True, True, False, False, True, False, False, False]


def test_conversation_tool_definitions_and_choice(agentic):
    assert conversation(agentic, {"type": "tool_definition"}, predicate={"gte": 3}) == [
        False, True] + [False] * 6
    assert conversation(agentic, {"type": "tool_definition"}, "exists") == [
        False, True, True, False, False, False, False, False]
    assert conversation(agentic, {"type": "tool_choice_required"}, "exists") == [
        False, True, False, True, False, False, False, False]
    assert conversation(agentic, {"type": "tool_choice_none"}, "exists") == [
        False, False, True, False, False, False, False, False]


def test_conversation_tool_calls_cycles_and_loops(agentic):
    assert conversation(agentic, {"type": "assistant_tool_call"}, predicate={"gte": 2}) == [
        False, False, True, False, False, False, False, False]
    assert conversation(agentic, {"type": "assistant_tool_cycle"}, predicate={"gte": 1}) == [
        False, False, True, True, False, True, True, True]
    assert conversation(agentic, {"type": "active_tool_loop"}, "exists") == [
        False, False, True, True, True, False, True, True]
    assert conversation(agentic, {"type": "flow_tool_state"}, "exists") == [False] * 6 + [True, False]
    assert conversation(agentic, {"type": "image_content"}, predicate={"gte": 2}) == [False] * 5 + [True, False, False]


def test_conversation_predicates_follow_the_router(agentic):
    # a count with no predicate always matches (conversationPredicateMatches), even at 0
    assert conversation(agentic, {"type": "assistant_tool_call"}) == [True] * 8
    # exists ignores the predicate
    assert conversation(agentic, {"type": "assistant_tool_call"}, "exists", {"gte": 5}) == [
        False, False, True, True, True, True, True, True]


def test_every_chat_reader_keeps_tool_calls_and_choice(tmp_path):
    """The same request through the OpenAI, LiteLLM, Langfuse and Router Replay readers: same facts."""
    messages = [user("q"), assistant(None, ("c1", "search")), tool("c1"), user("go on")]
    tools = [{"type": "function", "function": {"name": "search"}}]
    request = body(*messages, tools=tools, tool_choice="required")
    lines = {
        "openai": {"request": request},
        "litellm": {"id": "l1", "call_type": "completion", "startTime": 1717000000.0, "messages": messages,
                    "model_parameters": {"tools": tools, "tool_choice": "required"}},
        "langfuse": {"id": "t1", "observations": [{"id": "g1", "traceId": "t1", "type": "GENERATION",
                                                  "input": {"messages": messages, "tools": tools,
                                                            "tool_choice": "required"}}]},
        "replay": {"id": "r1", "decision": "d", "selected_model": "m", "request_body": json.dumps(request)},
    }
    for fmt, line in lines.items():
        traffic = read_traffic(dump_lines(tmp_path / f"{fmt}.jsonl", [line]))
        assert traffic.source.format == fmt
        row = traffic.requests.row(0, named=True)
        assert (row["tool_definitions"], row["tool_choice"]) == (1, "required"), fmt
        assert [(m["role"], m["tool_calls"], m["tool_call_id"]) for m in row["messages"]] == [
            ("user", [], None), ("assistant", ["search"], None), ("tool", [], "c1"), ("user", [], None)], fmt
        assert conversation(traffic.requests, {"type": "active_tool_loop"}, "exists") == [True], fmt


def test_a_bad_tool_choice_rejects_the_row_by_field(tmp_path):
    traffic = read_traffic(dump_lines(tmp_path / "log.jsonl", [body(user("q"), tool_choice="sometimes"),
                                                               body(user("q"), tool_choice="auto")]))
    assert traffic.requests.height == 1
    (rejected,) = traffic.rejects.rows()
    assert rejected[1:3] == (1, "tool_choice") and "sometimes" in rejected[3]


@pytest.mark.skipif(not UPSTREAM.is_dir(), reason="needs the router's files in ../shared/data/vllm-sr-upstream")
@pytest.mark.parametrize("recipe", ["agent", "privacy"])
def test_upstream_recipes_simulate_structure_and_conversation(recipe):
    policy = load_policy(UPSTREAM / "recipes" / recipe / "config.yaml")
    requests = read_traffic(SAMPLE).requests.head(300)
    result = Simulator(requests).simulate(policy)
    local = [k for k in result.unavailable if k.split(":")[0] in ("structure", "conversation")]
    assert local == [], {k: result.unavailable[k] for k in local}
    fired_kinds = {c.split("::")[1] for c in result.requests.columns
                   if c.startswith("fired::") and result.requests[c].any()}
    expected = {"agent": {"structure", "conversation"}, "privacy": {"structure"}}[recipe]
    assert expected <= fired_kinds


STRUCTURE_SPECS = [
    {"type": "count", "source": {"type": "regex", "pattern": "x"}},
    ({"type": "count", "source": {"type": "keyword_set", "keywords": ["a"]}}, {"gte": 2, "lt": 5}),
    ({"type": "density", "source": {"type": "keyword_set", "keywords": ["a"]}}, {"gt": 0.08}),
    ({"type": "exists", "source": {"type": "regex", "pattern": "x"}}, {"lt": 1}),
    {"type": "exists", "source": {"type": "regex", "pattern": "x"}},
    {"type": "sequence", "source": {"type": "sequence", "sequences": [["a", "b"]]}},
    ({"type": "count", "source": {"type": "text_bytes"}}, {"lte": 3.5}),
]
CONVERSATION_SPECS = [
    ({"type": "count", "source": {"type": "message", "role": "user"}}, {"gte": 2}),
    {"type": "count", "source": {"type": "assistant_tool_call"}},
    ({"type": "exists", "source": {"type": "assistant_tool_cycle"}}, {"gte": 4}),
    ({"type": "count", "source": {"type": "message", "role": "non_user"}}, {"gt": 4, "lte": 7}),
    {"type": "exists", "source": {"type": "active_tool_loop"}},
    ({"type": "count", "source": {"type": "message", "role": "developer"}}, {"lt": 1}),
]


def _signal(collection: str, spec):
    from policies.model.signals import Signal

    feature, predicate = spec if isinstance(spec, tuple) else (spec, None)
    return Signal.for_collection(collection).model_validate(
        {"name": "s", "feature": feature, **({"predicate": predicate} if predicate else {})})


def _solver_fires(signal, value: float) -> bool:
    """The solver's verdict on the leaf when the signal's number is ``value``."""
    import z3

    from policies.conflicts.encoding import Encoding
    from policies.model import Routing

    encoding = Encoding(Routing())
    pool = encoding.pool
    atom, scores = signal.solver_atom(None, encoding)
    assert scores == []
    (name,) = pool.numbers
    term = pool.term(name)
    solver = z3.Solver()
    solver.add(*pool.background, term == value)
    can_fire, can_miss = solver.check(atom) == z3.sat, solver.check(z3.Not(atom)) == z3.sat
    assert can_fire != can_miss, (value, can_fire, can_miss)
    return can_fire


def _values(signal, rng) -> list[float]:
    feature = signal.feature or {}
    flag = feature.get("type") in ("exists", "sequence") or feature.get("source", {}).get("type") in (
        "active_tool_loop",) or (feature.get("source") or {}).get("role") == "developer"
    if flag:
        return [0.0, 1.0]
    if feature.get("type") == "density":
        return [0.0, 0.08, 0.0800001, 1.0] + [round(rng.uniform(0, 0.3), 4) for _ in range(20)]
    return [float(v) for v in range(0, 10)] + [float(rng.randrange(0, 50)) for _ in range(10)]


@pytest.mark.parametrize("collection,spec", [("structure", s) for s in STRUCTURE_SPECS]
                         + [("conversation", s) for s in CONVERSATION_SPECS])
def test_polars_leaf_and_solver_atom_agree(collection, spec):
    """Random feature values: the simulation's leaf and the solver's atom fire on the same ones."""
    import random

    import polars as pl

    from policies.signals.base import Extractor

    signal = _signal(collection, spec)
    values = _values(signal, random.Random(12))
    part = "value" if collection == "structure" else "count"
    frame = pl.DataFrame({part: values, "blank": [0.0] * len(values)})
    leaf = Extractor.for_leaf_type(signal.leaf_type).leaf(signal, None, pl.col)
    simulated = frame.select(leaf.fired.alias("f"))["f"].to_list()
    assert simulated == [_solver_fires(signal, v) for v in values]


def test_anthropic_shaped_bodies_count_tool_use_and_tool_result_parts(tmp_path):
    """An Anthropic Messages body logged by Helicone: tool_use/tool_result blocks and tool_choice any."""
    anthropic = {"model": "claude", "tools": [{"name": "search", "input_schema": {"type": "object"}}],
                 "tool_choice": {"type": "any"}, "messages": [
                     user("find the memo"),
                     {"role": "assistant", "content": [{"type": "text", "text": "Searching."},
                                                       {"type": "tool_use", "id": "toolu_1", "name": "search",
                                                        "input": {"q": "memo"}}]},
                     {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1",
                                                   "content": "memo.txt"}]}]}
    line = {"request_id": "h1", "request_created_at": "2024-06-01T12:00:00Z",
            "request_body": json.dumps(anthropic), "response_status": 200}
    traffic = read_traffic(dump_lines(tmp_path / "helicone.jsonl", [line]))
    assert traffic.source.format == "helicone" and traffic.rejects.height == 0, traffic.rejects.rows()
    row = traffic.requests.row(0, named=True)
    assert (row["prompt"], row["tool_definitions"], row["tool_choice"]) == ("find the memo", 1, "required")
    assert [(m["tool_calls"], m["tool_results"], m["tool_call_id"]) for m in row["messages"]] == [
        ([], 0, None), (["search"], 0, None), ([], 1, "toolu_1")]
    requests = traffic.requests
    assert conversation(requests, {"type": "assistant_tool_call"}, predicate={"gte": 1}) == [True]
    assert conversation(requests, {"type": "assistant_tool_cycle"}, predicate={"gte": 1}) == [True]
    # the last user turn carries the tool result: the loop is active
    assert conversation(requests, {"type": "active_tool_loop"}, "exists") == [True]
    assert conversation(requests, {"type": "tool_choice_required"}, "exists") == [True]


def test_validation_refuses_what_the_router_refuses_at_the_field(tmp_path):
    """validator_structure.go / validator_conversation.go refuse these configs; validate names the line."""
    from policies.validation import validate_policy

    text = """version: v0.3
providers:
  defaults: {model: small}
  models: [{name: small}]
routing:
  signals:
    structure:
      - name: loose
        feature: {type: exists, source: {type: regex, pattern: "x"}}
        predicate: {gt: 1}
      - name: seq
        feature: {type: sequence, source: {type: keyword_set, keywords: [a]}}
      - name: short
        feature: {type: count, source: {type: sequence, sequences: [[first]]}}
        predicate: {gt: 1, gte: 2}
      - name: empty
        feature: {type: count, source: {type: regex, pattern: "  "}}
      - name: fine
        feature: {type: density, source: {type: keyword_set, keywords: [must]}}
        predicate: {gt: 0.1}
    conversation:
      - name: roles
        feature: {type: count, source: {type: tool_definition, role: user}}
      - name: tally
        feature: {type: tally, source: {type: message, role: bot}}
      - name: fine
        feature: {type: count, source: {type: message, role: non_user}}
        predicate: {gte: 2}
  decisions: []
"""
    path = tmp_path / "config.yaml"
    path.write_text(text)
    lines = text.splitlines()
    found = {(f.code, ".".join(str(p) for p in f.path[-3:]), f.line) for f in validate_policy(load_policy(path))
             if f.code in ("structure-contract", "conversation-contract")}

    def line_of(fragment: str, after: str) -> int:
        start = next(i for i, line in enumerate(lines) if after in line)
        return next(i for i, line in enumerate(lines) if i >= start and fragment in line) + 1

    assert found == {
        ("structure-contract", "structure.0.predicate", line_of("predicate", "name: loose")),
        ("structure-contract", "feature.source.type", line_of("type: keyword_set", "name: seq")),
        ("structure-contract", "source.sequences.0", line_of("[[first]]", "name: short")),
        ("structure-contract", "structure.2.predicate", line_of("predicate", "name: short")),
        ("structure-contract", "feature.source.pattern", line_of('pattern: "  "', "name: empty")),
        ("conversation-contract", "feature.source.role", line_of("role: user", "name: roles")),
        ("conversation-contract", "1.feature.type", line_of("type: tally", "name: tally")),
        ("conversation-contract", "feature.source.role", line_of("role: bot", "name: tally")),
    }


def test_structure_and_conversation_leaves_are_scored_as_the_router_reports_them(tmp_path):
    """structureConfidence (sigmoid of the distance to the first bound, >= 0.5) and conversation's 1.0
    are what the decision engine ranks with; with strategy confidence they pick the winner."""
    import math

    from policies.columns import confidence_column

    reqs = read(tmp_path, [body(user("a? b? c? d? e?")), body(user("a? b? c? d?")), body(user("a?"))])
    questions = {"type": "count", "source": {"type": "regex", "pattern": r"\?"}}
    signals = {"structure": [{"name": "four", "feature": questions, "predicate": {"gte": 4}},
                             {"name": "two", "feature": questions, "predicate": {"gte": 2}}],
               "conversation": [{"name": "one_user", "feature": {"type": "count", "source": {
                   "type": "message", "role": "user"}}, "predicate": {"gte": 1}}]}

    def decision(name: str, kind: str, signal: str) -> dict[str, Any]:
        return {"name": name, "priority": 1, "modelRefs": [{"model": "large"}],
                "rules": {"operator": "AND", "conditions": [{"type": kind, "name": signal}]}}

    policy = make_policy([decision("a_four", "structure", "four"), decision("b_two", "structure", "two")],
                         signals, strategy="confidence")
    result = Simulator(reqs).simulate(policy).requests
    sigmoid = lambda d: 1 / (1 + math.exp(-4 * d))  # noqa: E731
    assert result[confidence_column(("structure", "four"))].to_list() == pytest.approx([sigmoid(1), 0.5, 0.0])
    assert result[confidence_column(("structure", "two"))].to_list() == pytest.approx([sigmoid(3), sigmoid(2), 0.0])
    # equal priority, confidence compared: the farther bound wins where both match
    assert result["decision"].to_list()[:2] == ["b_two", "b_two"]
    with_conversation = make_policy([decision("a_four", "structure", "four"),
                                     decision("b_user", "conversation", "one_user")], signals, strategy="confidence")
    result = Simulator(reqs).simulate(with_conversation).requests
    assert result[confidence_column(("conversation", "one_user"))].to_list() == [1.0, 1.0, 1.0]
    assert result["decision"].to_list() == ["b_user", "b_user", "b_user"]
