"""Small deterministic TrafficSets for other modules' tests (simulator, metrics, studio).

Rows go through the same row builder and collector as real imports, so fixtures have exactly
the production schema and derived columns.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Sequence

from .collect import Collector
from .content import parse_messages
from .rows import LineContext, Mapped, candidate_row, merge_candidates, request_row, served_candidate
from .trafficset import TrafficSet

# The five models of the sample policies: (prompt $/1M tokens, completion $/1M tokens).
SAMPLE_PRICING: dict[str, tuple[float, float]] = {
    "qwen3-8b": (0.18, 0.42),
    "qwen3-32b": (1.2, 3.4),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.5, 10.0),
    "deepseek-r1": (0.55, 2.19),
}
_PROMPTS: dict[str, Sequence[str]] = {
    "math": ("Solve for x: 3x + 7 = 22.", "What is the derivative of x^3 sin x?"),
    "computer science": ("Write a Python function that reverses a linked list.",
                         "Explain the difference between a process and a thread."),
    "law": ("What is the doctrine of promissory estoppel?", "Summarise the elements of negligence."),
    "other": ("Suggest a name for a bakery.", "How do I politely decline a meeting?"),
}


def make_requests(n: int, *, seed: int = 0, models: Sequence[str] | None = None,
                  served: str | None = None, with_candidates: bool = True,
                  start: datetime = datetime(2025, 1, 1, tzinfo=timezone.utc)) -> TrafficSet:
    """``n`` OpenAI-style requests over a few domains, logged tokens/cost/latency.

    ``served`` fixes the served model (else models take turns); with ``with_candidates`` every
    model in ``models`` gets a candidate row with a seeded quality in [0, 1].
    """
    rng = random.Random(seed)
    names = list(models or SAMPLE_PRICING)
    domains = sorted(_PROMPTS)
    collector = Collector()
    for i in range(n):
        domain = domains[i % len(domains)]
        content = parse_messages([{"role": "user", "content": rng.choice(_PROMPTS[domain])}], "messages")
        model = served or names[i % len(names)]
        p_tokens, c_tokens = rng.randint(10, 400), rng.randint(5, 600)
        price_in, price_out = SAMPLE_PRICING.get(model, (1.0, 1.0))
        ctx = LineContext("testing", "<make_requests>", "make_requests", i + 1)
        row = request_row(ctx, {
            "request_id": f"t-{seed}-{i:06d}", "ts": start + timedelta(minutes=i),
            "user_id": f"user-{i % 7}", "tenant": ("acme", "globex")[i % 2], "model_requested": "auto",
            "model_served": model, "status": "success", "prompt_tokens": p_tokens,
            "completion_tokens": c_tokens, "cost_usd": (p_tokens * price_in + c_tokens * price_out) / 1e6,
            "latency_ms": round(200 + 15 * c_tokens * rng.uniform(0.8, 1.2), 1),
            "metadata": {"sample_label": domain},
        }, content)
        others = [candidate_row(row["request_id"], m, "testing", quality=round(rng.random(), 3),
                                completion_tokens=rng.randint(5, 600))
                  for m in names] if with_candidates else []
        if with_candidates:
            row["quality"] = next(c["quality"] for c in others if c["model"] == model) if model in names else None
            row["quality_source"] = "testing" if row["quality"] is not None else None
        collector.add(Mapped([row], merge_candidates(served_candidate(row, None), others)))
    return collector.finish("<make_requests>", "testing")
