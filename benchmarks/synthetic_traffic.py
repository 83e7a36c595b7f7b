"""A synthetic OpenAI request/response log of any size, written in seconds (Polars, vectorised).

The large-traffic benchmarks and load test need a million realistic lines; writing them one
``json.dumps`` at a time took a minute of CPU on its own, longer than the import under test.
Prompts are drawn from a seeded pool of word sequences, so the crisp signals of
:data:`CRISP_POLICY` (keywords, context length, question marks) all fire on some rows.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import polars as pl

WORDS = ("route", "model", "token", "latency", "policy", "signal", "domain", "cost", "quality", "prompt", "math",
         "law", "code", "summary", "translate", "explain", "why", "how", "compare", "list", "quick question",
         "briefly", "urgent", "asap", "der", "und", "le", "la", "el", "de", "?", "什么", "为什么")
MODELS = ("qwen3-8b", "qwen3-32b", "gpt-4o-mini", "gpt-4o", "deepseek-r1")
POOL = 8192  # distinct texts; rows pick from them (the simulator sees realistic repetition)

# Crisp-only policy: keyword, context and structure rules over the sample models. No language
# signal: its detector costs ~0.6 ms of CPU per prompt (about 10 CPU minutes per million rows on
# the 2-core CI machine), more than the whole rest of this run.
CRISP_POLICY = """\
version: v0.3
providers:
  defaults: {model: qwen3-8b}
  models:
    - {name: qwen3-8b, pricing: {currency: USD, prompt_per_1m: 0.18, completion_per_1m: 0.42}}
    - {name: qwen3-32b, pricing: {currency: USD, prompt_per_1m: 1.2, completion_per_1m: 3.4}}
    - {name: gpt-4o-mini, pricing: {currency: USD, prompt_per_1m: 0.15, completion_per_1m: 0.6}}
    - {name: gpt-4o, pricing: {currency: USD, prompt_per_1m: 2.5, completion_per_1m: 10.0}}
routing:
  strategy: priority
  signals:
    keywords:
      - {name: quick, operator: OR, keywords: [quick question, briefly], case_sensitive: false}
      - {name: urgent, operator: OR, keywords: [urgent, asap], case_sensitive: false}
    context:
      - {name: long_context, min_tokens: 4K, max_tokens: 128K}
    structure:
      - name: many_questions
        description: Several question marks
        feature: {type: count, source: {type: regex, pattern: "[?？]"}}
        predicate: {gte: 3}
  decisions:
    - name: long_documents
      priority: 300
      rules: {operator: AND, conditions: [{type: context, name: long_context}]}
      modelRefs: [{model: gpt-4o-mini, use_reasoning: false}]
    - name: urgent_not_quick
      priority: 200
      rules:
        operator: AND
        conditions:
          - {type: keyword, name: urgent}
          - {operator: NOT, conditions: [{type: keyword, name: quick}]}
      modelRefs: [{model: gpt-4o, use_reasoning: false}]
    - name: many_questions
      priority: 150
      rules: {operator: AND, conditions: [{type: structure, name: many_questions}]}
      modelRefs: [{model: qwen3-32b, use_reasoning: false}]
"""
CRISP_DECISIONS = ("long_documents", "urgent_not_quick", "many_questions")


def synthetic_frame(rows: int, seed: int = 11, offset: int = 0) -> pl.DataFrame:
    """``rows`` OpenAI log records (1 or 3 turns, usage, served model, latency) as nested columns.

    Record ``k`` has request id ``r{offset + k}``, so consecutive frames make one log.
    """
    words = random.Random(seed)
    pool = pl.Series([" ".join(words.choices(WORDS, k=words.randint(3, 50))) for _ in range(POOL)])
    rng = np.random.default_rng(seed + offset)
    i = np.arange(offset, offset + rows)

    def text() -> pl.Expr:
        return pl.lit(pool.gather(rng.integers(0, POOL, rows)))

    def message(role: str, content: pl.Expr) -> pl.Expr:
        return pl.struct(pl.lit(role).alias("role"), content.alias("content"))

    turns = pl.Series(rng.choice(np.array([1, 1, 1, 3], dtype=np.uint32), rows))
    long = rng.random(rows) < 0.5
    prompt_tokens = np.where(long, rng.integers(4000, 9001, rows), rng.integers(10, 901, rows))
    ids = pl.Series(i).cast(pl.String)
    messages = (pl.concat_list(message("user", text()), message("assistant", text()), message("user", text()))
                .list.head(pl.lit(turns)))
    request = pl.struct(pl.lit("auto").alias("model"), messages.alias("messages"),
                        pl.format("u{}", pl.lit(pl.Series(i % 997))).alias("user"),
                        pl.struct(pl.format("r{}", pl.lit(ids)).alias("request_id"),
                                  pl.format("t{}", pl.lit(pl.Series(i % 7))).alias("tenant")).alias("metadata"))
    choice = pl.struct(pl.lit(0).alias("index"), message("assistant", pl.lit("ok")).alias("message"))
    response = pl.struct(pl.format("c{}", pl.lit(ids)).alias("id"), pl.lit(pl.Series(1717000000 + i)).alias("created"),
                         pl.lit(pl.Series(MODELS).gather(rng.integers(0, len(MODELS), rows))).alias("model"),
                         pl.concat_list(choice).alias("choices"),
                         pl.struct(pl.lit(pl.Series(prompt_tokens)).alias("prompt_tokens"),
                                   pl.lit(pl.Series(rng.integers(1, 801, rows))).alias("completion_tokens"))
                         .alias("usage"))
    latency = pl.lit(pl.Series(np.round(rng.uniform(100, 5000, rows), 1))).alias("latency_ms")
    return pl.select(request.alias("request"), response.alias("response"), latency)


def synthetic_log(path: Path, rows: int, seed: int = 11) -> Path:
    """Write :func:`synthetic_frame` as JSON lines to ``path`` (in chunks, so memory stays small)."""
    step = 200_000
    with open(path, "wb") as out:
        for start in range(0, rows, step):
            synthetic_frame(min(step, rows - start), seed, offset=start).write_ndjson(out)
    return path
