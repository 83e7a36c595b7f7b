"""LiteLLM, Langfuse, Helicone, RouterBench, RouteLLM, LLMRouter and Router Replay readers."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from policies.traffic import read_traffic

LITELLM = {
    "id": "litellm-call-1", "trace_id": "trace-9", "call_type": "acompletion", "stream": False,
    "status": "success", "response_cost": 0.00123, "prompt_tokens": 40, "completion_tokens": 12,
    "total_tokens": 52, "startTime": 1717000000.0, "endTime": 1717000001.25,
    "completionStartTime": 1717000000.3, "response_time": 1.25, "model": "gpt-4o-mini",
    "model_id": "abc", "model_group": "fast-chat", "custom_llm_provider": "openai",
    "api_base": "https://api.openai.com/v1", "cache_hit": False, "cache_key": None,
    "saved_cache_cost": 0.0, "request_tags": ["team-a"], "end_user": "customer-7",
    "metadata": {"user_api_key_team_alias": "search", "user_api_key_user_id": "dev-1",
                 "requester_metadata": {"env": "prod"}},
    "messages": [{"role": "user", "content": "Summarise the attached memo."}],
    "response": {"id": "chatcmpl-x", "object": "chat.completion", "model": "gpt-4o-mini",
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": "Short memo."}}]},
    "model_parameters": {"temperature": 0.2}, "error_str": None,
}

LANGFUSE_TRACE = {
    "id": "trace-1", "timestamp": "2024-06-01T10:00:00.000Z", "name": "qa", "sessionId": "sess-1",
    "userId": "user-1", "release": "v3", "version": "1", "tags": ["prod"], "metadata": {"tenant": "acme"},
    "input": {"question": "ignored, generations carry the input"}, "output": "Paris",
    "latency": 1.5, "totalCost": 0.002,
    "scores": [{"name": "correctness", "value": 1.0}, {"name": "helpfulness", "value": 4}],
    "observations": [
        {"id": "span-1", "traceId": "trace-1", "type": "SPAN", "name": "retrieve"},
        {"id": "gen-1", "traceId": "trace-1", "type": "GENERATION", "startTime": "2024-06-01T10:00:00.100Z",
         "endTime": "2024-06-01T10:00:01.100Z", "completionStartTime": "2024-06-01T10:00:00.400Z",
         "model": "gpt-4o", "modelParameters": {"temperature": 0},
         "input": [{"role": "system", "content": "Answer briefly."},
                   {"role": "user", "content": "Capital of France?"}],
         "output": {"role": "assistant", "content": "Paris"},
         "usageDetails": {"input": 20, "output": 1, "total": 21}, "costDetails": {"total": 0.0015},
         "level": "DEFAULT", "statusMessage": None},
    ],
}

HELICONE = {
    "request_id": "3f1c-helicone", "request_created_at": "2024-06-01T12:00:00Z",
    "request_body": json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "Hello there"}]}),
    "request_user_id": "h-user", "request_properties": {"tenant": "globex", "feature": "chat"},
    "request_model": "gpt-4o", "response_model": "gpt-4o-2024-08-06", "model": "gpt-4o", "provider": "OPENAI",
    "response_status": 200,
    "response_body": {"id": "chatcmpl-h", "model": "gpt-4o-2024-08-06",
                      "choices": [{"message": {"role": "assistant", "content": "General Kenobi"}}]},
    "prompt_tokens": 9, "completion_tokens": 3, "prompt_cache_read_tokens": 0, "prompt_cache_write_tokens": 0,
    "reasoning_tokens": 0, "delay_ms": 640, "time_to_first_token": 210, "costUSD": 0.0001,
    "cache_enabled": True, "cache_reference_id": "00000000-0000-0000-0000-000000000000",
    "scores": {"accuracy": 0.8}, "feedback_rating": True,
}

REPLAY = {
    "id": "rec-1", "timestamp": "2025-01-10T08:00:00Z", "request_id": "req-r1", "session_id": "s-9",
    "turn_index": 2, "decision": "math_route", "decision_tier": 1, "decision_priority": 100,
    "original_model": "MoM", "selected_model": "deepseek-r1", "reasoning_mode": "on",
    "confidence_score": 0.87, "selection_method": "static",
    "signals": {"domain": ["math"], "keyword": ["integral"], "language": ["en"], "authz": []},
    "signal_confidences": {"domain:math": 0.91, "language:en": 0.99},
    "request_body": json.dumps({"model": "MoM", "messages": [{"role": "user", "content": "Integrate x^2"}]}),
    "response_body": json.dumps({"id": "c1", "model": "deepseek-r1",
                                 "choices": [{"message": {"role": "assistant", "content": "x^3/3 + C"}}]}),
    "response_status": 200, "from_cache": False, "streaming": True, "jailbreak_detected": False,
    "pii_detected": True, "pii_entities": ["PERSON"], "prompt_tokens": 8, "completion_tokens": 6,
    "actual_cost": 0.00002, "baseline_cost": 0.0001, "cost_savings": 0.00008, "currency": "USD",
    "baseline_model": "gpt-4o", "duration_ms": 950,
    "outcomes": [{"source": "judge", "target": "deepseek-r1", "verdict": "good", "score": 0.95},
                 {"source": "judge", "target": "qwen3-8b", "verdict": "bad", "score": 0.3}],
}


def test_litellm_payload(write_lines) -> None:
    ts = read_traffic(write_lines("litellm.jsonl", [LITELLM]))
    assert ts.source.format == "litellm"
    row = ts.requests.row(0, named=True)
    assert row["request_id"] == "litellm-call-1" and row["session_id"] == "trace-9"
    assert (row["model_requested"], row["model_served"]) == ("fast-chat", "gpt-4o-mini")
    assert row["latency_ms"] == pytest.approx(1250) and row["ttft_ms"] == pytest.approx(300, abs=1e-3)
    assert row["cost_usd"] == pytest.approx(0.00123) and row["cost_source"] == "logged"
    assert (row["user_id"], row["tenant"], row["tags"]) == ("customer-7", "search", ["team-a"])
    assert row["provider"] == "openai" and row["cache_hit"] is False and row["status"] == "success"
    assert ts.candidate_outcomes["response"].to_list() == ["Short memo."]


def test_litellm_json_array(tmp_path: Path) -> None:
    path = tmp_path / "spend.json"
    second = {**LITELLM, "id": "litellm-call-2", "messages": "plain string prompt", "response": "plain reply"}
    path.write_text(json.dumps([LITELLM, second]))
    ts = read_traffic(path)
    assert ts.requests["request_id"].to_list() == ["litellm-call-1", "litellm-call-2"]
    assert ts.requests["prompt"][1] == "plain string prompt"


def test_langfuse_trace_with_mapped_score(write_lines) -> None:
    path = write_lines("langfuse.jsonl", [LANGFUSE_TRACE])
    ts = read_traffic(path, mapping={"quality": "scores.correctness"})
    assert ts.source.format == "langfuse"
    row = ts.requests.row(0, named=True)
    assert row["request_id"] == "trace-1" and row["session_id"] == "sess-1" and row["user_id"] == "user-1"
    assert row["prompt"] == "Capital of France?" and row["system"] == "Answer briefly."
    assert row["model_served"] == "gpt-4o" and (row["prompt_tokens"], row["completion_tokens"]) == (20, 1)
    assert row["latency_ms"] == pytest.approx(1000) and row["ttft_ms"] == pytest.approx(300)
    assert row["cost_usd"] == pytest.approx(0.0015)
    assert (row["quality"], row["quality_source"]) == (1.0, "scores.correctness")
    unmapped = read_traffic(path)
    assert unmapped.requests["quality"][0] is None  # scores only count when the user picks one


def test_langfuse_trace_without_generations_and_flat_observations(write_lines) -> None:
    bare = {k: v for k, v in LANGFUSE_TRACE.items() if k != "observations"}
    bare["input"] = "What is the capital of France?"
    ts = read_traffic(write_lines("bare.jsonl", [bare]))
    row = ts.requests.row(0, named=True)
    assert row["latency_ms"] == pytest.approx(1500) and row["cost_usd"] == pytest.approx(0.002)
    assert row["prompt"] == "What is the capital of France?" and row["tokens_source"] == "estimated"
    flat = read_traffic(write_lines("obs.jsonl", LANGFUSE_TRACE["observations"]))
    assert flat.source.format == "langfuse" and flat.requests["request_id"].to_list() == ["gen-1"]
    assert flat.requests["session_id"].to_list() == ["trace-1"]


def test_helicone_export(write_lines) -> None:
    ts = read_traffic(write_lines("helicone.jsonl", [HELICONE]), mapping={"quality": "scores.accuracy"})
    assert ts.source.format == "helicone"
    row = ts.requests.row(0, named=True)
    assert row["request_id"] == "3f1c-helicone" and row["prompt"] == "Hello there"
    assert (row["model_requested"], row["model_served"]) == ("gpt-4o", "gpt-4o-2024-08-06")
    assert (row["latency_ms"], row["ttft_ms"], row["cost_usd"]) == (640.0, 210.0, 0.0001)
    assert (row["tenant"], row["status"], row["cache_hit"], row["feedback"]) == ("globex", "200", False, "positive")
    assert row["quality"] == 0.8


def test_routerbench_wide_rows_unpivot(tmp_path: Path) -> None:
    frame = pl.DataFrame({
        "sample_id": ["mmlu.1", "gsm8k.2"], "prompt": ["Which gas do plants absorb?", "2+2?"],
        "eval_name": ["mmlu", "gsm8k"],
        "gpt-3.5-turbo-1106": [1.0, 0.0], "gpt-3.5-turbo-1106|model_response": ["CO2", "5"],
        "gpt-3.5-turbo-1106|total_cost": [0.0001, 0.00005],
        "claude-v2": [1.0, 1.0], "claude-v2|model_response": ["Carbon dioxide", "4"],
        "claude-v2|total_cost": [0.002, 0.001], "oracle_model_to_route_to": ["gpt-3.5-turbo-1106", "claude-v2"],
    })
    for path in (tmp_path / "rb.csv", tmp_path / "rb.parquet"):
        frame.write_csv(path) if path.suffix == ".csv" else frame.write_parquet(path)
        ts = read_traffic(path)
        assert ts.source.format == "routerbench" and ts.rejects.height == 0
        assert ts.requests["request_id"].to_list() == ["mmlu.1", "gsm8k.2"]
        assert ts.requests["tags"].to_list() == [["mmlu"], ["gsm8k"]]
        cands = ts.candidate_outcomes.sort("request_id", "model")
        assert cands.height == 4
        got = cands.filter(pl.col("request_id") == "gsm8k.2").select("model", "quality", "cost_usd", "response")
        assert got.rows() == [("claude-v2", 1.0, 0.001, "4"), ("gpt-3.5-turbo-1106", 0.0, 0.00005, "5")]


def test_routellm_csv(tmp_path: Path) -> None:
    path = tmp_path / "routellm.csv"
    path.write_text('prompt,gpt-4-1106-preview,mixtral-8x7b-instruct-v0.1\n"Write a haiku, please",True,False\n'
                    "What is 7*6?,True,True\nbroken row,maybe,True\n")
    ts = read_traffic(path)
    assert ts.source.format == "routellm"
    assert ts.requests["prompt"].to_list() == ["Write a haiku, please", "What is 7*6?"]
    assert ts.candidate_outcomes.height == 4
    assert ts.candidate_outcomes["quality"].to_list() == [1.0, 0.0, 1.0, 1.0]
    assert ts.rejects.rows() == [(str(path), 4, "gpt-4-1106-preview", "expected a boolean, got string 'maybe'")]


def test_llmrouter_long_rows_share_a_request(write_lines) -> None:
    rows = [{"query": "Solve 3x=9", "task_name": "gsm8k", "model_name": m, "response": r, "input_tokens": 7,
             "output_tokens": o, "response_time": t, "performance": p, "embedding_id": 11}
            for m, r, o, t, p in [("qwen2.5-7b", "x=3", 4, 0.5, 1.0), ("llama-3.1-8b", "x=4", 5, 0.7, 0.0)]]
    rows.append({"query": "Name a prime", "task_name": "mmlu", "model_name": "qwen2.5-7b", "performance": 1})
    ts = read_traffic(write_lines("llmrouter.jsonl", rows))
    assert ts.source.format == "llmrouter"
    assert ts.requests.height == 2 and ts.candidate_outcomes.height == 3
    first = ts.requests.row(0, named=True)
    assert first["prompt"] == "Solve 3x=9" and first["prompt_tokens"] == 7 and first["tokens_source"] == "logged"
    cands = ts.candidate_outcomes.filter(pl.col("request_id") == first["request_id"]).sort("model")
    assert cands.select("model", "quality", "latency_ms", "completion_tokens").rows() == [
        ("llama-3.1-8b", 0.0, 700.0, 5), ("qwen2.5-7b", 1.0, 500.0, 4)]


def test_router_replay_records_fill_prior_columns(write_lines) -> None:
    ts = read_traffic(write_lines("replay.jsonl", [REPLAY]))
    assert ts.source.format == "replay"
    row = ts.requests.row(0, named=True)
    assert row["request_id"] == "req-r1" and row["prompt"] == "Integrate x^2"
    assert (row["model_requested"], row["model_served"]) == ("MoM", "deepseek-r1")
    assert (row["prior_decision"], row["prior_tier"], row["prior_priority"]) == ("math_route", 1, 100)
    assert row["prior_confidence"] == 0.87 and row["prior_selected_model"] == "deepseek-r1"
    assert row["prior_signals"]["domain"] == ["math"] and row["prior_signals"]["kb"] is None
    assert {d["name"]: d["value"] for d in row["prior_signal_confidences"]}["domain:math"] == 0.91
    assert row["prior_baseline_cost"] == 0.0001 and row["cost_usd"] == 0.00002
    assert (row["latency_ms"], row["streaming"], row["pii_entities"]) == (950.0, True, ["PERSON"])
    assert (row["quality"], row["quality_source"]) == (0.95, "replay outcome")
    cands = ts.candidate_outcomes.sort("model")
    assert cands.select("model", "quality").rows() == [("deepseek-r1", 0.95), ("qwen3-8b", 0.3)]
    assert cands["response"][0] == "x^3/3 + C"


LMSYS = {"conversation_id": "c-33", "model": "vicuna-13b", "turn": 2, "language": "German", "redacted": True,
         "conversation": [{"role": "user", "content": "Hallo!"}, {"role": "assistant", "content": "Hallo, wie geht's?"},
                          {"role": "user", "content": "Erkläre Photosynthese."},
                          {"role": "assistant", "content": "Pflanzen wandeln Licht in Energie um."}],
         "openai_moderation": [{"flagged": False, "categories": {"hate": False}, "category_scores": {"hate": 0.01}},
                               {"flagged": True, "categories": {"hate": True}, "category_scores": {"hate": 0.9}}]}

ARENA = {"id": 65089, "model_a": "gpt-4-0613", "model_b": "claude-2.1",
         "prompt": json.dumps(["Is it morally right to kill mosquitoes?"]),
         "response_a": json.dumps(["It depends."]), "response_b": json.dumps(["Many argue yes."]),
         "winner_model_a": 0, "winner_model_b": 0, "winner_tie": 1}


def test_lmsys_conversations(tmp_path: Path) -> None:
    path = tmp_path / "lmsys.parquet"
    pl.DataFrame([LMSYS]).write_parquet(path)
    ts = read_traffic(path)
    assert ts.source.format == "lmsys"
    row = ts.requests.row(0, named=True)
    assert row["request_id"] == "c-33" and row["turn_index"] == 2 and row["model_served"] == "vicuna-13b"
    assert row["prompt"] == "Erkläre Photosynthese." and len(row["messages"]) == 3
    assert (row["language"], row["moderation_flagged"], row["redacted"]) == ("German", True, True)
    assert ts.candidate_outcomes["response"].to_list() == ["Pflanzen wandeln Licht in Energie um."]


def test_arena_pairwise_preferences(write_lines) -> None:
    win_b = {**ARENA, "id": 2, "winner_tie": 0, "winner_model_b": 1}
    broken = {**ARENA, "id": 3, "winner_model_a": 1}
    ts = read_traffic(write_lines("arena.jsonl", [ARENA, win_b, broken]))
    assert ts.source.format == "arena"
    assert ts.requests["prompt"].to_list() == ["Is it morally right to kill mosquitoes?"] * 2
    assert ts.candidate_outcomes.select("request_id", "model", "quality").rows() == [
        ("65089", "gpt-4-0613", 0.5), ("65089", "claude-2.1", 0.5), ("2", "gpt-4-0613", 0.0), ("2", "claude-2.1", 1.0)]
    assert ts.rejects["line"].to_list() == [3]


def test_mapping_override_of_request_id_keeps_candidates_joined(write_lines) -> None:
    ts = read_traffic(write_lines("h.jsonl", [HELICONE]), mapping={"request_id": "request_properties.feature"})
    assert ts.requests["request_id"].to_list() == ["chat"]
    assert ts.candidate_outcomes["request_id"].to_list() == ["chat"]
