"""Large traffic: import a synthetic 1M-row OpenAI JSONL log and simulate a crisp-signal policy over it.

Import and simulation run in a fresh child process so the peak RSS printed is theirs alone
(``resource.getrusage`` ru_maxrss), next to the baseline RSS after imports. Only crisp signals
(keyword, context, structure, language) are simulated: the neural ones (embeddings, domains,
complexity, jailbreak, PII) run an ONNX encoder per request, which on 1M rows would take hours on
CPU; benchmark those on a sample or on a GPU.

    python benchmarks/bench_large_traffic.py [--rows 1000000] [--keep DIR] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import machine  # noqa: E402

WORDS = ("route", "model", "token", "latency", "policy", "signal", "domain", "cost", "quality", "prompt", "math",
         "law", "code", "summary", "translate", "explain", "why", "how", "compare", "list", "quick question",
         "briefly", "urgent", "asap", "der", "und", "le", "la", "el", "de", "?", "什么", "为什么")
MODELS = ("qwen3-8b", "qwen3-32b", "gpt-4o-mini", "gpt-4o", "deepseek-r1")

# Crisp-only policy: the cost_optimised models with keyword, context, structure and language rules.
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
    language:
      - {name: zh, description: Chinese}
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
      rules: {operator: OR, conditions: [{type: structure, name: many_questions}, {type: language, name: zh}]}
      modelRefs: [{model: qwen3-32b, use_reasoning: false}]
"""


def synthetic_log(path: Path, rows: int, seed: int = 11) -> None:
    """``rows`` OpenAI request/response lines (1–3 turns, usage, served model), streamed to disk."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as out:
        for i in range(rows):
            turns = [{"role": "user" if t % 2 == 0 else "assistant",
                      "content": " ".join(rng.choices(WORDS, k=rng.randint(3, 50)))}
                     for t in range(rng.choice((1, 1, 1, 3)))]
            line = {"request": {"model": "auto", "messages": turns, "user": f"u{i % 997}",
                                "metadata": {"request_id": f"r{i}", "tenant": f"t{i % 7}"}},
                    "response": {"id": f"c{i}", "created": 1717000000 + i, "model": rng.choice(MODELS),
                                 "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}}],
                                 "usage": {"prompt_tokens": rng.choice((rng.randint(10, 900), rng.randint(4000, 9000))),
                                           "completion_tokens": rng.randint(1, 800)}},
                    "latency_ms": round(rng.uniform(100, 5000), 1)}
            out.write(json.dumps(line, separators=(",", ":"), ensure_ascii=False) + "\n")


def rss_mib() -> float:
    """Current resident set size (Linux /proc), MiB."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child(path: str) -> dict[str, object]:
    """Import + crisp simulation of ``path`` in this process; timings, counts and RSS as a dict."""
    import polars as pl

    from policies.loader import loads_policy
    from policies.simulation import Simulator
    from policies.traffic import read_traffic

    policy = loads_policy(CRISP_POLICY, "crisp.yaml")
    baseline = rss_mib()
    wall, cpu = time.perf_counter(), time.process_time()
    traffic = read_traffic(path)
    import_wall, import_cpu = time.perf_counter() - wall, time.process_time() - cpu
    after_import = rss_mib()
    peak_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    wall, cpu = time.perf_counter(), time.process_time()
    result = Simulator(traffic, context=_NoNeural()).simulate(policy)
    sim_wall, sim_cpu = time.perf_counter() - wall, time.process_time() - cpu
    rows = traffic.requests.height
    routed = result.requests["decision"].fill_null("default").value_counts().sort("decision")
    return {
        "rows": rows, "rejects": traffic.rejects.height, "bytes": Path(path).stat().st_size,
        "import_wall_s": round(import_wall, 2), "import_cpu_s": round(import_cpu, 2),
        "import_rows_per_s": round(rows / import_wall),
        "simulate_wall_s": round(sim_wall, 2), "simulate_cpu_s": round(sim_cpu, 2),
        "simulate_rows_per_s": round(rows / sim_wall),
        "baseline_rss_mib": round(baseline), "rss_after_import_mib": round(after_import),
        "peak_rss_after_import_mib": round(peak_import),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "polars_threads": pl.thread_pool_size(),
        "routed": dict(routed.iter_rows()),
    }


class _NoNeural:
    """Simulation context that refuses neural signals: this benchmark measures the crisp path only."""

    def __getattr__(self, name: str) -> object:
        raise RuntimeError(f"neural signal requested ({name}); the large-traffic benchmark is crisp-only")


def measure(path: Path, timeout_s: float = 3600) -> dict[str, object]:
    """Run :func:`child` in a fresh interpreter (its own peak RSS); returns its JSON result."""
    done = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True,
                          cwd=REPO, timeout=timeout_s)
    if done.returncode != 0:
        raise RuntimeError(f"child failed ({done.returncode}): {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="write the log here instead of a temp dir (and keep it)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child)))
        return 0
    print(f"machine: {machine()}; load average {tuple(round(x, 1) for x in os.getloadavg())}")
    print("signals: crisp only (keyword, context, structure, language); neural signals on 1M rows would run an "
          "ONNX encoder per request and take hours on CPU, so they are not in this figure")
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"openai_{args.rows}.jsonl"
        started = time.perf_counter()
        synthetic_log(path, args.rows)
        print(f"generated {args.rows:,} rows ({path.stat().st_size / 2**20:.0f} MiB) in "
              f"{time.perf_counter() - started:.0f}s")
        figures = measure(path)
    print(f"import:   {figures['rows']:,} rows in {figures['import_wall_s']}s wall ({figures['import_cpu_s']}s CPU) "
          f"= {figures['import_rows_per_s']:,} rows/s; {figures['rejects']} rejects")
    print(f"simulate: {figures['simulate_wall_s']}s wall ({figures['simulate_cpu_s']}s CPU) "
          f"= {figures['simulate_rows_per_s']:,} rows/s")
    print(f"RSS MiB: baseline {figures['baseline_rss_mib']}, after import {figures['rss_after_import_mib']}, "
          f"peak during import {figures['peak_rss_after_import_mib']}, peak overall {figures['peak_rss_mib']}")
    print(f"routed: {figures['routed']}")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), **figures}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
