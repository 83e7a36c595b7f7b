"""``read_sql_traffic``: a table in any SQLAlchemy database (a SQLite file by default), streamed.

Rows are fetched in chunks through a server-side cursor where the driver has one, and go
through the same detection, mapping and rejection as files; ``line`` is the 1-based row number.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any, Iterator, Mapping

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from ..errors import PolicyError
from .collect import DEFAULT_CHUNK_ROWS
from .pipeline import import_records
from .progress import ProgressCallback
from .sources import Record
from .trafficset import TrafficSet


def database_url(url: str | PathLike[str]) -> sa.URL:
    """A URL; a plain path means a SQLite file (which must exist: we never create one by reading)."""
    text = str(url)
    if "://" not in text:
        path = Path(text)
        if not path.is_file():
            raise PolicyError.single("traffic.file_missing", "SQLite database file does not exist", file=text)
        return sa.URL.create("sqlite", database=str(path))
    try:
        return make_url(text)
    except ArgumentError as exc:
        raise PolicyError.single("traffic.bad_url", f"not a database URL: {exc}", file="<database url>") from None


def read_sql_traffic(url: str | PathLike[str], table: str, mapping: Mapping[str, str] | None = None, *,
                     format: str | None = None, chunk_rows: int = DEFAULT_CHUNK_ROWS,
                     progress: ProgressCallback | None = None) -> TrafficSet:
    """Import ``table`` from the database at ``url`` (rows like CSV rows; see ``read_traffic``).

    ``progress`` gets the records read once per chunk (no share: a table's size is not asked for,
    a ``count(*)`` can cost as much as the import on some servers).
    """
    parsed = database_url(url)
    shown = f"{parsed.render_as_string(hide_password=True)}#{table}"
    try:
        engine = sa.create_engine(parsed)
    except (NoSuchModuleError, ArgumentError) as exc:
        raise PolicyError.single("traffic.bad_url", f"cannot open database: {exc}", file=shown) from None
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            if not inspector.has_table(table):
                raise PolicyError.single("traffic.table_missing", f"database has no table {table!r}", file=shown,
                                         suggestion=f"tables are: {', '.join(inspector.get_table_names()) or 'none'}")
            source = sa.Table(table, sa.MetaData(), autoload_with=conn)
            columns = [c.name for c in source.columns]
            result = conn.execution_options(stream_results=True, yield_per=chunk_rows).execute(sa.select(source))
            return import_records(_rows(result), source_file=shown, file_key=f"{parsed.database or ''}#{table}",
                                  format=format, mapping=mapping, columns=columns, chunk_rows=chunk_rows,
                                  progress=progress)
    except SQLAlchemyError as exc:
        raise PolicyError.single("traffic.unreadable", f"cannot read table: {exc.__class__.__name__}: {exc}",
                                 file=shown) from None
    finally:
        engine.dispose()


def _rows(result: sa.CursorResult[Any]) -> Iterator[Record]:
    for number, row in enumerate(result.mappings(), start=1):
        yield number, dict(row)
