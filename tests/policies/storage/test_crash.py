"""SIGKILL a writer at random moments; the store must always reopen with its history intact.

The writer is a real child process saving 64-512 KiB YAML versions and simulation runs with up
to 5000 decision rows. After every kill the store is reopened and checked: version numbers are
1..n with no gap, every version's text hashes to its recorded sha256, nothing seen before has
changed or vanished, every run's decision rows are complete, and every write that returned
before the kill is stored (durability), with at most one extra per kill that hit a commit.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from policies.errors import PolicyError
from policies.storage import Store
from policies.storage.versions import sha256_text

from .conftest import REPO
from .crash_writer import POLICY

WRITER = Path(__file__).with_name("crash_writer.py")
KILLS = 25
HANG_S = 600.0  # liveness only (25 kills take ~25 s on a quiet 2-core box): a busy machine is slower, not wrong


class History:
    """What earlier checks saw, so a later crash cannot silently rewrite or drop it."""

    def __init__(self) -> None:
        self.versions: dict[int, str] = {}
        self.runs: set[int] = set()

    def check(self, url: str) -> None:
        with Store.open(url) as store:
            try:
                listed = store.list_versions(POLICY)
            except PolicyError:
                listed = []  # killed before the first version committed
            assert [v.version for v in listed] == list(range(1, len(listed) + 1))
            assert len(listed) >= len(self.versions), "committed versions disappeared"
            for info in listed:
                assert self.versions.setdefault(info.version, info.content_sha256) == info.content_sha256
                assert sha256_text(store.get_version(POLICY, info.version).spec_yaml) == info.content_sha256
            run_ids = set()
            for run in store.list_simulation_runs(POLICY):
                assert len(store.get_simulation_run(run.id).decisions) == run.summary["rows"]
                run_ids.add(run.id)
            assert self.runs <= run_ids, "committed simulation runs disappeared"
            self.runs = run_ids
            if store.url.startswith("sqlite"):
                with store._engine.connect() as conn:
                    assert conn.execute(sa.text("PRAGMA quick_check")).scalar() == "ok"


class Writers:
    """Talks to crash_writer.py, which forks the writers from one warmed-up interpreter."""

    def __init__(self, url: str, workdir: Path) -> None:
        self.workdir = workdir
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        self.parent = subprocess.Popen([sys.executable, str(WRITER), url, str(workdir)], env=env, text=True,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self._ask(None) == "ready"

    def start(self, seed: int) -> int:
        """Fork a writer and return its pid once it has opened the store."""
        pid = int(self._ask(f"go {seed}"))
        progress = self.workdir / f"progress-{seed}"
        while not progress.read_bytes().startswith(b"W"):
            assert not (self.workdir / f"error-{seed}").exists(), self.error(seed)
            time.sleep(0.002)
        return pid

    def kill(self, pid: int, seed: int) -> bytes:
        """SIGKILL the writer, wait until it is gone, and return what it had logged."""
        os.kill(pid, signal.SIGKILL)
        assert self._ask(f"reap {pid}") == f"signal {signal.SIGKILL.value}", self.error(seed)
        return (self.workdir / f"progress-{seed}").read_bytes()

    def error(self, seed: int) -> str:
        path = self.workdir / f"error-{seed}"
        return path.read_text() if path.exists() else "writer ended without a traceback"

    def close(self) -> None:
        self.parent.stdin.close()
        self.parent.wait(timeout=10)
        self.parent.stdout.close()

    def _ask(self, command: str | None) -> str:
        if command is not None:
            self.parent.stdin.write(command + "\n")
            self.parent.stdin.flush()
        return self.parent.stdout.readline().strip()


@pytest.mark.slow
def test_sigkill_during_writes_leaves_a_consistent_store(store_url: str, tmp_path: Path) -> None:
    Store.open(store_url).close()  # migrate once, so each writer starts writing at once
    rng = random.Random(20240601)
    history = History()
    writers = Writers(store_url, tmp_path)
    kills = inside_write = acknowledged = 0
    deadline = time.monotonic() + HANG_S
    try:
        while kills < KILLS:
            assert time.monotonic() < deadline, f"only {kills} kills in {HANG_S:.0f}s: the writers hang"
            pid = writers.start(kills)
            time.sleep(rng.uniform(0.02, 0.3))
            progress = writers.kill(pid, kills)
            kills += 1
            inside_write += progress.endswith(b"B")
            acknowledged += progress.count(b"E")
            history.check(store_url)
            # Every write that returned is there; at most one more per kill that hit a commit.
            stored = len(history.versions) + len(history.runs)
            assert acknowledged <= stored <= acknowledged + inside_write
    finally:
        writers.close()

    print(f"{store_url.split(':')[0]}: {kills} kills, {inside_write} inside a write, "
          f"{len(history.versions)} versions and {len(history.runs)} runs verified")
    assert inside_write >= kills // 2, "kills rarely landed inside a write; the test proves little"
    assert history.versions and history.runs, "the writers never committed both kinds of write"
