"""Backends for the storage tests: a SQLite file in tmp_path and the real PostgreSQL server.

The PostgreSQL URL comes from ``$ROUTING_STUDIO_TEST_PG_URL`` or ``.cache/postgres-url``
(written by scripts/start-postgres.sh). Without a server the PostgreSQL cases are skipped
locally but fail under CI, so a broken CI setup cannot pass by skipping.
Each PostgreSQL test gets a fresh schema (via ``search_path``) that is dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from policies.storage import Store

REPO = Path(__file__).resolve().parents[3]
URL_FILE = REPO / ".cache" / "postgres-url"


def _configured_pg_url() -> str | None:
    url = os.environ.get("ROUTING_STUDIO_TEST_PG_URL")
    if not url and URL_FILE.exists():
        url = URL_FILE.read_text().strip()
    return url or None


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"PostgreSQL is required under CI but {reason}; run scripts/start-postgres.sh")
    pytest.skip(f"PostgreSQL tests skipped: {reason} (run scripts/start-postgres.sh)")


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[sa.Engine]:
    """An autocommit engine on the test database, used to create and drop per-test schemas."""
    url = _configured_pg_url()
    if url is None:
        _unavailable("no server URL in $ROUTING_STUDIO_TEST_PG_URL or .cache/postgres-url")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError as err:
        engine.dispose()
        _unavailable(f"the server at {sa.make_url(url).render_as_string()} is not reachable ({err.orig})")
    yield engine
    engine.dispose()


@pytest.fixture
def pg_url(pg_admin: sa.Engine) -> Iterator[str]:
    """URL of a fresh, empty schema on the PostgreSQL server."""
    schema = f"test_{uuid.uuid4().hex[:16]}"
    with pg_admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = pg_admin.url.update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with pg_admin.connect() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store location on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'studio.sqlite'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store.open(store_url) as opened:
        yield opened
