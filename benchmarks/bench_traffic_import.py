"""Benchmark traffic import: rows/s and peak RSS for the sample and a synthetic 1M-row OpenAI log.

Each import runs in a fresh child process so its peak RSS is its own (not the generator's); the
baseline RSS after imports is printed next to it. The import streams: chunks of ``chunk_rows``
Python rows become typed frames spilled to a memory-mapped Arrow file, so the peak grows with the
chunk, not the file (1M rows peaked at 2.3 GB before the spill).

    python benchmarks/bench_traffic_import.py [--rows 1000000] [--skip-synthetic] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.bench_large_traffic import peak_rss_mib, rss_mib  # noqa: E402
from benchmarks.common import machine  # noqa: E402
from benchmarks.synthetic_traffic import synthetic_log  # noqa: E402


def machine_info() -> dict[str, object]:
    """What the numbers were measured on (load matters: the machine may be shared)."""
    import polars

    mem_kb = 0
    if Path("/proc/meminfo").exists():
        mem_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal")), 0)
    return {"machine": machine(), "memory_gib": round(mem_kb / 2**20, 1), "polars": polars.__version__}


def child(path: str) -> None:
    """Import ``path`` and print rows, timings and this process's peak RSS as JSON."""
    from policies.traffic import read_traffic

    baseline = rss_mib()
    wall, cpu = time.perf_counter(), time.process_time()
    ts = read_traffic(path)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(json.dumps({"rows": ts.requests.height, "rejects": ts.rejects.height,
                      "candidate_rows": ts.candidate_outcomes.height, "bytes": Path(path).stat().st_size,
                      "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                      "rows_per_s_wall": round(ts.requests.height / wall), "rows_per_s_cpu": round(ts.requests.height / cpu),
                      "baseline_rss_mib": round(baseline), "peak_rss_mib": round(peak_rss_mib()),
                      "rss_after_mib": round(rss_mib())}))


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
