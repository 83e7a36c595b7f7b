"""End-to-end routing of 5,000 prompts: our simulator vs aurelio's ``semantic-router`` library.

Both sides use the same bundled ONNX encoder model; the library gets it wrapped as its
``DenseEncoder`` class (so it never downloads a model), in a session using every core for each
call, which suits its one-query-at-a-time calls. Routes are
the 14 MMLU-Pro domains with their 15 exemplar questions each (shared/data); our side expresses
each as an embedding signal (max similarity, threshold 0.3) plus one decision, ranked by
confidence; the library (``IndexedRouter``, local index, ``aggregation="max"`` over its top-5
utterance hits) gets the same threshold, so both pick the route of the most similar exemplar. Timed: from raw prompts to a
route name per prompt, including every encoder call (no warm score cache on either side).
Usage: ``python benchmarks/bench_vs_semantic_router.py [--prompts 5000] [--traffic FILE]``
(install the library with ``pip install semantic-router``; if it is missing the script says so).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
EXEMPLARS = Path(os.environ.get("ROUTING_STUDIO_SHARED", ROOT.parent / "shared")) / "data" / "mmlu_pro_domain_exemplars.json"
THRESHOLD = 0.3


def routes() -> dict[str, list[str]]:
    data = json.loads(EXEMPLARS.read_text())
    return {name.replace(" ", "_"): entry["exemplars"] for name, entry in data["labels"].items()}


def prompts(traffic: Path, n: int) -> list[str]:
    from policies.traffic import read_traffic
    texts = read_traffic(traffic).requests["prompt"].drop_nulls().to_list()
    return (texts * (n // max(len(texts), 1) + 1))[:n]


def ours(texts: list[str], table: dict[str, list[str]], encoder) -> tuple[float, list[str | None]]:
    from policies.model import Policy
    from policies.simulation import Simulator
    from policies.simulation.neural import NeuralContext

    policy = Policy.from_spec({
        "version": "v0.3",
        "providers": {"defaults": {"model": "m"}, "models": [{"name": "m"}]},
        "routing": {"strategy": "confidence",
                    "signals": {"embeddings": [{"name": r, "threshold": THRESHOLD, "candidates": ex}
                                               for r, ex in table.items()]},
                    "decisions": [{"name": r, "priority": 1, "modelRefs": [{"model": "m"}],
                                   "rules": {"operator": "AND", "conditions": [{"type": "embedding", "name": r}]}}
                                  for r in table]}})
    requests = pl.DataFrame({"request_id": [str(i) for i in range(len(texts))], "prompt": texts})
    start = time.perf_counter()
    result = Simulator(requests, context=NeuralContext(encoder, use_disk_cache=False)).simulate(policy)
    return time.perf_counter() - start, result.requests["decision"].to_list()


def theirs(texts: list[str], table: dict[str, list[str]], encoder, batched: bool) -> tuple[float, list[str | None]]:
    """The library's router: its public per-query call, or (``batched``) its one-embed batch scorer."""
    import asyncio

    from semantic_router import Route
    from semantic_router.encoders import DenseEncoder
    from semantic_router.routers import IndexedRouter

    class StudioEncoder(DenseEncoder):
        """Our ONNX MiniLM behind the library's encoder interface (no download)."""

        name: str = "routing-studio-minilm"
        score_threshold: float = THRESHOLD

        def __call__(self, docs: list[str]) -> list[list[float]]:
            return encoder.encode(list(docs)).tolist()

        async def acall(self, docs: list[str]) -> list[list[float]]:
            return self(docs)

    start = time.perf_counter()
    router = IndexedRouter(StudioEncoder(), [Route(name=r, utterances=ex) for r, ex in table.items()],
                           aggregation="max", confidence_threshold=THRESHOLD)
    if batched:  # the path its evaluate() uses: one encoder call, then an index query per prompt
        scores = asyncio.run(router._scores_many(texts))
        chosen = [router._choose(s, 1, None).name for s in scores]
    else:
        chosen = [router(text).name for text in texts]
    return time.perf_counter() - start, chosen


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompts", type=int, default=5000)
    parser.add_argument("--traffic", type=Path, default=ROOT / "sample_data" / "traffic" / "sample_requests.jsonl.gz")
    args = parser.parse_args()
    from policies.inference import active_provider, default_encoder

    from policies.inference import TextEncoder

    encoder = default_encoder()
    # The library encodes one query per call, which a per-core worker pool cannot split: it gets the
    # same model in one session using every core, the fastest way to run one text at a time.
    library_encoder = TextEncoder(workers=1)
    texts = prompts(args.traffic, args.prompts)
    table = routes()
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"onnxruntime provider {active_provider()}; load average {os.getloadavg()}")
    encoder.encode(texts[:8])  # load the sessions for both sides alike
    library_encoder.encode(texts[:8])
    t_ours, ours_routes = ours(texts, table, encoder)
    print(f"routing-studio: {len(texts)} prompts in {t_ours:.2f}s ({len(texts) / t_ours:.0f}/s)")
    for batched, label in ((False, "per-query router(text)"), (True, "batched _scores_many")):
        try:
            t_lib, lib_routes = theirs(texts, table, library_encoder, batched)
        except ImportError as exc:
            print(f"semantic-router not importable ({exc}); install it with `pip install semantic-router`")
            return
        agree = float(np.mean([a == b for a, b in zip(ours_routes, lib_routes)]))
        print(f"semantic-router {label}: {len(texts)} prompts in {t_lib:.2f}s ({len(texts) / t_lib:.0f}/s); "
              f"speed-up {t_lib / t_ours:.2f}x; same route for {agree:.1%} of prompts")


if __name__ == "__main__":
    main()
