"""Re-simulation speed: our engine vs a hand-written Polars query over the same cached columns.

A generated policy of 50 decisions (keyword, context and metadata leaves in AND/OR/NOT trees,
priorities with ties, one catch-all; with ``--scored`` also embedding-similarity leaves, whose
confidences break priority ties as the router does) is simulated once per traffic size to fill
the raw-score cache (``--scored`` runs the ONNX encoder on the 5,000 distinct prompts); then we
time ``Simulator.simulate`` on a threshold variant (what the studio sliders call) against one
hand-written query that computes the same winners and per-decision counts from the same raw
columns, and check both agree. Each size runs in a fresh subprocess so its peak RSS is its own.
Usage: ``python benchmarks/bench_simulation.py [--sizes 100000 1000000] [--repeat 3] [--scored]``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import machine  # noqa: E402

VOCAB = [f"term{i}" for i in range(40)]
EMBEDDING_THRESHOLD = 0.68  # each embedding leaf fires on ~15% of the generated prompts
FILLER = ["please", "help", "with", "the", "question", "about", "my", "project", "today", "now"]


def make_policy(seed: int = 7, scored: bool = False):
    from policies.model import Policy

    rnd = random.Random(seed)
    keywords = [{"name": f"kw{i}", "operator": "OR", "keywords": [VOCAB[i], VOCAB[i + 20]]} for i in range(20)]
    context = [{"name": f"ctx{i}", "min_tokens": 200 * i, "max_tokens": 200 * i + 400} for i in range(5)]
    metadata = [{"name": f"tenant{i}", "key": "tenant", "predicate": {"equals": f"t{i}"}} for i in range(3)]
    embeddings = [{"name": f"emb{i}", "threshold": EMBEDDING_THRESHOLD,
                   "candidates": [f"{FILLER[i]} {VOCAB[2 * i]} {VOCAB[2 * i + 1]}", f"question about {VOCAB[30 + i]}"]}
                  for i in range(8)] if scored else []
    leaves = ([{"type": "keyword", "name": k["name"]} for k in keywords]
              + [{"type": "context", "name": c["name"]} for c in context]
              + [{"type": "metadata", "name": m["name"]} for m in metadata]
              + [{"type": "embedding", "name": e["name"]} for e in embeddings] * 3)  # weight: scored leaves common
    decisions = []
    for i in range(49):
        picked = rnd.sample(leaves, rnd.randint(1, 3))
        if rnd.random() < 0.2:
            picked[-1] = {"operator": "NOT", "conditions": [picked[-1]]}
        decisions.append({"name": f"d{i:02d}", "priority": rnd.choice([10, 20, 30, 40, 50]),
                          "rules": {"operator": rnd.choice(["AND", "OR"]), "conditions": picked},
                          "modelRefs": [{"model": rnd.choice(["small", "large"]), "use_reasoning": False}]})
    decisions.append({"name": "fallback", "priority": 0, "rules": {"operator": "AND", "conditions": []},
                      "modelRefs": [{"model": "small", "use_reasoning": False}]})
    return Policy.from_spec({
        "version": "v0.3",
        "providers": {"defaults": {"model": "small"}, "models": [
            {"name": "small", "pricing": {"prompt_per_1m": 0.1, "completion_per_1m": 0.4}},
            {"name": "large", "pricing": {"prompt_per_1m": 2.0, "completion_per_1m": 8.0}}]},
        "routing": {"signals": {"keywords": keywords, "context": context, "metadata": metadata,
                                **({"embeddings": embeddings} if embeddings else {})},
                    "decisions": decisions}})


def make_requests(n: int, seed: int = 11) -> pl.DataFrame:
    rnd = random.Random(seed)
    prompts = [" ".join(rnd.choices(FILLER, k=6) + rnd.sample(VOCAB, 2)) for _ in range(min(n, 5000))]
    idx = pl.Series(range(n)) % len(prompts)
    return pl.DataFrame({
        "request_id": [f"r{i}" for i in range(n)],
        "prompt": pl.Series(prompts).gather(idx),
        "prompt_tokens": (pl.Series(range(n)) * 7919 % 1400).cast(pl.Int64),
        "completion_tokens": (pl.Series(range(n)) * 104729 % 600 + 20).cast(pl.Int64),
        "tenant": (pl.Series(range(n)) % 5).cast(pl.String).str.replace(r"^", "t"),
    })


def hand_written(raw: pl.DataFrame, policy) -> pl.LazyFrame:
    """What an engineer would write by hand: leaf tests inline (AND = mean / OR = max of true
    children's confidence, crisp = 1.0), then per priority level, highest first, the matching
    decision with the best confidence when every matching decision is scored, else the first by name."""
    from policies.validation.signal_values import parse_token_count

    routing = policy.routing

    def node(n) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
        """(fired, confidence, scored) of a rule node."""
        if n.operator == "NOT":
            fired, _, _ = node(n.conditions[0])
            return ~fired, pl.lit(1.0), pl.lit(False)
        if n.conditions is not None:
            parts = [node(c) for c in n.conditions]
            if n.op == "AND":
                return (pl.all_horizontal([p[0] for p in parts]), pl.mean_horizontal([p[1] for p in parts]),
                        pl.any_horizontal([p[2] for p in parts]))
            return (pl.any_horizontal([p[0] for p in parts]),
                    pl.max_horizontal([pl.when(p[0]).then(p[1]).otherwise(0.0) for p in parts]),
                    pl.any_horizontal([p[0] & p[2] for p in parts]))
        s = routing.find_signal(n.type, n.name)
        base = f"raw::{n.type}::{n.name}::"
        if n.type == "embedding":
            score = pl.col(base + "score")
            return score >= s.threshold, score, pl.lit(True)
        if n.type == "keyword":
            fired = pl.any_horizontal([pl.col(base + f"k{i}") > 0.5 for i in range(len(s.keywords))])
        elif n.type == "context":
            t = pl.col(base + "tokens")
            fired = ((t >= parse_token_count(s.min_tokens)) & (t <= parse_token_count(s.max_tokens))).fill_null(False)
        else:
            fired = (pl.col(base + "value") == s.predicate["equals"]).fill_null(False)
        return fired, pl.lit(1.0), pl.lit(False)

    if not routing.signals.embeddings:  # all crisp: confidence never decides, first match in router order
        from policies.ranking import static_order

        ordered = static_order(routing.decisions)
        chain = pl.when(pl.lit(True) if ordered[0].is_catch_all else node(ordered[0].rules)[0]).then(pl.lit(ordered[0].name))
        for d in ordered[1:]:
            chain = chain.when(pl.lit(True) if d.is_catch_all else node(d.rules)[0]).then(pl.lit(d.name))
        return raw.lazy().select(chain.otherwise(None).alias("decision"))
    real = sorted((d for d in routing.decisions if not d.is_catch_all), key=lambda d: d.name)
    parts = {d.name: node(d.rules) for d in real}
    frame = raw.lazy().with_columns(
        [parts[d.name][0].alias(f"m::{d.name}") for d in real]
        + [pl.when(parts[d.name][0]).then(parts[d.name][1]).otherwise(float("-inf")).alias(f"c::{d.name}") for d in real]
        + [(~parts[d.name][0] | parts[d.name][2]).alias(f"s::{d.name}") for d in real])
    comparable = pl.all_horizontal([pl.col(f"s::{d.name}") for d in real])
    chain = None
    for priority in sorted({d.effective_priority for d in real}, reverse=True):
        level = [d for d in real if d.effective_priority == priority]  # by name
        names = pl.lit(pl.Series([d.name for d in level]))
        best = pl.when(comparable).then(pl.concat_list([pl.col(f"c::{d.name}") for d in level]).list.arg_max()) \
            .otherwise(pl.concat_list([pl.col(f"m::{d.name}") for d in level]).list.arg_max())
        pick = names.implode().list.get(best) if len(level) > 1 else pl.lit(level[0].name)
        hit = pl.any_horizontal([pl.col(f"m::{d.name}") for d in level])
        chain = pl.when(hit).then(pick) if chain is None else chain.when(hit).then(pick)
    fallback = next((d.name for d in routing.decisions if d.is_catch_all), None)
    return frame.select(chain.otherwise(pl.lit(fallback)).alias("decision"))


def variant(policy):
    from policies.simulation.sweep import with_signal_field
    tuned = with_signal_field(policy, "context", "ctx2", "min_tokens", 450)
    if policy.routing.find_signal("embedding", "emb0") is not None:
        tuned = with_signal_field(tuned, "embedding", "emb0", "threshold", EMBEDDING_THRESHOLD - 0.05)
    return tuned


def run_size(n: int, repeat: int, scored: bool) -> dict:
    from policies.simulation import Simulator

    policy = make_policy(scored=scored)
    requests = make_requests(n)
    sim = Simulator(requests)
    t = time.perf_counter()
    sim.simulate(policy)
    first = time.perf_counter() - t
    tweaked = variant(policy)
    ours, theirs = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        result = sim.simulate(tweaked)
        counts = result.requests["decision"].value_counts()
        ours.append(time.perf_counter() - t)
        raw = result.extraction.raw
        t = time.perf_counter()
        hand = hand_written(raw, tweaked).collect()
        hand_counts = hand["decision"].value_counts()
        theirs.append(time.perf_counter() - t)
    assert hand["decision"].equals(result.requests["decision"]), "hand-written winners differ"
    assert hand_counts.sort("decision").equals(counts.sort("decision"))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    scores = [c for c in raw.columns if c.startswith("raw::embedding::")]
    fired = float(raw.select(pl.any_horizontal([pl.col(c) >= EMBEDDING_THRESHOLD for c in scores]).mean()).item()) \
        if scores else 0.0
    return {"requests": n, "embedding_leaves": scored, "embedding_fired_share": round(fired, 3), "first_simulate_s": round(first, 3), "resimulate_s": round(min(ours), 4),
            "hand_written_s": round(min(theirs), 4), "ratio": round(min(ours) / min(theirs), 2),
            "peak_rss_mb": round(peak_mb, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scored", action="store_true", help="add embedding leaves (runs the encoder once)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_size(args.one, args.repeat, args.scored)))
        return
    print(f"machine: {machine()}; Polars {pl.__version__}")
    print("resimulate = Simulator.simulate on a threshold variant (winners, models, cost, latency, quality, "
          "fired/conf/match columns) + per-decision counts; hand_written = winners + counts only")
    for n in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(n), "--repeat", str(args.repeat)]
                             + (["--scored"] if args.scored else []),
                             capture_output=True, text=True, check=True)
        print(out.stdout.strip())


if __name__ == "__main__":
    main()
