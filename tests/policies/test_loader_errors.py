"""Bad input gets one clean, located PolicyError: never a traceback, never a partial model."""

from __future__ import annotations

import pytest

from policies.errors import PolicyError
from policies.loader import load_policy, loads_policy


def error_of(text: str | bytes):
    with pytest.raises(PolicyError) as info:
        loads_policy(text, "bad.yaml")
    (finding,) = info.value.findings
    return finding


def test_malformed_yaml_names_line_and_column():
    f = error_of("version: v0.3\nrouting:\n  decisions: [\n    {name: a\n")
    assert f.code == "yaml-syntax" and f.file == "bad.yaml" and f.line is not None and f.column is not None


def test_wrong_type_names_the_field():
    f = error_of("version: v0.3\nrouting:\n  decisions:\n    - name: a\n      priority: [1]\n")
    assert f.code == "type-error" and f.field == "routing.decisions[0].priority" and (f.line, f.column) == (5, 7)


def test_binary_file_is_refused(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"\x7fELF\x00\x01\x02" * 50)
    with pytest.raises(PolicyError, match="binary"):
        load_policy(path)


def test_empty_file_is_refused():
    assert error_of("   \n").code == "empty"


def test_non_utf8_names_the_byte_position():
    f = error_of(b"version: v0.3\nname: caf\xe9\n")
    assert f.code == "not-utf8" and (f.line, f.column) == (2, 10)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(PolicyError, match="no such file"):
        load_policy(tmp_path / "nope.yaml")
    with pytest.raises(PolicyError, match="directory"):
        load_policy(tmp_path)


def test_top_level_must_be_a_mapping():
    assert error_of("- a\n- b\n").code == "yaml-structure"


def test_python_tags_are_never_constructed():
    f = error_of("version: !!python/object/apply:os.system ['echo hi']\n")
    assert f.code == "yaml-tag"


def test_alias_bomb_is_bounded():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i-1}"] * 10) + "]")
    f = error_of("\n".join(lines) + "\n")
    assert f.code == "yaml-limit"


def test_deep_nesting_is_bounded():
    assert error_of("a: " + "[" * 300 + "]" * 300 + "\n").code == "yaml-limit"


def test_duplicate_keys_are_reported_not_silently_merged():
    policy = loads_policy("version: v0.3\nversion: v0.3\n", "dup.yaml")
    (note,) = [n for n in policy.import_notes if n.code == "yaml-duplicate-key"]
    assert note.line == 2
