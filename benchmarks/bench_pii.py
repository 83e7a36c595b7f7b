"""PII detection throughput on the sample traffic's prompts: with the Rust prefilters vs without.

    python benchmarks/bench_pii.py [--prompts 2000] [--repeat 3]

Two workloads from ``sample_data``: short prompts (under 2,000 characters, chat-like) and the
longest ones (documents). "prefiltered" is ``detect_pii`` (each recogniser runs only on texts its
Polars prefilter matches); "every recogniser" runs all 18 recognisers' Python patterns on every
text. Both give the same scores (``tests/policies/inference/test_pii.py`` checks it). Prints
prompts/s, MB/s and the ratio, with the machine and load.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import best_of, machine  # noqa: E402
from policies.inference.pii import detect_pii, find_pii  # noqa: E402
from policies.traffic import sample_traffic  # noqa: E402


def every_recogniser(texts: list[str]) -> None:
    for text in texts:
        find_pii(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=2000, help="prompts per workload")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best kept)")
    args = parser.parse_args()
    prompts = sample_traffic().requests["prompt"].drop_nulls().to_list()
    workloads = {"short (< 2,000 chars)": [p for p in prompts if len(p) < 2000][:args.prompts],
                 "longest": sorted(prompts, key=len, reverse=True)[:max(args.prompts // 10, 1)]}
    print(f"machine: {machine()}")
    for name, texts in workloads.items():
        megabytes = sum(len(t.encode()) for t in texts) / 1e6
        fast = best_of(lambda: detect_pii(texts), args.repeat)
        slow = best_of(lambda: every_recogniser(texts), args.repeat)
        print(f"{name}: {len(texts):,} prompts, {megabytes / len(texts) * 1e3:.1f} kB each | "
              f"prefiltered {len(texts) / fast:,.0f}/s ({megabytes / fast:.1f} MB/s) | "
              f"every recogniser {len(texts) / slow:,.0f}/s ({megabytes / slow:.1f} MB/s) | {slow / fast:.2f}x")


if __name__ == "__main__":
    main()
