"""What a traffic format is: a name, a key-based detector and a record mapper."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ..fields import Fields
from ..rows import LineContext, Mapped


@dataclass(frozen=True)
class Format:
    """``detect`` looks at one parsed record; ``map_record`` turns a record into rows or raises RowError."""

    name: str
    description: str
    detect: Callable[[Mapping[str, Any]], bool]
    map_record: Callable[[Fields, LineContext], Mapped]
