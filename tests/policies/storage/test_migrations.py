"""Old databases are upgraded on open, and the migrations build exactly the current schema."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from policies.errors import PolicyError
from policies.storage import Store, db, migrate
from policies.storage.schema import metadata
from policies.storage.versions import sha256_text

V1_SPEC = "name: legacy\n"


def _engine(url: str) -> sa.Engine:
    return db.create_engine(sa.make_url(url))


def test_a_v1_database_is_upgraded_on_open_and_keeps_its_data(store_url: str) -> None:
    engine = _engine(store_url)
    migrate.upgrade(engine, "0001")
    stamp = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO policies (id, name, created_at) VALUES (1, 'legacy', :t)"), {"t": stamp})
        conn.execute(sa.text(
            "INSERT INTO policy_versions (id, policy_id, version, author, created_at, message, spec_yaml,"
            " content_sha256) VALUES (1, 1, 1, 'old', :t, 'from v1', :y, :h)"),
            {"t": stamp, "y": V1_SPEC, "h": sha256_text(V1_SPEC)})
        conn.execute(sa.text("INSERT INTO drafts VALUES ('u', 'legacy', 'draft: 1', :t)"), {"t": stamp})
        assert "simulation_runs" not in sa.inspect(conn).get_table_names()
    assert migrate.current_revision(engine) == "0001"
    engine.dispose()

    with Store.open(store_url) as store:
        legacy = store.get_version("legacy")
        assert (legacy.version, legacy.author, legacy.created_at, legacy.spec_yaml) == (1, "old", stamp, V1_SPEC)
        assert store.get_draft("u", "legacy").spec_yaml == "draft: 1"
        assert store.save_version("legacy", "name: legacy\nv: 2\n", "new", "").version == 2
        traffic = store.register_traffic_set("t", "t.jsonl", "jsonl", 1, "c" * 64)
        store.save_simulation_run("legacy", {"ok": True}, version=2, traffic_set_id=traffic.id)
    engine = _engine(store_url)
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()


def test_migrations_build_exactly_the_schema_the_code_uses(store: Store) -> None:
    with store._engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_reopening_a_current_database_changes_nothing(store_url: str) -> None:
    with Store.open(store_url) as store:
        store.save_version("p", "a: 1\n", "ana", "")
    with Store.open(store_url) as store:
        assert [v.version for v in store.list_versions("p")] == [1]


def test_a_database_from_a_newer_release_is_refused(store_url: str) -> None:
    Store.open(store_url).close()
    engine = _engine(store_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    with pytest.raises(PolicyError) as caught:
        Store.open(store_url)
    assert caught.value.findings[0].code == "storage.schema_unknown"
