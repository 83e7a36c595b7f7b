"""How far an import has got, for callers that show progress (the studio's traffic picker).

A million-row log takes minutes to import; a user needs to see it moving. The pipeline reports
records read so far and, where the source has a known size, the share read: bytes of the file on
disk (compressed bytes for gzip) or rows of a Parquet file. A database table reports records only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class ImportProgress:
    """``records`` seen so far; ``fraction`` of the source read (0..1), None when unknown."""

    records: int
    fraction: float | None


ProgressCallback = Callable[[ImportProgress], None]


class Meter:
    """Position of a source against its total; the source says how to read both when it opens."""

    def __init__(self) -> None:
        self.total: int | None = None
        self._position: Callable[[], int] | None = None

    def follow(self, position: Callable[[], int], total: int | None) -> None:
        """Read the position from ``position`` (a file's ``tell``, a row counter) against ``total``."""
        self._position, self.total = position, total

    def fraction(self) -> float | None:
        if not self.total or self._position is None:
            return None
        try:
            return min(1.0, self._position() / self.total)
        except ValueError:  # the source is already closed: it was read to the end
            return 1.0
