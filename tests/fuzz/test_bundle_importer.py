"""Fuzz the bundle importer: mutated real bundles through ``open_bundle`` and ``verify_bundle``.

Allowed outcomes: a result or PolicyError. On top of that, the safety promises are checked on
every input: hostile member names and links are always refused, and a bundle that verifies as
intact holds exactly the files that were built (tampering is never reported as "ok").
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import json
import tarfile
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from policies.bundles import PolicyRef, build_bundle, open_bundle, read_archive, verify_bundle
from policies.bundles.bundle import MANIFEST
from policies.loader import load_policy, loads_policy

from .support import CORPUS, HOSTILE_STRINGS, ROOT, counting, fuzz_settings, known_bugs_tolerated, no_hang, \
    refused_or, tried

TARGET = "bundle-importer"
WHEN = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)

# One decision, one keyword signal: the conflict analysis verify re-runs takes ~0.05 s instead of ~0.3 s.
TINY_POLICY = """\
version: v0.3
providers:
  defaults: {model: m1}
  models:
    - name: m1
      backend_refs: [{name: b, provider: vllm, endpoint: "127.0.0.1:8000", protocol: http, weight: 100}]
routing:
  signals:
    keywords: [{name: k, operator: OR, keywords: [urgent]}]
  decisions:
    - name: d
      priority: 1
      rules: {operator: AND, conditions: [{type: keyword, name: k}]}
      modelRefs: [{model: m1, use_reasoning: false}]
"""

HOSTILE_NAMES = ("/etc/passwd", "../escape.yaml", "a/../../b", "models/../../x", "C:evil", "C:\\evil", "a\\..\\b",
                 "", ".", "./", "//double", "./config.yaml", "config.yaml/", "config.yaml\x00.txt", "x" * 300,
                 "ünï/cødé", "manifest.json", "config.yaml", "models/", "\u202emanifest.json")


@functools.cache
def sample_bundle() -> bytes:
    """The real cost_optimised sample as a bundle (built once per run)."""
    policy = load_policy(ROOT / "sample_data" / "policies" / "cost_optimised.yaml")
    return build_bundle(policy, PolicyRef("cost_optimised", 3, "fuzz base"), WHEN)[0]


@functools.cache
def tiny_bundle() -> bytes:
    return build_bundle(loads_policy(TINY_POLICY), PolicyRef("tiny", 1, "fuzz base"), WHEN)[0]


def import_bundle(data: bytes, original: bytes) -> None:
    """open → verify; a bundle that verifies as intact must hold exactly the files of a built bundle.

    That is usually ``original``; a splice can also reproduce another corpus bundle whole, which is
    then genuinely intact.
    """
    with no_hang(), known_bugs_tolerated(data):
        if refused_or(open_bundle, data, "fuzz.tar.gz") is None:
            return
        result = refused_or(verify_bundle, data, "fuzz.tar.gz")
        if result is None or not result.ok:
            return
        mine = {k: v for k, v in read_archive(data).items() if k != MANIFEST}
        built = [{k: v for k, v in read_archive(b).items() if k != MANIFEST}
                 for b in (original, sample_bundle(), tiny_bundle())]
        assert mine in built, "verify_bundle reported a changed bundle as intact"


# -- byte-level mutations of the compressed archive ----------------------------------------------
@st.composite
def mutated_bytes(draw: st.DrawFn) -> tuple[bytes, bytes]:
    original = draw(st.sampled_from([sample_bundle(), tiny_bundle()]))
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "append", "splice"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 64))]
        elif op == "truncate":
            del data[pos:]
        elif op == "append":  # a second gzip member or trailing garbage
            data += draw(st.sampled_from([gzip.compress(b"x" * 100), b"\x00" * 512, b"garbage"]))
        elif op == "splice":
            other = draw(st.sampled_from([sample_bundle(), tiny_bundle()]))
            data = data[:pos] + other[draw(st.integers(0, len(other))):]
    return bytes(data), original


def test_byte_mutations_of_bundles() -> None:
    @fuzz_settings(700)
    @given(mutated_bytes())
    def run(case: tuple[bytes, bytes]) -> None:
        tried(TARGET)
        import_bundle(*case)

    with counting("bundle_byte_mutations", TARGET, 600):
        run()


# -- archive-level mutations: hostile members, links, manifest edits, config edits --------------------
def pack(entries: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    """A tar.gz of ``entries`` exactly as given (no name cleaning: that is what we attack)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in entries:
            info.size = len(data) if info.isfile() else 0
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return gzip.compress(raw.getvalue(), mtime=0)


