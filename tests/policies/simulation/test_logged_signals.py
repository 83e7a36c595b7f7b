"""Kinds we cannot compute are replayed from a Router Replay log, listed apart, never silently false.

Records go through the real replay reader; the policy routes on ``user_feedback`` and
``fact_check`` (models we do not ship) and on a keyword we compute ourselves.
"""

from __future__ import annotations

import json
from pathlib import Path

from policies.loader import loads_policy
from policies.simulation.engine import Simulator
from policies.traffic import read_traffic

POLICY = """\
version: v0.3
providers:
  defaults: {model: small}
  models:
    - {name: small, backend_refs: [{name: a, endpoint: "127.0.0.1:8000", protocol: http, weight: 1}]}
    - {name: large, backend_refs: [{name: b, endpoint: "127.0.0.1:8001", protocol: http, weight: 1}]}
routing:
  signals:
    user_feedbacks: [{name: wrong_answer, description: the user says the answer was wrong}]
    fact_check: [{name: needs_fact_check, description: factual claims}]
    keywords: [{name: urgent, operator: OR, keywords: [urgent]}]
  decisions:
    - name: recover
      priority: 20
      rules: {type: user_feedback, name: wrong_answer}
      modelRefs: [{model: large, use_reasoning: false}]
    - name: verify
      priority: 10
      rules: {operator: AND, conditions: [{type: fact_check, name: needs_fact_check}, {type: keyword, name: urgent}]}
      modelRefs: [{model: large, use_reasoning: false}]
"""


def _record(rid: str, text: str, signals: dict, confidences: dict | None = None) -> dict:
    return {"id": rid, "request_id": rid, "timestamp": "2026-01-10T08:00:00Z", "decision": "x",
            "selected_model": "small", "signals": signals, "signal_confidences": confidences or {},
            "request_body": json.dumps({"model": "MoM", "messages": [{"role": "user", "content": text}]}),
            "response_status": 200, "prompt_tokens": 10, "completion_tokens": 5, "duration_ms": 300}


def _simulate(tmp_path: Path, records: list[dict]):
    log = tmp_path / "replay.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    traffic = read_traffic(log)
    return Simulator(traffic).simulate(loads_policy(POLICY, "p.yaml"))


def test_model_signals_replay_production_verdicts(tmp_path: Path) -> None:
    result = _simulate(tmp_path, [
        _record("r1", "That answer was wrong", {"user_feedback": ["wrong_answer"], "fact_check": []},
                {"user_feedback:wrong_answer": 0.93}),
        _record("r2", "urgent: who won the 1998 world cup?", {"user_feedback": [], "fact_check": ["needs_fact_check"]}),
        _record("r3", "who won the 1998 world cup?", {"user_feedback": [], "fact_check": ["needs_fact_check"]}),
        _record("r4", "urgent please", {"user_feedback": [], "fact_check": []}),
    ])
    decisions = dict(zip(result.requests["request_id"], result.requests["decision"]))
    assert decisions == {"r1": "recover", "r2": "verify", "r3": None, "r4": None}
    assert set(result.replayed) == {"user_feedback:wrong_answer", "fact_check:needs_fact_check"}
    assert "user_feedback:wrong_answer" not in result.unavailable
    assert "keyword:urgent" not in result.replayed  # computed here, not replayed


def test_without_the_family_in_the_log_the_signal_stays_unavailable(tmp_path: Path) -> None:
    result = _simulate(tmp_path, [_record("r1", "That answer was wrong", {"keyword": ["urgent"]})])
    assert "user_feedback:wrong_answer" in result.unavailable
    assert not result.replayed


def test_the_summary_and_the_cli_list_replayed_leaves(tmp_path: Path) -> None:
    from policies.commands.simulation_text import summary_lines
    from policies.simulation.report import summary

    result = _simulate(tmp_path, [_record("r1", "wrong", {"user_feedback": ["wrong_answer"], "fact_check": []})])
    listed = summary(result)["replayed_signals"]
    assert listed["user_feedback:wrong_answer"]["decisions"] == ["recover"]
    assert "classifier model" in listed["user_feedback:wrong_answer"]["reason"]  # why it is not computed here
    assert any(line.startswith("replayed from the log: user_feedback:wrong_answer")
               for line in summary_lines(summary(result)))
