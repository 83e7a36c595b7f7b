"""Conflict-analysis timing on generated policies: 10, 50, 100, 200 decisions over 40 signals.

Goals (the studio re-checks on every edit): 20 decisions < 200 ms, 100 decisions < 2 s on 2 cores.
"Analysis" decides every finding; witnesses are built lazily, so their cost is timed separately.
Run: python benchmarks/bench_conflicts.py [--sizes 10 20 50 100 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import machine  # noqa: E402
from policies.conflicts import analyze_policy  # noqa: E402
from policies.labels import MMLU_DOMAINS  # noqa: E402
from policies.model import Policy  # noqa: E402

MODELS = ["m0", "m1", "m2", "m3", "m4"]


def generate(n_decisions: int, n_signals: int = 40, seed: int = 7) -> Policy:
    """A policy mixing keyword, context, domain, embedding, language, metadata and jailbreak signals."""
    rng = random.Random(seed)
    per = n_signals // 8
    signals = {
        "keywords": [{"name": f"kw{i}", "operator": "OR", "keywords": [f"word{i}", f"word{i + 1}"]} for i in range(per * 2)],
        "context": [{"name": f"ctx{i}", "min_tokens": 1000 * i, "max_tokens": 1000 * (i + 2)} for i in range(per)],
        "domains": [{"name": f"dom{i}", "description": "d", "mmlu_categories": rng.sample(MMLU_DOMAINS, 2)}
                    for i in range(per)],
        "embeddings": [{"name": f"emb{i}", "threshold": 0.7, "candidates": [f"topic {i}"]} for i in range(per)],
        "language": [{"name": code, "description": code} for code in ["en", "de", "fr", "zh", "ja"][:per]],
        "metadata": [{"name": f"meta{i}", "description": "m", "key": "tier", "predicate": {"equals": f"t{i}"}}
                     for i in range(per)],
        "jailbreak": [{"name": f"jb{i}", "threshold": 0.5 + 0.1 * i} for i in range(per)],
    }
    leaves = [(("keyword" if c == "keywords" else "context" if c == "context" else "domain" if c == "domains" else
                "embedding" if c == "embeddings" else "language" if c == "language" else "metadata" if c == "metadata"
                else "jailbreak"), s["name"]) for c, items in signals.items() for s in items]

    def tree(depth: int = 0) -> dict:
        if depth >= 2 or rng.random() < 0.35:
            t, name = rng.choice(leaves)
            leaf = {"type": t, "name": name}
            return {"operator": "NOT", "conditions": [leaf]} if rng.random() < 0.15 else leaf
        return {"operator": rng.choice(["AND", "AND", "OR"]), "conditions": [tree(depth + 1) for _ in range(rng.randint(2, 3))]}

    decisions = []
    for i in range(n_decisions):
        root = tree()
        rules = root if "operator" in root and root["operator"] != "NOT" else {"operator": "AND", "conditions": [root]}
        decisions.append({"name": f"d{i:03d}", "priority": rng.randint(0, n_decisions // 2), "rules": rules,
                          "modelRefs": [{"model": rng.choice(MODELS), "use_reasoning": False}]})
    return Policy.from_spec({"version": "v0.3", "providers": {"defaults": {"model": "m0"},
                             "models": [{"name": m} for m in MODELS]},
                             "routing": {"signals": signals, "decisions": decisions}})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 20, 50, 100, 200])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"load average at start: {os.getloadavg()[0]:.1f} (CPU s is this process's CPU time: less sensitive to "
          "other jobs on a shared machine; wall s ≈ CPU s on an idle one)")
    print(f"{'decisions':>9} {'wall s (best)':>14} {'CPU s (best)':>13} {'findings':>8} {'queries':>8} {'witnesses s':>12}")
    for n in args.sizes:
        policy = generate(n)
        best, best_cpu, report = float("inf"), float("inf"), None
        for _ in range(args.repeat):
            start, cpu = time.perf_counter(), time.process_time()
            report = analyze_policy(policy)
            best = min(best, time.perf_counter() - start)
            best_cpu = min(best_cpu, time.process_time() - cpu)
        start = time.perf_counter()
        for f in report.findings:
            f.witness_synthetic  # noqa: B018  (materialise every witness)
        witnesses = time.perf_counter() - start
        queries = sum(p.analysis.solver.queries for p in report.profiles)
        print(f"{n:>9} {best:>14.3f} {best_cpu:>13.3f} {len(report.findings):>8} {queries:>8} {witnesses:>12.3f}")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
