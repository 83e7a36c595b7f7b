"""OpenAI chat-completions JSONL: pairs, Batch API, OpenPipe, content parts, ids, broken rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from policies.errors import PolicyError
from policies.traffic import CANDIDATES_SCHEMA, REJECTS_SCHEMA, REQUESTS_SCHEMA, read_traffic

from .conftest import chat_pair

REPO = Path(__file__).resolve().parents[3]

FULL_PAIR = {
    "request": {
        "model": "auto",
        "messages": [
            {"role": "developer", "content": "Answer in French."},
            {"role": "user", "content": [{"type": "text", "text": "Describe this chart"},
                                          {"type": "image_url", "image_url": {"url": "https://x/c.png"}}]},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_data", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "{\"rows\": 3}"},
            {"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "AAA", "format": "wav"}},
                                          {"type": "text", "text": "And now summarise it"}]},
        ],
        "tools": [{"type": "function", "function": {"name": "get_data", "parameters": {}}},
                  {"type": "function", "function": {"name": "plot", "parameters": {}}}],
        "tool_choice": "auto", "user": "u-42", "stream": True, "max_completion_tokens": 256,
        "metadata": {"request_id": "req-7", "tenant": "acme", "session_id": "s-1", "tags": ["beta"]},
    },
    "response": {
        "id": "chatcmpl-abc", "object": "chat.completion", "created": 1717000000, "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Voici le résumé."},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 9, "total_tokens": 129,
                  "prompt_tokens_details": {"cached_tokens": 64},
                  "completion_tokens_details": {"reasoning_tokens": 0}, "cost": 0.00041},
    },
    "latency_ms": 812.5, "ttft_ms": 140.0,
    "candidates": [{"model": "gpt-4o-2024-08-06", "quality": 0.9, "source": "judge"},
                   {"model": "qwen3-8b", "quality": 0.4, "completion_tokens": 30, "latency_ms": 300}],
}


def test_full_pair_maps_every_group(write_lines) -> None:
    ts = read_traffic(write_lines("log.jsonl", [FULL_PAIR]))
    assert ts.requests.schema == REQUESTS_SCHEMA
    assert ts.candidate_outcomes.schema == CANDIDATES_SCHEMA
    assert ts.rejects.schema == REJECTS_SCHEMA
    row = ts.requests.row(0, named=True)
    assert row["request_id"] == "req-7" and row["source_format"] == "openai" and row["source_line"] == 1
    assert row["prompt"] == "And now summarise it"
    assert row["system"] == "Answer in French."
    assert [m["role"] for m in row["messages"]] == ["developer", "user", "assistant", "tool", "user"]
    assert "get_data" in row["messages"][2]["content"]  # tool call kept as JSON text
    assert row["has_tools"] and row["tool_names"] == ["get_data", "plot"]
    assert row["has_image"] and row["has_audio"]
    assert (row["prompt_tokens"], row["cached_prompt_tokens"], row["completion_tokens"]) == (120, 64, 9)
    assert row["tokens_source"] == "logged"
    assert row["model_requested"] == "auto" and row["model_served"] == "gpt-4o-2024-08-06"
    assert row["cost_usd"] == pytest.approx(0.00041) and row["cost_source"] == "logged"
    assert (row["latency_ms"], row["ttft_ms"]) == (812.5, 140.0)
    assert (row["user_id"], row["tenant"], row["session_id"], row["tags"]) == ("u-42", "acme", "s-1", ["beta"])
    assert row["streaming"] is True and row["status"] == "success"
    assert row["ts"].year == 2024 and row["ts"].tzinfo is not None
    assert json.loads(row["metadata"])["tenant"] == "acme"
    assert (row["quality"], row["quality_source"]) == (0.9, "judge")
    cands = {r["model"]: r for r in ts.candidate_outcomes.iter_rows(named=True)}
    assert set(cands) == {"gpt-4o-2024-08-06", "qwen3-8b"}
    served = cands["gpt-4o-2024-08-06"]
    assert served["response"] == "Voici le résumé." and served["cost_usd"] == pytest.approx(0.00041)
    assert served["latency_ms"] == 812.5 and served["source"] == "judge"
    assert cands["qwen3-8b"]["completion_tokens"] == 30 and cands["qwen3-8b"]["source"] == "logged"


def test_request_id_precedence_and_stable_hash(write_lines) -> None:
    lines = [chat_pair(rid="meta-id", resp_id="resp-id"), chat_pair(rid=None, resp_id="resp-id-2"),
             chat_pair(rid=None, resp_id=None), {"custom_id": "batch-1", "body": chat_pair()["request"]}]
    ts = read_traffic(write_lines("ids.jsonl", lines))
    ids = ts.requests["request_id"].to_list()
    assert ids[:2] == ["meta-id", "resp-id-2"] and ids[3] == "batch-1"
    assert ids[2].startswith("h-")
    again = read_traffic(write_lines("ids.jsonl", lines))
    assert again.requests["request_id"].to_list() == ids
    # same file name and line in another folder and another process (other hash seed): same id
    other = Path(write_lines("ids.jsonl", lines)).parent / "sub"
    other.mkdir()
    (other / "ids.jsonl").write_bytes(Path(write_lines("ids.jsonl", lines)).read_bytes())
    code = ("import sys; from policies.traffic import read_traffic; "
            "print(read_traffic(sys.argv[1]).requests['request_id'][2])")
    out = subprocess.run([sys.executable, "-c", code, str(other / "ids.jsonl")], capture_output=True, text=True,
                         cwd=REPO, env={**os.environ, "PYTHONHASHSEED": "123"}, check=True)
    assert out.stdout.strip() == ids[2]


def test_batch_output_and_error_lines(write_lines) -> None:
    ok = {"id": "batch_req_1", "custom_id": "c-1",
          "response": {"status_code": 200, "request_id": "x", "body": chat_pair()["response"]}, "error": None}
    failed = {"id": "batch_req_2", "custom_id": "c-2", "response": None,
              "error": {"code": "rate_limit", "message": "slow down"}}
    ts = read_traffic(write_lines("batch.jsonl", [ok, failed]))
    assert ts.rejects.height == 0
    rows = ts.requests.sort("request_id").to_dicts()
    assert [r["request_id"] for r in rows] == ["c-1", "c-2"]
    assert rows[0]["model_served"] == "gpt-4o-mini" and rows[0]["status"] == "success"
    assert rows[1]["status"] == "error" and "rate_limit" in rows[1]["metadata"]


def test_openpipe_rows(write_lines) -> None:
    line = {"input": {"model": "gpt-4o", "messages": [{"role": "system", "content": "Be terse."},
                                                       {"role": "user", "content": "Capital of Peru?"}]},
            "output": {"role": "assistant", "content": "Lima."}, "tags": {"prompt_id": "geo", "env": "prod"}}
    ts = read_traffic(write_lines("openpipe.jsonl", [line]))
    row = ts.requests.row(0, named=True)
    assert row["prompt"] == "Capital of Peru?" and row["system"] == "Be terse."
    assert sorted(row["tags"]) == ["env:prod", "prompt_id:geo"]
    assert row["tokens_source"] == "estimated"
    assert row["prompt_tokens"] == (len("Be terse.") + len("Capital of Peru?") + 3) // 4
    assert row["completion_tokens"] == 2  # "Lima." estimated
    assert row["cost_usd"] is None and row["cost_source"] is None


def test_bad_rows_are_rejected_with_file_line_and_field(write_lines) -> None:
    good = chat_pair()
    wrong_type = chat_pair()
    wrong_type["response"]["usage"]["prompt_tokens"] = "many"
    missing = {"request": {"model": "x"}}
    path = write_lines("mixed.jsonl", [good, b"{not json\n", wrong_type, b'{"request": {"messages": [{"role": "user", '
                                       b'"content": "caf\xe9"}]}}\n', missing, b"\n", b"[1, 2]\n", good])
    ts = read_traffic(path)
    assert ts.requests.height == 2
    rejects = ts.rejects.sort("line").to_dicts()
    assert [(r["line"], r["field"]) for r in rejects] == [
        (2, "line"), (3, "response.usage.prompt_tokens"), (4, "line"), (5, "request.messages"), (7, "line")]
    assert all(r["source_file"] == str(path) for r in rejects)
    assert "0xe9" in rejects[2]["reason"]  # the byte is reported, not guessed
    assert "'many'" in rejects[1]["reason"]
    assert ts.summary()["rejected"] == 5 and ts.source.records == 7


def test_gzip_and_json_array_are_read_transparently(write_lines, tmp_path: Path) -> None:
    gz = read_traffic(write_lines("log.data", [chat_pair(rid="a"), chat_pair(rid="b")], compress=True))
    assert gz.requests["request_id"].to_list() == ["a", "b"]
    array = tmp_path / "log.json"
    array.write_text(json.dumps([chat_pair(rid="a"), chat_pair(rid="b")], indent=2))
    arr = read_traffic(array)
    assert arr.requests["request_id"].to_list() == ["a", "b"]
    assert arr.requests["source_line"].to_list() == [2, 2 + json.dumps(chat_pair(rid="a"), indent=2).count("\n") + 1]


def test_unreadable_inputs_raise_policy_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as missing:
        read_traffic(tmp_path / "nope.jsonl")
    assert missing.value.findings[0].file == str(tmp_path / "nope.jsonl")
    assert missing.value.findings[0].code == "traffic.file_missing"
    with pytest.raises(PolicyError, match="not a file"):
        read_traffic(tmp_path)
    odd = tmp_path / "odd.jsonl"
    odd.write_text('{"hello": "world"}\n')
    with pytest.raises(PolicyError) as unknown:
        read_traffic(odd)
    assert unknown.value.findings[0].code == "traffic.unknown_format" and "hello" in str(unknown.value)
    with pytest.raises(PolicyError, match="did you mean 'openai'"):
        read_traffic(odd, format="opneai")


def test_empty_file_is_an_empty_typed_set(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    ts = read_traffic(empty)
    assert ts.requests.height == 0 and ts.rejects.height == 0
    assert ts.requests.schema == REQUESTS_SCHEMA
    assert ts.summary()["requests"] == 0
    blank = tmp_path / "blank.jsonl"
    blank.write_bytes(b"\n\n  \n")
    assert read_traffic(blank).requests.height == 0


def test_chunking_gives_the_same_frames(write_lines) -> None:
    lines = [chat_pair(f"question {i}", rid=f"r{i}") for i in range(25)]
    path = write_lines("chunks.jsonl", lines)
    small = read_traffic(path, chunk_rows=4)
    big = read_traffic(path)
    assert small.requests.equals(big.requests)
    assert small.candidate_outcomes.equals(big.candidate_outcomes)
    assert pl.Series(small.requests["prompt"]).to_list()[24] == "question 24"
