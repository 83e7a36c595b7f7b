"""Deterministic tar.gz writing and hostile-archive-proof reading.

Writing: sorted entries, one fixed timestamp, uid/gid 0, fixed modes and a gzip header without
name or time, so building twice from the same inputs gives byte-identical archives.

Reading never extracts to disk and never trusts the archive: absolute paths, ``..``
components, links, devices and FIFOs are refused; member count, per-member size, total
uncompressed size and the compression ratio are bounded while streaming, so a zip bomb stops
at the limit instead of filling memory.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from ..errors import PolicyError


@dataclass(frozen=True)
class Limits:
    max_members: int = 256
    max_member_bytes: int = 64 * 1024 * 1024
    max_total_bytes: int = 256 * 1024 * 1024
    max_ratio: int = 200  # uncompressed / compressed; text compresses ~10x, a bomb 1000x
    max_manifest_bytes: int = 1024 * 1024


def bundle_error(message: str, file: str | None = None, suggestion: str | None = None) -> PolicyError:
    return PolicyError.single("bundle", message, file=file, suggestion=suggestion)


def write_archive(files: dict[str, bytes], mtime: int) -> bytes:
    """A reproducible tar.gz of ``files`` (name → bytes)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            data = files[name]
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), mtime, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def _check_name(name: str, file: str) -> str:
    path = PurePosixPath(name)
    if name.startswith("/") or path.is_absolute() or "\\" in name or (len(name) > 1 and name[1] == ":"):
        raise bundle_error(f"archive member '{name}' has an absolute path; refused", file)
    if any(part == ".." for part in path.parts):
        raise bundle_error(f"archive member '{name}' escapes the bundle with '..'; refused", file)
    clean = str(path)
    if clean in ("", "."):
        raise bundle_error("archive member with an empty name; refused", file)
    return clean


class _CountingReader(io.RawIOBase):
    """Wraps the gzip stream and refuses to inflate past the total-size and ratio limits."""

    def __init__(self, stream: gzip.GzipFile, compressed_size: int, limits: Limits, file: str):
        self.stream, self.compressed, self.limits, self.file = stream, max(compressed_size, 1), limits, file
        self.total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        data = self.stream.read(len(buffer))
        self.total += len(data)
        budget = min(self.limits.max_total_bytes + 64 * 1024, self.compressed * self.limits.max_ratio + 1024 * 1024)
        if self.total > budget:
            raise bundle_error(f"archive inflates past {budget:,} bytes (compression bomb?); refused", self.file)
        buffer[: len(data)] = data
        return len(data)


def read_archive(data: bytes, file: str = "<bundle>", limits: Limits = Limits()) -> dict[str, bytes]:
    """Every regular file of a tar.gz bundle as name → bytes, or a clear refusal."""
    try:
        gz = gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb")
        stream = io.BufferedReader(_CountingReader(gz, len(data), limits, file))
        tar = tarfile.open(fileobj=stream, mode="r|")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise bundle_error(f"not a readable tar.gz bundle: {exc}", file) from None
    files: dict[str, bytes] = {}
    total = 0
    try:
        for count, member in enumerate(tar, start=1):
            if count > limits.max_members:
                raise bundle_error(f"archive has more than {limits.max_members} members; refused", file)
            name = _check_name(member.name, file)
            if member.issym() or member.islnk():
                raise bundle_error(f"archive member '{name}' is a link; refused", file)
            if member.isdir():
                continue
            if not member.isfile():
                raise bundle_error(f"archive member '{name}' is a device, FIFO or other special file; refused", file)
            if member.size > limits.max_member_bytes:
                raise bundle_error(f"archive member '{name}' is {member.size:,} bytes, over the "
                                   f"{limits.max_member_bytes:,}-byte limit; refused", file)
            total += member.size
            if total > limits.max_total_bytes:
                raise bundle_error(f"archive holds more than {limits.max_total_bytes:,} bytes; refused", file)
            if name in files:
                raise bundle_error(f"archive member '{name}' appears twice; refused", file)
            handle = tar.extractfile(member)
            files[name] = handle.read() if handle else b""
    except PolicyError:
        raise
    except (tarfile.TarError, OSError, EOFError, gzip.BadGzipFile) as exc:
        raise bundle_error(f"corrupt bundle archive: {exc}", file) from None
    finally:
        tar.close()
    return files
