"""Drafts survive a restart and stay separate per owner and policy."""

from __future__ import annotations

from policies.storage import Store


def test_draft_survives_reopening_the_store(store_url: str) -> None:
    first = Store.open(store_url)
    first.save_draft("session-1", "demo", "name: unsaved\n")
    first.close()  # disposes the engine: nothing cached in-process survives
    with Store.open(store_url) as reopened:
        draft = reopened.get_draft("session-1", "demo")
    assert draft is not None and draft.spec_yaml == "name: unsaved\n"


def test_autosave_overwrites_and_discard_forgets(store: Store) -> None:
    first = store.save_draft("u", "demo", "a: 1\n")
    second = store.save_draft("u", "demo", "a: 2\n")
    assert store.get_draft("u", "demo") == second and second.updated_at >= first.updated_at
    assert store.discard_draft("u", "demo") is True
    assert store.get_draft("u", "demo") is None
    assert store.discard_draft("u", "demo") is False


def test_drafts_are_keyed_by_owner_and_policy(store: Store) -> None:
    store.save_draft("u1", "demo", "mine")
    store.save_draft("u2", "demo", "theirs")
    store.save_draft("u1", "other", "elsewhere")
    assert store.get_draft("u1", "demo").spec_yaml == "mine"
    assert store.get_draft("u2", "demo").spec_yaml == "theirs"
    assert store.get_draft("u1", "other").spec_yaml == "elsewhere"
    assert store.get_draft("u3", "demo") is None
