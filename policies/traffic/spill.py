"""Append typed frames to an uncompressed Arrow IPC file and map the whole file back at the end.

Why: a million-row import used to hold every chunk frame in memory and then concatenate them (a
second full copy), peaking at several times the table's size. Spilled chunks live in the page
cache instead, and the frame handed back is memory-mapped, zero-copy: its pages are read from
disk on first use and the kernel can drop them again under pressure, so columns nobody reads
(Replay's ``prior_signals`` on an OpenAI log, say) never occupy memory at all. The file is deleted
as soon as it is mapped; the mapping keeps its data alive for as long as the frame lives.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    import pyarrow.ipc

SPILL_PREFIX = "rs-traffic-"


class Spill:
    """One table's chunks on disk: ``write`` frames, then ``mapped`` once (or ``discard``)."""

    def __init__(self, folder: str | os.PathLike[str] | None = None):
        handle, name = tempfile.mkstemp(prefix=SPILL_PREFIX, suffix=".arrow", dir=folder)
        os.close(handle)
        self.path = Path(name)
        self._writer: pyarrow.ipc.RecordBatchFileWriter | None = None

    def write(self, frame: pl.DataFrame) -> None:
        """Append ``frame`` (every chunk must have the same schema)."""
        import pyarrow.ipc as ipc  # here, not at the top: ~40 MB and 0.2 s that small imports never need

        table = frame.to_arrow(compat_level=pl.CompatLevel.newest())
        if self._writer is None:
            self._writer = ipc.new_file(str(self.path), table.schema)
        self._writer.write_table(table)

    def mapped(self) -> pl.DataFrame:
        """Every written row as one frame backed by the memory-mapped file (one chunk per write)."""
        import pyarrow as pa
        import pyarrow.ipc as ipc

        try:
            if self._writer is None:
                raise ValueError("nothing was written to this spill")
            self._writer.close()
            self._writer = None
            with pa.memory_map(str(self.path)) as source:
                table = ipc.open_file(source).read_all()
            return pl.from_arrow(table, rechunk=False)
        finally:
            self.discard()

    def discard(self) -> None:
        """Close and delete the file (an import that failed half-way leaves nothing behind)."""
        if self._writer is not None:
            import pyarrow as pa  # already loaded: a writer exists

            with contextlib.suppress(OSError, pa.ArrowException):  # its file may already be broken
                self._writer.close()
            self._writer = None
        # A platform that refuses to delete a mapped file keeps it in the temp folder until reboot.
        with contextlib.suppress(OSError):
            self.path.unlink()
