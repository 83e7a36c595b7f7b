"""Where the store lives, and clear errors when it cannot be opened."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies.errors import PolicyError
from policies.storage import Store


def test_default_location_is_under_local_share(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("ROUTING_STUDIO_DB", raising=False)
    with Store.open() as store:
        store.save_draft("u", "p", "x")
    assert (tmp_path / ".local/share/routing-studio/studio.sqlite").is_file()


def test_env_var_then_argument_override_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from_env, from_arg = tmp_path / "env" / "s.sqlite", tmp_path / "arg.sqlite"
    monkeypatch.setenv("ROUTING_STUDIO_DB", str(from_env))
    with Store.open() as store:
        assert store.url == f"sqlite:///{from_env}"
    with Store.open(f"sqlite:///{from_arg}") as store:
        assert store.url == f"sqlite:///{from_arg}"
    assert from_env.is_file() and from_arg.is_file()


def test_sqlite_runs_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.sqlite") as store:
        with store._engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.mark.parametrize(("url", "code"), [
    ("nosuchdb://host/db", "storage.bad_url"),
    ("not a scheme://x", "storage.bad_url"),
    ("postgresql+psycopg://user:s3cret@host:notaport/db", "storage.bad_url"),
    ("sqlite:////nonexistent-dir/deeper/studio.sqlite", "storage.unavailable"),
    ("postgresql+psycopg://studio:s3cret-pw@127.0.0.1:1/nowhere", "storage.unavailable"),
])
def test_bad_urls_give_a_clear_policy_error(url: str, code: str) -> None:
    with pytest.raises(PolicyError) as caught:
        Store.open(url)
    finding = caught.value.findings[0]
    assert finding.code == code
    assert "s3cret" not in str(caught.value)


def test_a_refused_connection_says_where() -> None:
    with pytest.raises(PolicyError, match=r"postgresql\+psycopg://studio:\*\*\*@127\.0\.0\.1:1/nowhere"):
        Store.open("postgresql+psycopg://studio:s3cret-pw@127.0.0.1:1/nowhere")
