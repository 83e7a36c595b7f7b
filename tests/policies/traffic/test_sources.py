"""Byte-level edge cases: JSON arrays, truncated gzip, CSV bytes, BOMs."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from policies.traffic import read_traffic

from .conftest import chat_pair


def test_json_array_with_bad_byte_and_bad_element(tmp_path: Path) -> None:
    good = json.dumps(chat_pair(rid="a"))
    bad_byte = json.dumps(chat_pair(rid="b")).replace("What", "Wh\udcffat").encode("utf-8", "surrogateescape")
    path = tmp_path / "arr.json"
    path.write_bytes(b"[\n" + good.encode() + b",\n" + bad_byte + b",\n" + good.encode() + b",\n{oops}\n]")
    ts = read_traffic(path)
    assert ts.requests["request_id"].to_list() == ["a", "a"]
    rejects = ts.rejects.to_dicts()
    assert [(r["line"], r["field"]) for r in rejects] == [(3, "line"), (5, "line")]
    assert "0xff" in rejects[0]["reason"] and "rest of the array" in rejects[1]["reason"]


def test_json_array_elements_across_read_chunks(tmp_path: Path, monkeypatch) -> None:
    from policies.traffic import sources

    monkeypatch.setattr(sources, "_READ_BYTES", 7)
    path = tmp_path / "arr.json"
    path.write_text(json.dumps([chat_pair(rid=str(i)) for i in range(5)]))
    assert read_traffic(path).requests["request_id"].to_list() == ["0", "1", "2", "3", "4"]


def test_truncated_gzip_keeps_rows_and_reports_the_cut(tmp_path: Path) -> None:
    data = gzip.compress(b"".join(json.dumps(chat_pair(rid=str(i))).encode() + b"\n" for i in range(200)))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) * 2 // 3])
    ts = read_traffic(path)
    assert 0 < ts.requests.height < 200
    assert ts.rejects.height == 1 and "truncated" in ts.rejects["reason"][0]


def test_csv_bad_byte_names_the_cell_and_bom_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"\xef\xbb\xbfrequest_id,prompt\nr1,hello\nr2,caf\xe9\nr3,\"multi\nline\"\n")
    ts = read_traffic(path)
    assert ts.requests.select("request_id", "prompt").rows() == [("r1", "hello"), ("r3", "multi\nline")]
    assert ts.rejects.rows() == [(str(path), 3, "prompt", "invalid UTF-8 byte 0xe9 at byte 4 of the cell")]


def test_csv_wrong_field_count(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("request_id,prompt\nr1,hello,extra\nr2,ok\n")
    ts = read_traffic(path)
    assert ts.requests["request_id"].to_list() == ["r2"]
    assert ts.rejects["reason"].to_list() == ["expected 2 fields, found 3"]
