"""Traffic for a cluster run: the files, cut into shards that read tasks stream, normalised in blocks.

Inputs are local paths (files, folders, globs) or pyarrow filesystem URLs (``s3://``, ``gs://``,
``hdfs://``, ``file://``; a folder is read recursively, files in name order). Two kinds:

* **Logs**: JSONL (gzip or not) or Parquet in any format ``read_traffic`` detects. A shard (one
  JSONL file, or a run of one Parquet file's row groups) is read record by record with the readers
  and the import loop ``read_traffic`` uses (:func:`policies.traffic.pipeline.import_records`), in
  blocks of ``block_rows`` records. Line numbers stay the file's own, so every request gets the id
  and the normalised row it gets locally. The format is detected once, on the first shard, and
  forced on the others, as a local import detects it once per file.
* **Normalised tables**: Parquet holding every column of the requests schema (``REQUESTS_SCHEMA``,
  what :func:`write_normalised` writes), optionally with the request's candidate outcomes nested
  in a :data:`CANDIDATES` column. Read columnar, one block per row group, no per-row Python: the
  form for traffic simulated again and again (import once, simulate many times).

A block travels through Ray as one row of Arrow IPC bytes (:func:`pack`), so its requests and
candidate rows keep their exact dtypes and stay together.
"""

from __future__ import annotations

import glob
import gzip
import io
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import polars as pl
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ...errors import PolicyError
from ...traffic.pipeline import import_records
from ...traffic.schema import CANDIDATES_SCHEMA, REQUESTS_SCHEMA
from ...traffic.sources import GZIP_MAGIC, PARQUET_MAGIC, iter_json_lines, json_lines, sniff

CANDIDATES = "candidate_outcomes"  # nested column of a normalised table: list of candidate structs
LOG_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".parquet")


@dataclass(frozen=True)
class Shard:
    """One read task's input: a JSONL file, or row groups ``groups`` of a Parquet file."""

    index: int
    location: str  # as the user gave it (a path or a URL): what reports and request rows name
    kind: str  # "jsonl", "parquet" (a log) or "normalised"
    groups: tuple[int, ...] = ()
    first_row: int = 0  # rows of the file before ``groups`` (Parquet line numbers are row numbers)


@dataclass
class Block:
    """Normalised requests of one block and their candidate outcomes; ``key`` orders blocks as the
    traffic is ordered and names the block's output file (the same name when a task is retried)."""

    key: str
    requests: pl.DataFrame
    candidates: pl.DataFrame
    rejected: int = 0


def _filesystem(location: str) -> tuple[pafs.FileSystem, str]:
    if "://" in location:
        return pafs.FileSystem.from_uri(location)
    return pafs.LocalFileSystem(), str(Path(location).absolute())


def expand(inputs: Sequence[str]) -> list[str]:
    """Every traffic file the inputs name, in order (folders recursively, by name)."""
    found: list[str] = []
    for item in inputs:
        if "://" not in item and any(c in item for c in "*?["):
            matches = sorted(glob.glob(item, recursive=True))
            if not matches:
                raise PolicyError.single("traffic.file_missing", "no traffic file matches this pattern", file=item)
            found += [m for m in matches if Path(m).is_file()]
            continue
        fs, path = _filesystem(item)
        info = fs.get_file_info(path)
        if info.type == pafs.FileType.NotFound:
            raise PolicyError.single("traffic.file_missing", "traffic file does not exist", file=item)
        if info.type == pafs.FileType.File:
            found.append(item)
            continue
        files = fs.get_file_info(pafs.FileSelector(path, recursive=True))
        names = sorted(f.path for f in files if f.type == pafs.FileType.File and f.path.endswith(LOG_SUFFIXES))
        prefix = item.split("://", 1)[0] + "://" if "://" in item else ""
        found += [prefix + name if prefix else name for name in names]
    if not found:
        raise PolicyError.single("traffic.file_missing", "no traffic files found (.jsonl, .jsonl.gz, .parquet)",
                                 file=", ".join(inputs))
    return found


def _kind(location: str) -> str:
    """``parquet`` or ``jsonl`` from the first bytes; anything else is a located error."""
    if "://" not in location:
        kind = sniff(Path(location))
    else:
        fs, path = _filesystem(location)
        with fs.open_input_file(path) as raw:
            head = raw.read(4)
        kind = "parquet" if head == PARQUET_MAGIC else "jsonl"
    if kind not in ("parquet", "jsonl"):
        raise PolicyError.single("traffic.cluster_format", f"a cluster run reads JSONL or Parquet; this file is {kind}",
                                 file=location, suggestion="convert it, or simulate it with the local engine")
    return kind


