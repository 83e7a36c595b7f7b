"""Plain tables (CSV, Parquet, SQL, flat JSON) mapped column by column onto ``requests``.

The mapping is ``{normalised_column: source_column}``; a table whose columns already carry the
normalised names needs none. Content comes from ``messages`` (JSON array) or ``prompt``
(+ ``system``), so derived flags and token estimates follow the same rules as the log formats.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from ..content import Content, message_row
from ..fields import Fields
from ..mapping import NESTED, RESERVED, mapped_values
from ..rows import LineContext, Mapped, request_row, served_candidate
from ..schema import REQUESTS_SCHEMA
from .base import Format

NAME = "table"
ASSIGNABLE = tuple(c for c in REQUESTS_SCHEMA.names() if c not in RESERVED and c not in NESTED)


def detect(record: Mapping[str, Any]) -> bool:
    """A record whose keys are normalised column names and that carries a prompt or messages."""
    keys = set(record)
    return bool(keys) and keys <= set(REQUESTS_SCHEMA.names()) and bool(keys & {"prompt", "messages"})


def identity_mapping(columns: Iterable[str] | None) -> dict[str, str]:
    """Normalised names mapped onto themselves (all of them when the columns are not known)."""
    names = ASSIGNABLE if columns is None else [c for c in columns if c in ASSIGNABLE]
    return {name: name for name in names}


def table_format(mapping: Mapping[str, str]) -> Format:
    """A :class:`Format` reading plain rows through ``mapping``."""

    def map_record(rec: Fields, ctx: LineContext) -> Mapped:
        values = mapped_values(rec.data, mapping)
        content = values.pop("messages", None)
        if not isinstance(content, Content):
            content = Content()
            if values.get("system"):
                content.messages.append(message_row("system", values["system"]))
            if values.get("prompt") is not None:
                content.messages.append(message_row("user", values["prompt"]))
                content.prompt = values["prompt"]
            content.system = values.get("system")
        row = request_row(ctx, values, content)
        served = served_candidate(row, None)
        return Mapped([row], [served] if served else [])

    return Format(NAME, "plain table with a column mapping", detect, map_record)
