"""``read_traffic``: any supported traffic file into a :class:`TrafficSet`."""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Mapping

import polars as pl

from ..errors import PolicyError
from .collect import DEFAULT_CHUNK_ROWS
from .pipeline import import_records
from .progress import Meter, ProgressCallback
from .sources import csv_header, iter_csv_rows, iter_json_records, iter_parquet_rows, parquet_columns, sniff
from .trafficset import TrafficSet, TrafficSource


def read_traffic(path: str | PathLike[str], format: str | None = None,
                 mapping: Mapping[str, str] | None = None, *,
                 chunk_rows: int = DEFAULT_CHUNK_ROWS, progress: ProgressCallback | None = None) -> TrafficSet:
    """Import a traffic log (JSONL / JSON array / CSV / Parquet, gzip or not), streaming.

    ``format`` forces a reader (see ``policies.traffic.format_names()``), else it is detected
    from the keys of the first record. ``mapping`` is ``{normalised_column: source_column}``.
    Malformed rows land in ``rejects``; a file that cannot be read at all raises PolicyError.
    Memory stays bounded by ``chunk_rows`` whatever the file's size (see :mod:`.collect`);
    ``progress`` is called once per chunk with the records read and the share of the file read.
    """
    file = Path(path)
    shown = str(file)
    if not file.exists():
        raise PolicyError.single("traffic.file_missing", "traffic file does not exist", file=shown)
    if not file.is_file():
        raise PolicyError.single("traffic.not_a_file", "traffic path is not a file", file=shown,
                                 suggestion="pass one log file; read a folder's files one by one")
    try:
        kind = sniff(file)
        if kind == "empty":
            return TrafficSet.empty(TrafficSource(shown, format or "empty", 0))
        meter = Meter()
        if kind == "parquet":
            columns: list[str] | None = parquet_columns(file)
            records = iter_parquet_rows(file, chunk_rows, meter)
        elif kind == "csv":
            columns = csv_header(file)
            records = iter_csv_rows(file, meter)
        else:
            columns, records = None, iter_json_records(file, meter)
        return import_records(records, source_file=shown, file_key=file.name, format=format,
                              mapping=mapping, columns=columns, chunk_rows=chunk_rows,
                              progress=progress, meter=meter)
    except (OSError, EOFError, pl.exceptions.PolarsError) as exc:
        raise PolicyError.single("traffic.unreadable", f"cannot read traffic file: {exc}", file=shown) from None
