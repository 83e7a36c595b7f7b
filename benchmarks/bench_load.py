"""Concurrent-session load: N browser sessions against a real ``panel serve studio`` on 127.0.0.1.

Same drive as ``tests/load/test_concurrent_sessions.py`` (one headless Chromium, one context per
session; each opens its own stored policy, edits it in YAML, views it in the Workspace), printed as
latency percentiles per step with the machine. The server uses a temp SQLite store and is killed at
the end.

    python benchmarks/bench_load.py [--sessions 20] [--deadline 150] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import machine  # noqa: E402
from tests.load.driver import drafts_isolated, drive, report, seed_store, studio_server  # noqa: E402

STEPS = {"load_s": "open page → own policy shown", "edit_s": "YAML edit → accepted (undo enabled)",
         "view_s": "Workspace tab → edit visible"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--deadline", type=float, default=150, help="seconds for the whole drive")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    print(f"machine: {machine()}; load average {tuple(round(x, 1) for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'load.sqlite'}"
        seed_store(db, args.sessions)
        started = time.perf_counter()
        with studio_server(db, Path(tmp) / "server.log") as url:
            results = asyncio.run(drive(url, args.sessions, deadline_s=args.deadline))
        wall = time.perf_counter() - started
        leaks = drafts_isolated(db, results, args.sessions)
    figures = report(results)
    print(f"{args.sessions} concurrent sessions, {sum(r.ok for r in results)} completed, wall {wall:.0f}s "
          "(server start included)")
    for step, label in STEPS.items():
        f = figures[step]
        print(f"  {label:40s} n={f['n']:>3}" + ("" if not f["n"] else
              f"  p50 {f['p50']:.2f}s  p95 {f['p95']:.2f}s  max {f['max']:.2f}s"))
    for r in results:
        if not r.ok:
            print(f"  session {r.index}: {r.error or 'leak ' + str(r.leaks)}")
    print("isolation: " + ("no leaks (pages and autosaved drafts)" if not leaks and not any(r.leaks for r in results)
                           else f"LEAKS {leaks}"))
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "sessions": args.sessions, "latency_s": figures,
                                         "completed": sum(r.ok for r in results), "draft_problems": leaks}, indent=2))
    return 0 if all(r.ok for r in results) and not leaks else 1


if __name__ == "__main__":
    raise SystemExit(main())
