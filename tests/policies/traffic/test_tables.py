"""Plain CSV / Parquet with a column mapping, SQL tables, and mapping errors that name the field."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from policies.errors import PolicyError
from policies.traffic import read_sql_traffic, read_traffic

CSV = (
    "when,who,question,model,ms,usd\n"
    "2024-06-01T10:00:00Z,alice,What is a monad?,gpt-4o,820,0.004\n"
    "1717236000,bob,\"Summarise: a, b, c\",qwen3-8b,300,\n"
    "2024-06-01T12:00:00Z,carol,Translate hello,qwen3-8b,slow,0.001\n"
)
MAPPING = {"ts": "when", "user_id": "who", "prompt": "question", "model_served": "model",
           "latency_ms": "ms", "cost_usd": "usd"}


def test_csv_with_mapping(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text(CSV)
    ts = read_traffic(path, mapping=MAPPING)
    assert ts.source.format == "table"
    rows = ts.requests.to_dicts()
    assert [r["prompt"] for r in rows] == ["What is a monad?", "Summarise: a, b, c"]
    assert rows[0]["messages"] == [{"role": "user", "content": "What is a monad?", "tool_calls": [],
                                    "tool_results": 0, "tool_call_id": None, "images": 0}]
    assert rows[1]["ts"].isoformat() == "2024-06-01T10:00:00+00:00"  # epoch seconds
    assert (rows[0]["cost_usd"], rows[0]["cost_source"]) == (0.004, "logged")
    assert (rows[1]["cost_usd"], rows[1]["cost_source"]) == (None, None)  # simulator prices it
    assert rows[0]["tokens_source"] == "estimated" and rows[0]["prompt_tokens"] == 4
    assert ts.rejects.rows() == [(str(path), 4, "ms", "expected a number, got string 'slow'")]
    assert ts.candidate_outcomes["model"].to_list() == ["gpt-4o", "qwen3-8b"]


def test_parquet_with_identity_columns_and_messages_json(tmp_path: Path) -> None:
    path = tmp_path / "norm.parquet"
    pl.DataFrame({
        "request_id": ["a", "b"],
        "messages": [json.dumps([{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}]),
                     json.dumps([{"role": "user", "content": "yo"}])],
        "model_served": ["gpt-4o", None], "prompt_tokens": [5, 6],
    }).write_parquet(path)
    ts = read_traffic(path)
    assert ts.source.format == "table"
    assert ts.requests.select("request_id", "prompt", "system", "prompt_tokens").rows() == [
        ("a", "hi", "sys", 5), ("b", "yo", None, 6)]


def test_mapping_errors_name_the_field(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text(CSV)
    with pytest.raises(PolicyError) as unknown:
        read_traffic(path, mapping={"promt": "question"})
    finding = unknown.value.findings[0]
    assert finding.code == "traffic.mapping_unknown_column" and finding.field == "mapping.promt"
    assert finding.suggestion == "did you mean 'prompt'?" and finding.file == str(path)
    with pytest.raises(PolicyError) as absent:
        read_traffic(path, mapping={"prompt": "questoin"})
    finding = absent.value.findings[0]
    assert finding.code == "traffic.mapping_missing_source" and finding.field == "mapping.prompt"
    assert "questoin" in finding.message and finding.suggestion == "did you mean 'question'?"
    with pytest.raises(PolicyError, match="source_file"):
        read_traffic(path, mapping={"source_file": "who"})


def test_sqlite_table(tmp_path: Path) -> None:
    db = tmp_path / "traffic.sqlite"
    engine = sa.create_engine(f"sqlite:///{db}")
    meta = sa.MetaData()
    logs = sa.Table("logs", meta, sa.Column("id", sa.String), sa.Column("created", sa.DateTime),
                    sa.Column("prompt_text", sa.Text), sa.Column("served", sa.String),
                    sa.Column("tokens_in", sa.Integer), sa.Column("cached", sa.Boolean))
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(logs.insert(), [
            {"id": f"r{i}", "created": None, "prompt_text": f"question {i}", "served": "gpt-4o-mini",
             "tokens_in": i, "cached": i % 2 == 0} for i in range(1, 26)])
    engine.dispose()
    mapping = {"request_id": "id", "ts": "created", "prompt": "prompt_text", "model_served": "served",
               "prompt_tokens": "tokens_in", "cache_hit": "cached"}
    ts = read_sql_traffic(db, "logs", mapping, chunk_rows=10)
    assert ts.requests.height == 25 and ts.rejects.height == 0
    assert ts.requests["source_file"][0].endswith("#logs")
    assert ts.requests.select("request_id", "prompt_tokens", "cache_hit").row(1) == ("r2", 2, True)
    same = read_sql_traffic(f"sqlite:///{db}", "logs", mapping)
    assert same.requests.drop("source_file").equals(ts.requests.drop("source_file"))
    with pytest.raises(PolicyError, match="no table 'nope'"):
        read_sql_traffic(db, "nope", mapping)
    with pytest.raises(PolicyError) as bad:
        read_sql_traffic(db, "logs", {"prompt": "missing_col"})
    assert bad.value.findings[0].field == "mapping.prompt"
    with pytest.raises(PolicyError, match="does not exist"):
        read_sql_traffic(tmp_path / "absent.sqlite", "logs")


def test_sqlite_table_in_a_log_format(tmp_path: Path) -> None:
    """A table whose columns are a known format's keys (LLMRouter) is detected like a file."""
    db = tmp_path / "llmrouter.sqlite"
    engine = sa.create_engine(f"sqlite:///{db}")
    meta = sa.MetaData()
    rows = sa.Table("rows", meta, sa.Column("query", sa.Text), sa.Column("task_name", sa.String),
                    sa.Column("model_name", sa.String), sa.Column("performance", sa.Float))
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(rows.insert(), [{"query": "q1", "task_name": "t", "model_name": m, "performance": p}
                                     for m, p in (("a", 1.0), ("b", 0.5))])
    engine.dispose()
    ts = read_sql_traffic(db, "rows")
    assert ts.source.format == "llmrouter" and ts.requests.height == 1 and ts.candidate_outcomes.height == 2
