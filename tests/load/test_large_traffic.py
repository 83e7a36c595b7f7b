"""200k-row OpenAI log: import plus crisp-signal simulation finish with bounded memory.

Runs ``benchmarks/bench_large_traffic.py``'s child in a fresh interpreter so ``ru_maxrss`` is the
import and simulation alone. The bound: 200k rows measured ~470 MiB of import growth and ~560 MiB
peak over the post-import baseline (AMD EPYC, 2 cores, Polars 1.x); 1.5 GiB leaves room for
allocator noise but fails if the reader starts holding the raw JSON (115 MiB of text, ~10x in
Python objects) or the simulation materialises per-signal copies of the table.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_large_traffic import measure, synthetic_log  # noqa: E402

ROWS = 200_000
MAX_GROWTH_MIB = 1536

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


def test_200k_rows_import_and_simulate_with_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "openai.jsonl"
    synthetic_log(path, ROWS)
    figures = measure(path, timeout_s=1700)
    print(f"\n[large-traffic] {figures}")
    assert figures["rows"] == ROWS and figures["rejects"] == 0
    assert sum(figures["routed"].values()) == ROWS
    assert set(figures["routed"]) >= {"long_documents", "urgent_not_quick", "many_questions"}, "crisp rules never fired"
    growth = figures["peak_rss_mib"] - figures["baseline_rss_mib"]
    assert growth < MAX_GROWTH_MIB, f"peak RSS grew {growth} MiB over baseline (bound {MAX_GROWTH_MIB} MiB)"
