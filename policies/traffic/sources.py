"""Streaming record sources: JSON lines, JSON arrays, CSV and Parquet, gzip-transparent.

Each yields ``(line, record_or_RowError)`` one record at a time. Files are read as bytes and
decoded per record, so an invalid UTF-8 byte rejects one row and is reported, never guessed.
Given a :class:`.progress.Meter`, a source makes it follow how far it has read.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import sys
import zlib
from pathlib import Path
from typing import IO, Any, Iterator

import polars as pl

from .coerce import RowError
from .progress import Meter

Record = tuple[int, Any]  # (1-based line, parsed record or RowError)

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
_READ_BYTES = 1 << 20
_MAX_ELEMENT_BYTES = 64 << 20  # one JSON array element larger than this is treated as corrupt
_ESCAPED = re.compile("[\udc80-\udcff]")
_WS = " \t\r\n"


def open_bytes(path: Path, meter: Meter | None = None) -> IO[bytes]:
    """The file's bytes, gunzipped when it starts with the gzip magic (whatever its name).

    ``meter`` follows the position in the file on disk (compressed bytes for gzip).
    """
    with open(path, "rb") as probe:
        magic = probe.read(2)
    stream: IO[bytes] = gzip.open(path, "rb") if magic == GZIP_MAGIC else open(path, "rb")
    if meter is not None:
        raw = getattr(stream, "fileobj", stream)
        meter.follow(raw.tell, os.fstat(raw.fileno()).st_size)
    return stream


def sniff(path: Path) -> str:
    """``empty``, ``parquet``, ``json-array``, ``jsonl`` or ``csv`` from the first bytes."""
    with open(path, "rb") as probe:
        if probe.read(4) == PARQUET_MAGIC:
            return "parquet"
    with open_bytes(path) as stream:
        head = stream.read(4096)
    text = head.lstrip(b"\xef\xbb\xbf" + _WS.encode())
    if not text:
        return "empty"
    if text[:1] == b"[":
        return "json-array"
    if text[:1] == b"{":
        return "jsonl"
    return "csv"


def decode_line(raw: bytes) -> str:
    """UTF-8 text of one line or a RowError naming the first bad byte and its column."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RowError("line", f"invalid UTF-8 byte 0x{raw[exc.start]:02x} at byte {exc.start + 1}") from None


def parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RowError("line", f"invalid JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise RowError("line", "invalid JSON: nested too deeply") from None


def iter_json_lines(path: Path, meter: Meter | None = None) -> Iterator[Record]:
    """One JSON value per non-blank line; a truncated gzip stream ends with one reject saying so."""
    with open_bytes(path, meter) as stream:
        yield from json_lines(stream)


def json_lines(stream: IO[bytes]) -> Iterator[Record]:
    """:func:`iter_json_lines` of an open byte stream (a cluster's read task opens remote files)."""
    number = 0
    try:
        for number, raw in enumerate(stream, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            try:
                yield number, parse_json(decode_line(raw))
            except RowError as exc:
                yield number, exc
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        yield number + 1, RowError("line", f"compressed stream is corrupt or truncated here: {exc}")


def iter_json_array(path: Path, meter: Meter | None = None) -> Iterator[Record]:
    """Elements of a top-level JSON array, decoded incrementally (never the whole file at once).

    The line of an element is where it starts. A syntax error cannot be resynchronised inside an
    array, so it rejects the rest of the file as one row that says so.
    """
    decoder = json.JSONDecoder()
    with io.TextIOWrapper(open_bytes(path, meter), encoding="utf-8-sig", errors="surrogateescape") as text:
        buf, pos, line, eof = "", 0, 1, False

        def fill() -> bool:
            nonlocal buf, pos
            chunk = text.read(_READ_BYTES)
            buf, pos = buf[pos:] + chunk, 0
            return bool(chunk)

        def skip(chars: str) -> None:
            nonlocal pos, line, eof
            while True:
                while pos < len(buf) and buf[pos] in chars:
                    line += buf[pos] == "\n"
                    pos += 1
                if pos < len(buf) or eof:
                    return
                eof = not fill()

        eof = not fill()
        skip(_WS)
        if buf[pos:pos + 1] != "[":
            yield line, RowError("line", "expected a JSON array")
            return
        pos += 1
        while True:
            skip(_WS + ",")
            if pos >= len(buf) or buf[pos] == "]":
                return
            start_line = line
            while True:
                try:
                    value, end = decoder.raw_decode(buf, pos)
                    break
                except json.JSONDecodeError as exc:
                    if eof or len(buf) - pos > _MAX_ELEMENT_BYTES:
                        yield start_line, RowError(
                            "line", f"invalid JSON: {exc.msg}; the rest of the array cannot be read")
                        return
                    eof = not fill()
                except RecursionError:
                    yield start_line, RowError("line", "invalid JSON: nested too deeply; the rest of the array cannot be read")
                    return
            raw = buf[pos:end]
            line += raw.count("\n")
            pos = end
            bad = _ESCAPED.search(raw)
            if bad:
                offset = len(raw[:bad.start()].encode("utf-8", "surrogateescape"))
                yield start_line, RowError(
                    "line", f"invalid UTF-8 byte 0x{ord(bad.group()) - 0xDC00:02x} at byte {offset + 1} of the record")
            else:
                yield start_line, value


def iter_json_records(path: Path, meter: Meter | None = None) -> Iterator[Record]:
    """JSON lines or one top-level JSON array, whichever the file holds."""
    return iter_json_array(path, meter) if sniff(path) == "json-array" else iter_json_lines(path, meter)


def csv_header(path: Path) -> list[str]:
    with io.TextIOWrapper(open_bytes(path), encoding="utf-8-sig", errors="surrogateescape", newline="") as text:
        return next(csv.reader(text, dialect=_dialect(path)), [])


def iter_csv_rows(path: Path, meter: Meter | None = None) -> Iterator[Record]:
    """CSV (or TSV) rows as dicts keyed by header; empty cells are null."""
    csv.field_size_limit(sys.maxsize)
    with io.TextIOWrapper(open_bytes(path, meter), encoding="utf-8-sig", errors="surrogateescape", newline="") as text:
        reader = csv.reader(text, dialect=_dialect(path))
        header = next(reader, None)
        if header is None:
            return
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield reader.line_num, RowError("line", f"invalid CSV: {exc}")
                continue
            if not cells:
                continue
            yield reader.line_num, _csv_record(header, cells)


def _csv_record(header: list[str], cells: list[str]) -> dict[str, Any] | RowError:
    if len(cells) != len(header):
        return RowError("line", f"expected {len(header)} fields, found {len(cells)}")
    for name, cell in zip(header, cells):
        bad = _ESCAPED.search(cell)
        if bad:
            offset = len(cell[:bad.start()].encode("utf-8", "surrogateescape"))
            return RowError(name, f"invalid UTF-8 byte 0x{ord(bad.group()) - 0xDC00:02x} at byte {offset + 1} of the cell")
    return {name: (cell if cell != "" else None) for name, cell in zip(header, cells)}


def _dialect(path: Path) -> type[csv.Dialect]:
    name = path.name.lower().removesuffix(".gz")
    return csv.excel_tab if name.endswith(".tsv") else csv.excel


def parquet_columns(path: Path) -> list[str]:
    return list(pl.read_parquet_schema(path))


def iter_parquet_rows(path: Path, batch_rows: int = 10_000, meter: Meter | None = None) -> Iterator[Record]:
    """Parquet rows in batches of ``batch_rows`` (lazy scan; line = 1-based row number)."""
    number = 0
    if meter is not None:
        meter.follow(lambda: number, pl.scan_parquet(path).select(pl.len()).collect().item())
    for batch in pl.scan_parquet(path).collect_batches(chunk_size=batch_rows):
        for row in batch.iter_rows(named=True):
            number += 1
            yield number, row
