"""A cluster run's reader gives the blocks, concatenated, exactly what ``read_traffic`` gives: the same
rows, ids derived from line numbers included, from local paths and pyarrow URLs alike; a file it
cannot read in blocks is a located error (no cluster needed)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from policies.errors import PolicyError
from policies.simulation.distributed.inputs import detect_format, pack, plan_shards, read_shard, unpack
from policies.traffic import read_traffic
from policies.traffic.sample import sample_path


def blocks(location: str, block_rows: int) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    shards = plan_shards([location], block_rows)
    fmt = detect_format(shards[0])
    read = [unpack(pack(b)) for s in shards for b in read_shard(s, block_rows, fmt)]
    return (pl.concat([b.requests for b in read]), pl.concat([b.candidates for b in read]), [b.key for b in read])


def test_blocks_of_a_url_are_the_local_import() -> None:
    requests, candidates, keys = blocks(sample_path().as_uri(), 2500)  # file:///…/sample_requests.jsonl.gz
    assert keys == ["000000-000000", "000000-000001", "000000-000002"]
    local = read_traffic(sample_path())
    assert_frame_equal(requests.drop("source_file"), local.requests.drop("source_file"))
    assert_frame_equal(candidates, local.candidate_outcomes)


def test_ids_from_line_numbers_survive_blocks(tmp_path: Path) -> None:
    log = tmp_path / "no_ids.jsonl"
    records = [json.loads(line) for line in gzip.open(sample_path(), "rt").readlines()[:7]]
    for record in records:  # no id logged: each request's id comes from the file name and line number
        del record["request"]["metadata"]["request_id"], record["response"]["id"]
    lines = [json.dumps(record) for record in records]
    log.write_text("\n".join(lines[:3] + [""] + lines[3:]) + "\n")  # a blank line: numbers stay the file's
    requests, _, keys = blocks(str(log), 2)
    assert len(keys) == 4
    local = read_traffic(log)
    assert requests["request_id"].to_list() == local.requests["request_id"].to_list()
    assert all(i.startswith("h-") for i in requests["request_id"])
    assert_frame_equal(requests, local.requests)


def test_a_csv_log_is_a_located_error(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text("prompt,model\nhello,gpt-4o\n")
    with pytest.raises(PolicyError) as caught:
        plan_shards([str(log)], 100)
    assert caught.value.findings[0].file == str(log)
    assert "JSONL or Parquet" in caught.value.findings[0].message
