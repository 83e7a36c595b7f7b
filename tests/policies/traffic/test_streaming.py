"""Bounded-memory import: chunks spilled to a mapped Arrow file, located rejects, progress, clean-up."""

from __future__ import annotations

import csv
import gzip
import json
import random
import string
import tempfile
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from policies.traffic import (CANDIDATES_SCHEMA, REJECTS_SCHEMA, REQUESTS_SCHEMA, ImportProgress, read_sql_traffic,
                              read_traffic)
from policies.traffic.spill import SPILL_PREFIX

from .conftest import chat_pair, dump_lines
from .test_detection import SAMPLES

ROWS = 60
BAD_LINES = {7: b"{not json\n", 23: b"[1, 2]\n", 41: json.dumps({"request": {"messages": 5}}).encode() + b"\n"}


@pytest.fixture
def spill_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Spill files go to a folder of this test, so we can see that none is left behind."""
    folder = tmp_path / "spill"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def log_with_bad_lines(path: Path, compress: bool = False) -> Path:
    records = [BAD_LINES.get(i) or chat_pair(f"question {i}", rid=f"r{i}") for i in range(1, ROWS + 1)]
    return dump_lines(path, records, compress=compress)


def test_spilled_import_equals_the_in_memory_one_and_rejects_stay_located(tmp_path: Path, spill_dir: Path) -> None:
    path = log_with_bad_lines(tmp_path / "log.jsonl")
    spilled = read_traffic(path, chunk_rows=8)
    whole = read_traffic(path, chunk_rows=10_000)
    assert spilled.requests.n_chunks() > 1, "small chunks should have been spilled and mapped back"
    assert whole.requests.n_chunks() == 1
    assert spilled.requests.equals(whole.requests) and spilled.candidate_outcomes.equals(whole.candidate_outcomes)
    assert spilled.requests.schema == REQUESTS_SCHEMA and spilled.candidate_outcomes.schema == CANDIDATES_SCHEMA
    assert spilled.rejects.schema == REJECTS_SCHEMA
    assert spilled.requests.height == ROWS - len(BAD_LINES)
    assert [(r["source_file"], r["line"]) for r in spilled.rejects.to_dicts()] == [(str(path), n) for n in BAD_LINES]
    assert spilled.rejects["field"].to_list() == ["line", "line", "request.messages"]
    assert spilled.source.records == ROWS
    assert list(spill_dir.iterdir()) == [], "spill files must be deleted once mapped"


def test_progress_reports_records_and_the_share_of_the_file(tmp_path: Path, spill_dir: Path) -> None:
    seen: list[ImportProgress] = []
    read_traffic(log_with_bad_lines(tmp_path / "log.jsonl"), chunk_rows=10, progress=seen.append)
    assert [p.records for p in seen] == [10, 20, 30, 40, 50, 60, 60]
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and 0 < fractions[0] < 1 and fractions[-1] == 1.0


def test_progress_of_a_gzip_file_counts_compressed_bytes(tmp_path: Path, spill_dir: Path) -> None:
    noise = random.Random(5)
    records = [chat_pair("".join(noise.choices(string.ascii_letters, k=400)), rid=f"r{i}") for i in range(400)]
    seen: list[ImportProgress] = []
    read_traffic(dump_lines(tmp_path / "log.jsonl.gz", records, compress=True), chunk_rows=100, progress=seen.append)
    fractions = [p.fraction for p in seen]
    assert [p.records for p in seen] == [100, 200, 300, 400, 400]
    assert fractions == sorted(fractions) and 0 < fractions[0] < 0.5 and fractions[-1] == 1.0


def test_progress_of_csv_parquet_and_sql_sources(tmp_path: Path, spill_dir: Path) -> None:
    # long prompts: a text stream reads 8 KiB ahead, so a tiny CSV file would be read at once
    rows = [{"request_id": f"r{i}", "prompt": f"question {i} " + "x" * 2000} for i in range(25)]
    table = tmp_path / "t.csv"
    with open(table, "w", newline="") as out:
        writer = csv.DictWriter(out, ["request_id", "prompt"])
        writer.writeheader()
        writer.writerows(rows)
    parquet = tmp_path / "t.parquet"
    pl.DataFrame(rows).write_parquet(parquet)
    for path in (table, parquet):
        seen: list[ImportProgress] = []
        assert read_traffic(path, chunk_rows=10, progress=seen.append).requests.height == 25
        assert [p.records for p in seen] == [10, 20, 25] and seen[-1].fraction == 1.0
        assert 0 < seen[0].fraction < seen[1].fraction < 1
    db = tmp_path / "t.sqlite"
    engine = sa.create_engine(f"sqlite:///{db}")
    pl.DataFrame(rows).to_pandas().to_sql("logs", engine, index=False)
    engine.dispose()
    seen = []
    assert read_sql_traffic(db, "logs", format="table", chunk_rows=10, progress=seen.append).requests.height == 25
    assert [(p.records, p.fraction) for p in seen] == [(10, None), (20, None), (25, 1.0)]


def test_an_import_that_fails_half_way_leaves_no_spill_file(tmp_path: Path, spill_dir: Path) -> None:
    path = log_with_bad_lines(tmp_path / "log.jsonl")

    def stop(progress: ImportProgress) -> None:
        if progress.records >= 30:
            raise RuntimeError("stopped by the caller")

    with pytest.raises(RuntimeError, match="stopped"):
        read_traffic(path, chunk_rows=8, progress=stop)
    assert list(spill_dir.iterdir()) == []


def test_mapped_frames_outlive_the_deleted_file(tmp_path: Path, spill_dir: Path) -> None:
    data = b"".join(json.dumps(chat_pair("x" * 200 + str(i), rid=f"r{i}")).encode() + b"\n" for i in range(300))
    path = tmp_path / "log.jsonl.gz"
    path.write_bytes(gzip.compress(data))
    ts = read_traffic(path, chunk_rows=50)
    assert list(spill_dir.iterdir()) == []
    assert ts.requests["prompt"].str.len_chars().sum() == sum(200 + len(str(i)) for i in range(300))
    assert ts.requests.rechunk()["request_id"].to_list() == [f"r{i}" for i in range(300)]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_format_spills_to_the_same_frames(tmp_path: Path, spill_dir: Path, name: str) -> None:
    """Nested columns of every format (Replay's signal struct, candidate lists) survive the mapping."""
    path = dump_lines(tmp_path / f"{name}.jsonl", [SAMPLES[name]] * 7 + [b"{broken\n"] + [SAMPLES[name]] * 5)
    spilled, whole = read_traffic(path, chunk_rows=3), read_traffic(path)
    assert spilled.requests.n_chunks() > 1 or spilled.requests.height <= 3  # LLMRouter merges same-query rows
    for table in ("requests", "candidate_outcomes", "rejects"):
        assert getattr(spilled, table).equals(getattr(whole, table)), table
    assert spilled.rejects["line"].to_list() == [8]