def plan_shards(inputs: Sequence[str], rows_per_shard: int) -> list[Shard]:
    """The shards of every input file: a JSONL file whole (it is streamed), a Parquet file in runs of
    row groups of about ``rows_per_shard`` rows."""
    shards: list[Shard] = []
    for location in expand(inputs):
        if _kind(location) == "jsonl":
            shards.append(Shard(len(shards), location, "jsonl"))
            continue
        fs, path = _filesystem(location)
        with fs.open_input_file(path) as raw:
            meta = pq.ParquetFile(raw).metadata
            names = set(meta.schema.to_arrow_schema().names)
        kind = "normalised" if set(REQUESTS_SCHEMA.names()) <= names else "parquet"
        run: list[int] = []
        first = rows = 0
        for group in range(meta.num_row_groups):
            run.append(group)
            rows += meta.row_group(group).num_rows
            if rows - first >= rows_per_shard or group == meta.num_row_groups - 1:
                shards.append(Shard(len(shards), location, kind, tuple(run), first))
                run, first = [], rows
    return shards


def _records(shard: Shard) -> tuple[Iterator[tuple[int, Any]], list[str] | None]:
    """``(line, record)`` of a log shard, as ``read_traffic`` numbers them, and its columns (Parquet)."""
    fs, path = _filesystem(shard.location)
    if shard.kind == "jsonl":
        if "://" not in shard.location:
            return iter_json_lines(Path(shard.location)), None
        raw = fs.open_input_file(path)
        magic = raw.read(2)
        raw.seek(0)
        stream = gzip.GzipFile(fileobj=raw) if magic == GZIP_MAGIC else io.BufferedReader(raw)
        return json_lines(stream), None
    table = pq.ParquetFile(fs.open_input_file(path)).read_row_groups(list(shard.groups))
    rows = pl.from_arrow(table).iter_rows(named=True)  # type: ignore[union-attr]
    return zip(itertools.count(shard.first_row + 1), rows), table.schema.names


def detect_format(shard: Shard) -> str | None:
    """The log format of the first records of ``shard`` (None for a plain table: each block then maps
    its columns as a local import of the file would; for a normalised table: nothing to detect)."""
    if shard.kind == "normalised":
        return None
    records, columns = _records(shard)
    head = import_records(itertools.islice(records, 1000), source_file=shard.location,
                          file_key=_file_key(shard.location), columns=columns)
    return None if head.source.format == "table" else head.source.format


def _file_key(location: str) -> str:
    return location.rstrip("/").rsplit("/", 1)[-1]


def read_shard(shard: Shard, block_rows: int, format: str | None) -> Iterator[Block]:
    """The normalised blocks of one shard, in order, at most ``block_rows`` records each."""
    if shard.kind == "normalised":
        yield from _normalised_blocks(shard)
        return
    records, columns = _records(shard)
    for number in itertools.count():
        chunk = list(itertools.islice(records, block_rows))
        if not chunk:
            return
        part = import_records(chunk, source_file=shard.location, file_key=_file_key(shard.location),
                              format=format, columns=columns, chunk_rows=max(block_rows, 1))
        yield Block(f"{shard.index:06d}-{number:06d}", part.requests, part.candidate_outcomes, part.rejects.height)


def _normalised_blocks(shard: Shard) -> Iterator[Block]:
    fs, path = _filesystem(shard.location)
    parquet = pq.ParquetFile(fs.open_input_file(path))
    for group in shard.groups:
        frame = pl.from_arrow(parquet.read_row_group(group))
        assert isinstance(frame, pl.DataFrame)
        requests = frame.select(pl.col(n).cast(t) for n, t in REQUESTS_SCHEMA.items())
        yield Block(f"{shard.index:06d}-{group:06d}", requests, _nested_candidates(frame))


def _nested_candidates(frame: pl.DataFrame) -> pl.DataFrame:
    if CANDIDATES not in frame.columns:
        return pl.DataFrame(schema=CANDIDATES_SCHEMA)
    flat = frame.select("request_id", CANDIDATES).explode(CANDIDATES).drop_nulls(CANDIDATES).unnest(CANDIDATES)
    return flat.select(pl.col(n).cast(t) if n in flat.columns else pl.lit(None, t).alias(n)
                       for n, t in CANDIDATES_SCHEMA.items())


def write_normalised(requests: pl.DataFrame, candidates: pl.DataFrame, path: str | Path,
                     row_group_rows: int = 50_000) -> None:
    """Write imported traffic as a normalised table (candidates nested per request), the form a
    cluster reads without re-importing; one row group (one block) per ``row_group_rows`` requests."""
    nested = (candidates.group_by("request_id", maintain_order=True)
              .agg(pl.struct(pl.exclude("request_id")).alias(CANDIDATES)))
    table = requests.select(REQUESTS_SCHEMA.names()).join(nested, on="request_id", how="left", maintain_order="left")
    table.write_parquet(path, row_group_size=row_group_rows)


def pack(block: Block) -> dict[str, Any]:
    """One Ray row for ``block`` (Arrow IPC bytes: exact dtypes, both tables together)."""
    return {"key": block.key, "requests": _ipc(block.requests), "candidates": _ipc(block.candidates),
            "rejected": block.rejected}


def unpack(row: dict[str, Any]) -> Block:
    return Block(str(row["key"]), pl.read_ipc(io.BytesIO(row["requests"])),
                 pl.read_ipc(io.BytesIO(row["candidates"])), int(row["rejected"]))


def _ipc(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_ipc(buffer)
    return buffer.getvalue()
