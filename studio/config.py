"""Studio settings from the command line (``panel serve studio --args --db URL``) and the environment."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from policies.api import Store


@dataclass(frozen=True)
class StudioConfig:
    """Where the studio keeps its state; ``db`` None means ``$ROUTING_STUDIO_DB`` or the default SQLite file."""

    db: str | None = None
    author: str = "studio"


def parse_args(argv: list[str]) -> StudioConfig:
    """Read ``--db URL`` and ``--author NAME``; unknown arguments are ignored (Bokeh passes its own)."""
    parser = argparse.ArgumentParser(prog="panel serve studio --args", add_help=False)
    parser.add_argument("--db", default=None, help="SQLAlchemy URL or SQLite path of the studio store")
    parser.add_argument("--author", default="studio", help="author recorded on saved versions")
    known, _ = parser.parse_known_args(argv)
    return StudioConfig(db=known.db, author=known.author)


# ``panel serve studio`` options the studio is meant to run with (see studio/main.py for why).
SERVE_ARGS: tuple[str, ...] = ("--unused-session-lifetime", "120000")

_STORES: dict[str | None, Store] = {}


def open_store(url: str | None) -> Store:
    """One Store per URL per process, shared by every session (Store is thread-safe)."""
    if url not in _STORES:
        _STORES[url] = Store.open(url)
    return _STORES[url]
