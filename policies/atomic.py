"""Crash-safe file writes for every export the project makes.

A plain ``open(path, "w")`` truncates first, so a crash or a full disk leaves a half-written
policy on disk that a router may load. Here the bytes go to a temp file in the same directory,
are fsynced, and ``os.replace`` swaps it in; readers see the old file or the new one, never a mix.
Fsyncing the directory afterwards makes the rename itself survive a power loss.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["atomic_write_bytes", "atomic_write_text"]


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Replace ``path`` with ``data`` atomically and durably; returns the target path."""
    target = Path(path)
    directory = target.parent
    temp = directory / f".{target.name}.{secrets.token_hex(6)}.tmp"
    # O_EXCL: never clobber another writer's temp file; mode 0o666 lets the umask apply as for
    # any normally created file (mkstemp would force 0o600 onto the export).
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists():
            os.chmod(temp, target.stat().st_mode & 0o7777)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_directory(directory)
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Text variant of :func:`atomic_write_bytes`; writes newlines exactly as given."""
    return atomic_write_bytes(path, text.encode(encoding))


def _fsync_directory(directory: Path) -> None:
    """Persist the directory entry so the rename is not lost on power failure (POSIX only)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
