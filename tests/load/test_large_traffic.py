"""The studio with a 1M-row traffic set: the real picker loads it, the real dashboard simulates it.

Runs ``benchmarks/bench_large_traffic.py``'s child in a fresh interpreter, so ``ru_maxrss`` is the
whole process (Panel, engine, import, simulation). What it guards:

- memory: before the import spilled chunks to a memory-mapped Arrow file, importing 1M rows alone
  peaked at 2.3 GB; the whole studio process (Panel and all) measured 613 MiB after the picker's
  load. The simulation then adds the engine's prepared frame (messages, prompt and two derived
  text columns, ~0.9 GB at 1M rows), signal columns and outcomes: 2.3 GB measured overall, above
  the 1.5 GB goal, which is the simulation engine's to reach; the bound here stops it growing;
- progress: the picker shows the share of the file read while it reads (set on the event loop while
  its thread reads, so the loop ran during the import); how long the loop stalled is a wall-clock
  figure, checked against its limit by ``benchmarks/bench_large_traffic.py``, not here (a busy
  machine must not fail CI);
- correctness at scale: every row imported, none rejected, the crisp rules all fire.

About 4 minutes on a quiet 2-core CI machine (1M-row import ~2.5 min of CPU, simulation ~20 s).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_large_traffic import measure  # noqa: E402
from benchmarks.synthetic_traffic import CRISP_DECISIONS, synthetic_log  # noqa: E402

ROWS = 1_000_000
MAX_IMPORT_PEAK_MIB = 1024  # whole process after the picker's load (measured 613 MiB)
MAX_PEAK_MIB = 2816  # whole process after the simulation (measured 2,295 MiB; the goal is 1,536)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


def test_studio_loads_and_simulates_1m_rows_in_bounded_memory(tmp_path: Path) -> None:
    figures = measure(synthetic_log(tmp_path / "openai.jsonl", ROWS), timeout_s=1700)
    print(f"\n[large-traffic] {figures}")
    assert figures["rows"] == ROWS and figures["rejects"] == 0
    assert sum(figures["routed"].values()) == ROWS
    assert set(figures["routed"]) >= set(CRISP_DECISIONS), "a crisp rule never fired"
    assert figures["progress_shown"] >= 2 and figures["progress_last_fraction"] > 0.5, "no progress was shown"
    assert figures["peak_rss_after_import_mib"] < MAX_IMPORT_PEAK_MIB, f"import peak {figures['peak_rss_after_import_mib']} MiB"
    assert figures["peak_rss_mib"] < MAX_PEAK_MIB, f"whole-process peak RSS {figures['peak_rss_mib']} MiB"
