"""atomic_write_*: the target is always the old content or the new, never a torn mix."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from policies import atomic
from policies.atomic import atomic_write_bytes, atomic_write_text

from .conftest import REPO

# Loads atomic.py by path: importing the `policies` package would add a second of startup per kill.
WRITER = f"""
import importlib.util, sys
spec = importlib.util.spec_from_file_location("atomic", {str(REPO / "policies" / "atomic.py")!r})
atomic = importlib.util.module_from_spec(spec)
spec.loader.exec_module(atomic)
target, size = sys.argv[1], int(sys.argv[2])
payloads = [b"A" * size, b"B" * size]
print("ready", flush=True)
i = 0
while True:
    atomic.atomic_write_bytes(target, payloads[i % 2])
    i += 1
"""


def test_writes_text_exactly_and_returns_the_path(tmp_path: Path) -> None:
    target = tmp_path / "policy.yaml"
    assert atomic_write_text(target, "a: 1\r\nb: ünï\n") == target
    assert target.read_bytes() == "a: 1\r\nb: ünï\n".encode()
    assert os.listdir(tmp_path) == ["policy.yaml"]


def test_replaces_and_keeps_the_mode_of_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "router.yaml"
    target.write_text("old")
    target.chmod(0o640)
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o640


def test_new_files_get_the_usual_umask_mode(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "new.yaml", "x")
    finally:
        os.umask(umask)
    assert (tmp_path / "new.yaml").stat().st_mode & 0o777 == 0o644


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "policy.yaml"
    target.write_text("old")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["policy.yaml"]


def test_missing_directory_is_an_error_not_a_created_tree(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        atomic_write_text(tmp_path / "missing" / "x.yaml", "x")
    assert not (tmp_path / "missing").exists()


@pytest.mark.slow
def test_a_killed_writer_never_leaves_a_partial_target(tmp_path: Path) -> None:
    size = 4 * 1024 * 1024
    target = tmp_path / "export.yaml"
    atomic_write_bytes(target, b"A" * size)
    rng = random.Random(7)
    mid_write = 0
    for _ in range(15):
        child = subprocess.Popen([sys.executable, "-c", WRITER, str(target), str(size)], stdout=subprocess.PIPE)
        assert child.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0.005, 0.15))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        temps = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        mid_write += bool(temps)
        for temp in temps:  # a SIGKILL cannot clean up; the next export is unaffected
            temp.unlink()
        content = target.read_bytes()
        assert content in (b"A" * size, b"B" * size), f"torn target: {len(content)} bytes"
    assert mid_write >= 3, "kills never landed inside a write; the test proves nothing"
