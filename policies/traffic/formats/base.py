"""What a traffic format is: a name, a key-based detector and a record mapper."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ..fields import Fields
from ..rows import LineContext, Mapped

MapRecord = Callable[[Fields, LineContext], Mapped]


@dataclass(frozen=True)
class Format:
    """``detect`` looks at one parsed record; a mapper turns a record into rows or raises RowError.

    Most formats map each record on its own (``map_record``); a format that must remember earlier
    records of the same import (LLMRouter's long rows) gives ``new_mapper`` instead.
    """

    name: str
    description: str
    detect: Callable[[Mapping[str, Any]], bool]
    map_record: MapRecord | None = None
    new_mapper: Callable[[], MapRecord] | None = None

    def mapper(self) -> MapRecord:
        """A mapper for one import."""
        if self.new_mapper is not None:
            return self.new_mapper()
        assert self.map_record is not None, f"format {self.name} has no mapper"
        return self.map_record
