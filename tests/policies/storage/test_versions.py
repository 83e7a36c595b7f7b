"""Saving, listing, reading, restoring and diffing policy versions on both backends."""

from __future__ import annotations

import hashlib
from datetime import timezone

import pytest

from policies.errors import PolicyError
from policies.storage import Store

V1 = "name: demo\nroutes:\n  - model: small\n"
V2 = "name: demo\nroutes:\n  - model: large\n"


def test_versions_number_from_one_and_link_parents(store: Store) -> None:
    first = store.save_version("demo", V1, "ana", "first")
    second = store.save_version("demo", V2, "bo", "bigger model")
    assert (first.version, first.parent_version) == (1, None)
    assert (second.version, second.parent_version) == (2, 1)
    assert second.content_sha256 == hashlib.sha256(V2.encode()).hexdigest()
    assert second.created_at.tzinfo is timezone.utc and second.created_at >= first.created_at
    assert store.list_versions("demo") == [first, second]


def test_numbers_are_per_policy(store: Store) -> None:
    store.save_version("a", V1, "ana", "")
    store.save_version("a", V2, "ana", "")
    assert store.save_version("b", V1, "ana", "").version == 1
    assert [(p.name, p.latest_version) for p in store.list_policies()] == [("a", 2), ("b", 1)]


def test_get_version_defaults_to_latest(store: Store) -> None:
    store.save_version("demo", V1, "ana", "one")
    store.save_version("demo", V2, "ana", "two")
    assert store.get_version("demo").spec_yaml == V2
    old = store.get_version("demo", 1)
    assert (old.version, old.spec_yaml, old.message, old.author) == (1, V1, "one", "ana")


def test_restore_creates_a_new_version_with_old_content(store: Store) -> None:
    store.save_version("demo", V1, "ana", "one")
    store.save_version("demo", V2, "ana", "two")
    restored = store.restore_version("demo", 1, "bo")
    assert (restored.version, restored.message, restored.author, restored.parent_version) == (3, "restore v1", "bo", 2)
    assert store.get_version("demo").spec_yaml == V1
    assert store.get_version("demo", 2).spec_yaml == V2


def test_diff_is_a_unified_diff_of_the_yaml(store: Store) -> None:
    store.save_version("demo", V1, "ana", "")
    store.save_version("demo", V2, "ana", "")
    assert store.diff_versions("demo", 1, 2) == (
        "--- demo@v1\n+++ demo@v2\n@@ -1,3 +1,3 @@\n name: demo\n routes:\n-  - model: small\n+  - model: large\n")
    assert store.diff_versions("demo", 2, 2) == ""


def test_unicode_and_large_payloads_round_trip(store: Store) -> None:
    text = "name: ünïcødé ✓\n" + "".join(f"k{i}: {'x' * 200}\n" for i in range(5000))
    store.save_version("big", text, "ana", "")
    assert store.get_version("big").spec_yaml == text


@pytest.mark.parametrize("call", [
    lambda s: s.get_version("missing"),
    lambda s: s.get_version("demo", 9),
    lambda s: s.list_versions("missing"),
    lambda s: s.restore_version("demo", 5, "ana"),
    lambda s: s.diff_versions("demo", 1, 3),
])
def test_missing_policy_or_version_is_a_policy_error(store: Store, call) -> None:
    store.save_version("demo", V1, "ana", "")
    with pytest.raises(PolicyError) as caught:
        call(store)
    assert caught.value.findings[0].code == "storage.not_found"


def test_a_failed_restore_writes_nothing(store: Store) -> None:
    store.save_version("demo", V1, "ana", "")
    with pytest.raises(PolicyError):
        store.restore_version("demo", 4, "ana")
    assert [v.version for v in store.list_versions("demo")] == [1]


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_bad_policy_names_are_rejected(store: Store, name: str) -> None:
    with pytest.raises(PolicyError, match="policy name"):
        store.save_version(name, V1, "ana", "")
    assert store.list_policies() == []
