"""Bundles: reproducible bytes, verification catches tampering, the round trip returns the same export."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from policies.bundles import PolicyRef, build_bundle, open_bundle, read_archive, verify_bundle, write_archive
from policies.commands import main
from policies.export import export_text
from policies.loader import load_policy, loads_policy
from policies.storage import Store

from ..conftest import SAMPLES

WHEN = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
POLICY = SAMPLES / "cost_optimised.yaml"


@pytest.fixture(scope="module")
def bundle_bytes() -> bytes:
    return build_bundle(load_policy(POLICY), PolicyRef("cost_optimised", 3, "tighter thresholds"), WHEN)[0]


def test_building_twice_gives_identical_bytes(bundle_bytes):
    again, _ = build_bundle(load_policy(POLICY), PolicyRef("cost_optimised", 3, "tighter thresholds"), WHEN)
    assert again == bundle_bytes


def test_manifest_records_version_time_tools_and_checksums(bundle_bytes):
    files, manifest = open_bundle(bundle_bytes)
    assert manifest["policy"] == {"name": "cost_optimised", "version": 3, "message": "tighter thresholds"}
    assert manifest["created_at"] == "2026-11-01T12:00:00+00:00"
    assert {"routing-studio", "python", "onnxruntime-gpu", "z3-solver"} <= set(manifest["tool"])
    assert set(manifest["files"]) == set(files) - {"manifest.json"}
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(files[name]).hexdigest() == digest
    assert "config.yaml" in files and "conflicts.json" in files


def test_verify_passes_and_catches_tampering(bundle_bytes):
    assert verify_bundle(bundle_bytes).ok
    files, manifest = open_bundle(bundle_bytes)
    files["config.yaml"] = files["config.yaml"].replace(b"priority: 300", b"priority: 301")
    tampered = write_archive(files, 0)
    result = verify_bundle(tampered)
    assert not result.ok and any("config.yaml: sha256" in p for p in result.problems)


def test_verify_reports_a_changed_conflict_report(bundle_bytes):
    files, manifest = open_bundle(bundle_bytes)
    files["conflicts.json"] = b"[]\n"
    manifest["files"]["conflicts.json"] = hashlib.sha256(b"[]\n").hexdigest()
    files["manifest.json"] = json.dumps(manifest).encode()
    result = verify_bundle(write_archive(files, 0))
    assert result.problems == [] and result.findings_added and not result.ok


def test_round_trip_build_verify_import_export_equals_original(bundle_bytes, tmp_path):
    path = tmp_path / "b.tar.gz"
    path.write_bytes(bundle_bytes)
    db = tmp_path / "store.sqlite"
    result = CliRunner().invoke(main, ["bundle", "import", str(path), "--db", str(db), "--author", "ci"])
    assert result.exit_code == 0, result.output
    with Store.open(str(db)) as store:
        stored = store.get_version("cost_optimised")
    assert stored.message.startswith("bundle import: tighter thresholds")
    original, _ = export_text(load_policy(POLICY))
    assert export_text(loads_policy(stored.spec_yaml, "stored.yaml"))[0] == original


def test_cli_build_is_reproducible_and_verify_exits_zero(tmp_path):
    runner = CliRunner()
    outs = []
    for name in ("a.tar.gz", "b.tar.gz"):
        out = tmp_path / name
        r = runner.invoke(main, ["bundle", "build", str(POLICY), "-o", str(out), "--created-at", "2026-01-01T00:00:00+00:00"])
        assert r.exit_code == 0, r.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    assert runner.invoke(main, ["bundle", "verify", str(tmp_path / "a.tar.gz")]).exit_code == 0


# -- hostile archives: each refused with a clear message -------------------------------------------
def _tar(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return raw.getvalue()


def _file(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _special(name: str, kind: bytes, target: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, None


@pytest.mark.parametrize("members, message", [
    ([_file("../../etc/passwd")], "escapes the bundle"),
    ([_file("/etc/cron.d/evil")], "absolute path"),
    ([_special("config.yaml", tarfile.SYMTYPE, "/etc/shadow")], "is a link"),
    ([_file("a"), _special("config.yaml", tarfile.LNKTYPE, "a")], "is a link"),
    ([_special("dev", tarfile.CHRTYPE)], "device, FIFO"),
    ([_special("pipe", tarfile.FIFOTYPE)], "device, FIFO"),
    ([_file(f"f{i}") for i in range(300)], "more than 256 members"),
], ids=["traversal", "absolute", "symlink", "hardlink", "device", "fifo", "too-many-members"])
def test_hostile_archive_is_refused(members, message):
    with pytest.raises(Exception) as info:
        read_archive(_tar(members), "evil.tar.gz")
    assert message in str(info.value)


def test_zip_bomb_is_refused_without_inflating_it():
    bomb = _tar([_file("config.yaml", b"\0" * (80 * 1024 * 1024))])
    assert len(bomb) < 200_000
    with pytest.raises(Exception, match="bomb|over the"):
        read_archive(bomb, "bomb.tar.gz")


def test_oversized_manifest_is_refused():
    noise = hashlib.sha256(b"seed").hexdigest().encode()
    filler = b"".join(hashlib.sha256(noise + str(i).encode()).hexdigest().encode() for i in range(40_000))
    archive = write_archive({"manifest.json": b'{"pad": "' + filler + b'"}'}, 0)
    with pytest.raises(Exception, match="manifest.json is .* over the"):
        open_bundle(archive, "big.tar.gz")


def test_garbage_is_not_a_bundle():
    with pytest.raises(Exception, match="not a readable tar.gz"):
        read_archive(b"definitely not gzip", "junk.bin")