def entry(name: str, data: bytes, kind: bytes = tarfile.REGTYPE, link: str = "") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, link, 0o644
    return info, data


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) |
                           st.sampled_from(HOSTILE_STRINGS), lambda c: st.lists(c, max_size=3) |
                           st.dictionaries(st.text(max_size=5), c, max_size=3), max_leaves=10)


@st.composite
def mutated_archives(draw: st.DrawFn) -> tuple[bytes, bytes, str]:
    """A bundle re-packed after 1–3 member-level edits; the third item names the expected refusal."""
    original = draw(st.sampled_from([tiny_bundle(), tiny_bundle(), sample_bundle()]))
    files = read_archive(original)
    manifest: dict[str, Any] = json.loads(files[MANIFEST])
    entries = {name: data for name, data in files.items() if name != MANIFEST}
    extra: list[tuple[tarfile.TarInfo, bytes]] = []
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["rename", "link", "special", "duplicate", "manifest", "manifest-raw",
                                   "config", "config-rehash", "drop", "many"]))
        if op == "rename" and entries:
            old = draw(st.sampled_from(sorted(entries)))
            new = draw(st.sampled_from(HOSTILE_NAMES) | st.text(min_size=1, max_size=20))
            entries[new] = entries.pop(old)
        elif op == "link":
            kind = draw(st.sampled_from([tarfile.SYMTYPE, tarfile.LNKTYPE]))
            extra.append(entry(draw(st.sampled_from(["config.yaml", "models/x.onnx", "evil"])), b"", kind,
                               draw(st.sampled_from(["/etc/passwd", "../../x", "config.yaml"]))))
        elif op == "special":
            extra.append(entry("dev", b"", draw(st.sampled_from([tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE]))))
        elif op == "duplicate" and entries:
            name = draw(st.sampled_from(sorted(entries)))
            extra.append(entry(name, draw(st.binary(max_size=64))))
        elif op == "manifest":
            path = draw(st.lists(st.sampled_from(["format", "format_version", "files", "policy", "created_at", "tool",
                                                  "kubernetes", "config.yaml", "name", "version"]), min_size=1,
                                 max_size=2))
            node: Any = manifest
            for key in path[:-1]:
                node = node.setdefault(key, {}) if isinstance(node, dict) else {}
            if isinstance(node, dict):
                if draw(st.booleans()):
                    node.pop(path[-1], None)
                else:
                    node[path[-1]] = draw(json_values)
        elif op == "manifest-raw":
            manifest = draw(st.sampled_from([b"", b"{", b"[]", b"null", b"\xff\xfe", b"\x00" * 10,
                                             b'{"format": "routing-studio-bundle"}', b"1e999999",
                                             b"[" * 10_000 + b"]" * 10_000]))
        elif op in ("config", "config-rehash"):
            text = draw(st.sampled_from(sorted(CORPUS)))
            cut = draw(st.integers(0, len(CORPUS[text])))
            entries["config.yaml"] = CORPUS[text][:cut]
            if op == "config-rehash" and isinstance(manifest, dict) and isinstance(manifest.get("files"), dict):
                manifest["files"]["config.yaml"] = hashlib.sha256(entries["config.yaml"]).hexdigest()
        elif op == "drop" and entries:
            entries.pop(draw(st.sampled_from(sorted(entries))))
        elif op == "many":
            extra.extend(entry(f"pad/{i}", b"") for i in range(draw(st.integers(1, 300))))
    raw_manifest = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
    members = [entry(name, data) for name, data in sorted(entries.items())]
    members += extra + [entry(MANIFEST, raw_manifest)]
    return pack(members), original, must_refuse(members)


def must_refuse(members: list[tuple[tarfile.TarInfo, bytes]]) -> str:
    """Why the reader must refuse these members ("" when it may accept them): the promises in archive.py."""
    seen: set[str] = set()
    for info, _ in members:
        name = info.name
        if name.startswith("/") or ".." in PurePosixPath(name).parts or "\\" in name or (len(name) > 1 and name[1] == ":"):
            return f"hostile name {name!r}"
        if info.issym() or info.islnk():
            return f"link {name!r}"
        if not info.isfile():
            return f"special file {name!r}"
        clean = str(PurePosixPath(name))
        if clean in seen:
            return f"duplicate {clean!r}"
        seen.add(clean)
    return ""


def test_archive_mutations_of_bundles() -> None:
    @fuzz_settings(450)
    @given(mutated_archives())
    def run(case: tuple[bytes, bytes, str]) -> None:
        data, original, must_refuse = case
        tried(TARGET)
        if must_refuse:
            with no_hang(), known_bugs_tolerated(data):
                assert refused_or(open_bundle, data, "fuzz.tar.gz") is None, f"bundle with {must_refuse} was opened"
            return
        import_bundle(data, original)

    with counting("bundle_archive_mutations", TARGET, 400):
        run()
