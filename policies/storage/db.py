"""Engine setup and transaction discipline shared by every store operation.

SQLite gets WAL (readers never block the writer), ``synchronous=FULL`` (a commit is on disk
before it returns) and ``BEGIN IMMEDIATE`` for writes, so two writers queue on the busy timeout
instead of failing when a read lock cannot be upgraded. Every write is one transaction that is
retried on a unique-constraint conflict, which is how concurrent savers get distinct numbers.
"""

from __future__ import annotations

import os
import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, Engine

from ..errors import PolicyError

T = TypeVar("T")

ENV_VAR = "ROUTING_STUDIO_DB"
BUSY_TIMEOUT_S = 30
WRITE_ATTEMPTS = 8


def default_path() -> Path:
    """``$XDG_DATA_HOME/routing-studio/studio.sqlite``, i.e. ``~/.local/share/...`` by default."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "routing-studio" / "studio.sqlite"


def resolve_url(url: str | os.PathLike[str] | None) -> sa.URL:
    """Argument, else ``$ROUTING_STUDIO_DB``, else the default file; a plain path means SQLite."""
    chosen = url if url is not None else os.environ.get(ENV_VAR) or default_path()
    text = os.fspath(chosen)
    try:
        if "://" in text:
            return sa.make_url(text)
        path = Path(text).expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return sa.URL.create("sqlite", database=str(path))
    except (exc.ArgumentError, ValueError, OSError) as err:
        raise storage_error("storage.bad_url",
                            f"cannot use storage location {_masked(text)!r}: {err}") from err


def create_engine(url: sa.URL) -> Engine:
    """An engine for ``url`` with the durability settings above; raises PolicyError if unusable."""
    try:
        engine = sa.create_engine(url, **_connect_args(url))
    except (exc.ArgumentError, exc.NoSuchModuleError, ImportError) as err:
        raise storage_error("storage.bad_url", f"cannot use storage URL {_shown(url)}: {err}",
                            suggestion="use sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST/DB") from err
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def reading(engine: Engine) -> Engine:
    """The same engine, but SQLite transactions start deferred so reads take no write lock."""
    return engine.execution_options(sqlite_begin="DEFERRED")


def write(engine: Engine, work: Callable[[Connection], T]) -> T:
    """Run ``work`` in one transaction, retrying from scratch when a unique constraint races."""
    attempt = 0
    while True:
        attempt += 1
        try:
            with translated(engine), engine.begin() as conn:
                return work(conn)
        except exc.IntegrityError as err:
            if attempt >= WRITE_ATTEMPTS:
                raise storage_error("storage.conflict",
                                    f"write kept conflicting after {attempt} attempts: {_first_line(err)}") from err
            time.sleep(random.uniform(0, 0.005 * 2 ** attempt))


def read(engine: Engine, work: Callable[[Connection], T]) -> T:
    """Run ``work`` in one read transaction, so it sees a single consistent snapshot."""
    with translated(engine), reading(engine).begin() as conn:
        return work(conn)


@contextmanager
def translated(engine: Engine) -> Iterator[None]:
    """Turn driver failures (unreachable server, locked file, lost connection) into PolicyError."""
    try:
        yield
    except exc.IntegrityError:
        raise
    except exc.DBAPIError as err:
        raise storage_error("storage.unavailable",
                            f"storage at {_shown(engine.url)} failed: {_first_line(err)}") from err


def storage_error(code: str, message: str, suggestion: str | None = None) -> PolicyError:
    """A PolicyError located at the storage layer rather than at a policy file."""
    return PolicyError.single(code, message, file="<storage>", suggestion=suggestion)


def _connect_args(url: sa.URL) -> dict[str, Any]:
    if url.get_backend_name() == "sqlite":
        return {"connect_args": {"timeout": BUSY_TIMEOUT_S}}
    if url.get_backend_name() == "postgresql":
        return {"pool_pre_ping": True, "connect_args": {"connect_timeout": 10}}
    return {}


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take BEGIN away from the sqlite3 module (it skips it before DDL and SELECT); see _sqlite_begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
    conn.exec_driver_sql(f"BEGIN {mode}")


def _shown(url: sa.URL) -> str:
    return url.render_as_string(hide_password=True)


def _masked(text: str) -> str:
    """Hide the password of a URL that did not parse (so cannot use render_as_string)."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", text)


def _first_line(err: BaseException) -> str:
    orig = getattr(err, "orig", None) or err
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]
