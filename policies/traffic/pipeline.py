"""The one import loop every source shares: detect, map, collect, reject.

Files and database tables differ only in how records are produced; from a stream of
``(line, record)`` this module does the rest, so rejection and id rules cannot drift apart.
"""

from __future__ import annotations

import difflib
import itertools
from typing import Any, Iterable, Iterator, Mapping

from ..errors import PolicyError
from .coerce import RowError, type_name
from .collect import DEFAULT_CHUNK_ROWS, Collector
from .fields import Fields
from .formats import FORMATS, Format, detect_format, format_names, table
from .mapping import apply_overrides, validate_mapping
from .progress import ImportProgress, Meter, ProgressCallback
from .rows import LineContext
from .sources import Record
from .trafficset import TrafficSet

DETECT_WINDOW = 1000  # records looked at to find one object to detect the format from


def import_records(records: Iterable[Record], *, source_file: str, file_key: str,
                   format: str | None = None, mapping: Mapping[str, str] | None = None,
                   columns: list[str] | None = None, chunk_rows: int = DEFAULT_CHUNK_ROWS,
                   progress: ProgressCallback | None = None, meter: Meter | None = None) -> TrafficSet:
    """Map every record of one source into a :class:`TrafficSet`; bad records go to ``rejects``.

    ``progress`` is called every ``chunk_rows`` records and once at the end; ``meter`` (which the
    source follows) says how much of the source that is.
    """
    head, stream = _peek(iter(records))
    fmt, overrides = _resolve(format, mapping, head, columns, source_file)
    collector = Collector(chunk_rows)
    map_record = fmt.mapper()
    try:
        for line, record in stream:
            try:
                if isinstance(record, RowError):
                    raise record
                if not isinstance(record, dict):
                    raise RowError("line", f"expected a JSON object, got {type_name(record)}")
                mapped = map_record(Fields(record), LineContext(fmt.name, source_file, file_key, line))
                if overrides:
                    apply_overrides(mapped, record, overrides)
            except RowError as exc:
                collector.reject(source_file, line, exc.field, exc.reason)
            else:
                collector.add(mapped)
            if progress is not None and collector.records % chunk_rows == 0:
                progress(ImportProgress(collector.records, meter.fraction() if meter else None))
    except BaseException:
        collector.discard()
        raise
    result = collector.finish(source_file, fmt.name)
    if progress is not None:
        progress(ImportProgress(collector.records, 1.0))
    return result


def _peek(records: Iterator[Record]) -> tuple[Mapping[str, Any] | None, Iterator[Record]]:
    """The first object record (for detection) and a stream that still yields everything."""
    seen: list[Record] = []
    for item in itertools.islice(records, DETECT_WINDOW):
        seen.append(item)
        if isinstance(item[1], dict):
            return item[1], itertools.chain(seen, records)
    return None, itertools.chain(seen, records)


def _resolve(format: str | None, mapping: Mapping[str, str] | None, head: Mapping[str, Any] | None,
             columns: list[str] | None, source_file: str) -> tuple[Format, dict[str, str]]:
    """The format to use and the mapping overrides to apply after it."""
    tabular = columns is not None
    if format == table.NAME or (format is None and mapping and tabular):
        checked = validate_mapping(mapping, source_file, columns) or table.identity_mapping(columns)
        return table.table_format(checked), {}
    if format is not None:
        fmt = next((f for f in FORMATS if f.name == format), None)
        if fmt is None:
            close = difflib.get_close_matches(format, format_names(), n=1)
            raise PolicyError.single("traffic.unknown_format", f"unknown traffic format {format!r}",
                                     file=source_file, path=("format",),
                                     suggestion=f"did you mean {close[0]!r}?" if close
                                     else f"use one of {', '.join(format_names())}")
        return fmt, validate_mapping(mapping, source_file)
    fmt = detect_format(head) if head is not None else None
    if fmt is not None:
        return fmt, validate_mapping(mapping, source_file)
    if head is not None and (mapping or table.detect(head)):
        checked = validate_mapping(mapping, source_file, columns) or table.identity_mapping(columns)
        return table.table_format(checked), {}
    keys = ", ".join(sorted(map(str, head))[:12]) if head is not None else "no JSON object in the first records"
    raise PolicyError.single(
        "traffic.unknown_format", f"cannot tell the traffic format from the records ({keys})",
        file=source_file,
        suggestion=f"pass format= one of {', '.join(format_names())}, or a mapping {{normalised_column: source_column}}")
