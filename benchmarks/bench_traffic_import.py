"""Benchmark traffic import: rows/s and peak RSS for the sample and a synthetic 1M-row OpenAI log.

Each import runs in a fresh child process so its peak RSS is its own (not the generator's).

    python benchmarks/bench_traffic_import.py [--rows 1000000] [--skip-synthetic] [--json out.json]
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

WORDS = ("route", "model", "token", "latency", "policy", "signal", "domain", "cost", "quality", "prompt",
         "math", "law", "code", "summary", "translate", "explain", "why", "how", "compare", "list")
MODELS = ("qwen3-8b", "qwen3-32b", "gpt-4o-mini", "gpt-4o", "deepseek-r1")


def machine_info() -> dict[str, object]:
    """What the numbers were measured on (load matters: the machine may be shared)."""
    import polars

    mem_kb = 0
    if Path("/proc/meminfo").exists():
        mem_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal")), 0)
    return {"machine": machine(), "memory_gib": round(mem_kb / 2**20, 1), "polars": polars.__version__,
            "load_average_at_start": [round(x, 1) for x in os.getloadavg()]}


def synthetic_log(path: Path, rows: int, seed: int = 7) -> None:
    """``rows`` OpenAI request/response lines with 1–3 turns, usage and a served model."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as out:
        for i in range(rows):
            turns = [{"role": "user" if t % 2 == 0 else "assistant",
                      "content": " ".join(rng.choices(WORDS, k=rng.randint(5, 60)))}
                     for t in range(rng.choice((1, 1, 1, 3)))]
            model = rng.choice(MODELS)
            line = {"request": {"model": "auto", "messages": turns, "user": f"u{i % 997}",
                                "metadata": {"request_id": f"r{i}", "tenant": f"t{i % 7}"}},
                    "response": {"id": f"c{i}", "created": 1717000000 + i, "model": model,
                                 "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}}],
                                 "usage": {"prompt_tokens": rng.randint(10, 500),
                                           "completion_tokens": rng.randint(1, 800)}},
                    "latency_ms": round(rng.uniform(100, 5000), 1)}
            out.write(json.dumps(line, separators=(",", ":")) + "\n")


def child(path: str) -> None:
    """Import ``path`` and print rows, timings and this process's peak RSS as JSON."""
    from policies.traffic import read_traffic

    wall, cpu = time.perf_counter(), time.process_time()
    ts = read_traffic(path)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": ts.requests.height, "rejects": ts.rejects.height,
                      "candidate_rows": ts.candidate_outcomes.height, "bytes": Path(path).stat().st_size,
                      "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                      "rows_per_s_wall": round(ts.requests.height / wall), "rows_per_s_cpu": round(ts.requests.height / cpu),
                      "peak_rss_mib": round(peak_kib / 1024)}))


def measure(path: Path) -> dict[str, object]:
    done = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True,
                          check=True, cwd=REPO)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    from policies.traffic.sample import sample_path

    results: dict[str, object] = {"machine": machine_info(), "sample": measure(sample_path())}
    print(json.dumps({"sample": results["sample"]}))
    if not args.skip_synthetic:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "synthetic.jsonl"
            started = time.perf_counter()
            synthetic_log(path, args.rows)
            results["synthetic_generation_s"] = round(time.perf_counter() - started, 1)
            results["synthetic"] = measure(path)
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
