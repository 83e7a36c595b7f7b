"""Print how many inputs each fuzz test and target tried, so a CI log shows the fuzzing really ran."""

from __future__ import annotations

from typing import Any

import json

from .support import COLLECT, COUNTS, FOUND, KNOWN_BUGS, KNOWN_HITS, PER_TEST, SCALE


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    if not COUNTS:
        return
    terminalreporter.section("fuzz inputs tried")
    for test, (target, done, wall, cpu) in sorted(PER_TEST.items()):
        terminalreporter.write_line(f"{test}: {done:,} inputs to {target} ({wall:.1f}s wall, {cpu:.1f}s CPU)")
    for target, done in sorted(COUNTS.items()):
        terminalreporter.write_line(f"TOTAL {target}: {done:,} inputs (scale {SCALE:g})")
    for sig, hits in sorted(KNOWN_HITS.items()):
        terminalreporter.write_line(f"known bug hit {hits:,}x: {sig} (pinned by {KNOWN_BUGS.get(sig, '?')})")
    if COLLECT:
        with open(COLLECT, "w") as handle:
            json.dump(FOUND, handle, indent=1)
        terminalreporter.write_line(f"{len(FOUND)} new crash signatures written to {COLLECT}")
