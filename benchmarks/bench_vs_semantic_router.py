"""End-to-end routing of 5,000 prompts: our simulator vs aurelio's ``semantic-router`` library.

Both sides run the same bundled ONNX model file and tokenizer, in the same onnxruntime build.
Routes are the 14 MMLU-Pro domains with their 15 exemplar questions each (shared/data); our side
expresses each as an embedding signal (max similarity, threshold 0.3) plus one decision, ranked by
confidence; the library (``IndexedRouter``, local index, ``aggregation="max"`` over its top-5
utterance hits) gets the same threshold, so both pick the route of the most similar exemplar.
Timed: from raw prompts to a route name per prompt, every encoder call included (no warm score
cache on either side).

The library has no ONNX encoder of its own, so it gets the model behind its ``DenseEncoder``
interface in two ways, each printed:

- ``model``: the model run the way the library's local encoder (``LocalEncoder``, i.e.
  sentence-transformers' ``encode``) runs one: texts sorted by length, batches of 32 padded to
  their longest, one session on every core, each text encoded even when repeated;
- ``our-encoder``: our whole ``TextEncoder`` (duplicates encoded once, one run per core,
  token-budget batches), which leaves only the routing around the encoder to compare.

and is driven through its public per-query ``router(text)`` and its batched scorer
``_scores_many`` (private; its ``evaluate()`` uses it). ``--prompts-from distinct`` uses
distinct prompts (the real shared prompts with prefix/suffix variations) instead of the sample
traffic, whose prompts repeat (the real corpora it is built from are small).

Usage: ``python benchmarks/bench_vs_semantic_router.py [--prompts 5000] [--prompts-from traffic|distinct]``
(install the library with ``pip install semantic-router``; if it is missing the script says so).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED_DATA = Path(os.environ.get("ROUTING_STUDIO_SHARED", ROOT.parent / "shared")) / "data"
EXEMPLARS = SHARED_DATA / "mmlu_pro_domain_exemplars.json"
THRESHOLD = 0.3
LIBRARY_BATCH = 32  # LocalEncoder's and sentence-transformers' default batch size

Encode = Callable[[Sequence[str]], np.ndarray]


def routes() -> dict[str, list[str]]:
    data = json.loads(EXEMPLARS.read_text())
    return {name.replace(" ", "_"): entry["exemplars"] for name, entry in data["labels"].items()}


def traffic_prompts(traffic: Path, n: int) -> list[str]:
    from policies.traffic import read_traffic
    texts = read_traffic(traffic).requests["prompt"].drop_nulls().to_list()
    return (texts * (n // max(len(texts), 1) + 1))[:n]


def model_encoder(model_dir: Path) -> Encode:
    """The bundled model run as sentence-transformers runs one (the library's ``LocalEncoder``):
    sorted by character length, longest first, in batches of 32 padded to their longest text."""
    from policies.inference.bundle import ENCODER_FILE, TOKENIZER_FILE
    from policies.inference.encoder import OUTPUT, load_tokenizer, pad_batch
    from policies.inference.providers import CPU, create_session

    session = create_session(model_dir / ENCODER_FILE, CPU)
    tokenizer = load_tokenizer(model_dir / TOKENIZER_FILE)
    names = [i.name for i in session.get_inputs()]
    pad_id = tokenizer.token_to_id("[PAD]") or 0

    def encode(docs: Sequence[str]) -> np.ndarray:
        order = sorted(range(len(docs)), key=lambda i: -len(docs[i]))
        out = np.empty((len(docs), session.get_outputs()[0].shape[-1]), dtype=np.float32)
        for start in range(0, len(order), LIBRARY_BATCH):
            rows = order[start:start + LIBRARY_BATCH]
            ids = [e.ids for e in tokenizer.encode_batch([docs[i] for i in rows])]
            out[rows] = session.run([OUTPUT], pad_batch(ids, pad_id, names))[0]
        return out

    return encode


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


def theirs(texts: list[str], table: dict[str, list[str]], encode: Encode,
           batched: bool) -> tuple[float, list[str | None]]:
    """The library's router: its public per-query call, or (``batched``) its one-embed batch scorer."""
    import asyncio

    from semantic_router import Route
    from semantic_router.encoders import DenseEncoder
    from semantic_router.routers import IndexedRouter

    class OnnxEncoder(DenseEncoder):
        """The bundled ONNX model behind the library's encoder interface (no download)."""

        name: str = "routing-studio-minilm"
        score_threshold: float = THRESHOLD

        def __call__(self, docs: list[str]) -> list[list[float]]:
            return encode(list(docs)).tolist()

        async def acall(self, docs: list[str]) -> list[list[float]]:
            return self(docs)

    start = time.perf_counter()
    router = IndexedRouter(OnnxEncoder(), [Route(name=r, utterances=ex) for r, ex in table.items()],
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
    parser.add_argument("--prompts-from", choices=["traffic", "distinct"], default="traffic")
    parser.add_argument("--traffic", type=Path, default=ROOT / "sample_data" / "traffic" / "sample_requests.jsonl.gz")
    args = parser.parse_args()
    from benchmarks.bench_encoder import workload
    from benchmarks.common import machine
    from policies.inference import TextEncoder, active_provider, default_encoder

    try:
        import semantic_router  # noqa: F401
    except ImportError as exc:
        raise SystemExit(f"semantic-router not importable ({exc}); install it with `pip install semantic-router`")
    encoder = default_encoder()
    texts = (traffic_prompts(args.traffic, args.prompts) if args.prompts_from == "traffic"
             else workload(SHARED_DATA, args.prompts))
    table = routes()
    library_encoders = {"model": model_encoder(encoder.model_path.parent),
                        "our-encoder": TextEncoder(workers=1).encode}
    print(f"machine: {machine(active_provider())}")
    print(f"prompts: {len(texts)} from {args.prompts_from}, {len(set(texts))} distinct, "
          f"mean {np.mean([len(t) for t in texts]):.0f} characters")
    encoder.encode(texts[:8])  # load every session before timing
    for encode in library_encoders.values():
        encode(texts[:8])
    t_ours, ours_routes = ours(texts, table, encoder)
    print(f"routing-studio: {len(texts)} prompts in {t_ours:.2f}s ({len(texts) / t_ours:.0f}/s)")
    for label, batched in (("per-query router(text)", False), ("batched _scores_many", True)):
        for name, encode in library_encoders.items():
            if name == "our-encoder" and not batched:
                continue  # one text per call: our pipeline has nothing to batch or deduplicate
            t_lib, lib_routes = theirs(texts, table, encode, batched)
            agree = float(np.mean([a == b for a, b in zip(ours_routes, lib_routes)]))
            print(f"semantic-router {label}, {name}: {len(texts)} prompts in {t_lib:.2f}s "
                  f"({len(texts) / t_lib:.0f}/s); ours is {t_lib / t_ours:.2f}x as fast; "
                  f"same route for {agree:.1%} of prompts")


if __name__ == "__main__":
    main()
