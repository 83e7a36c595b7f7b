"""On-disk score cache: (text sha256, model file sha256, signal-definition hash) -> float32 vector.

Editing thresholds or rules re-uses every score already computed, so a re-simulation never
re-runs a model. Storage is one SQLite file in WAL mode: each write is a transaction, so two
processes (say the studio and a CLI run) can share the cache without torn or lost entries.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

SCHEMA = """CREATE TABLE IF NOT EXISTS scores (
    text_sha TEXT NOT NULL, model_sha TEXT NOT NULL, signal_sha TEXT NOT NULL,
    vec BLOB NOT NULL, PRIMARY KEY (text_sha, model_sha, signal_sha)) WITHOUT ROWID"""
_CHUNK = 500  # stays under SQLite's bound-parameter limit


def default_cache_dir() -> Path:
    """``$ROUTING_STUDIO_CACHE`` or ``~/.cache/routing-studio``."""
    env = os.environ.get("ROUTING_STUDIO_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "routing-studio"


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ScoreCache:
    """Score vectors per text, model and signal definition, shared safely across processes."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self.path = Path(directory or default_cache_dir()) / "scores.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._conn() as conn:
            conn.execute(SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30.0)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def get(self, text_shas: Sequence[str], model_sha: str, signal_sha: str) -> dict[str, np.ndarray]:
        """Cached vectors for those text hashes that have one."""
        found: dict[str, np.ndarray] = {}
        conn = self._conn()
        for i in range(0, len(text_shas), _CHUNK):
            chunk = list(text_shas[i:i + _CHUNK])
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(f"SELECT text_sha, vec FROM scores WHERE model_sha=? AND signal_sha=? "
                                f"AND text_sha IN ({marks})", [model_sha, signal_sha, *chunk])
            found.update((sha, np.frombuffer(blob, dtype=np.float32)) for sha, blob in rows)
        return found

    def put(self, text_shas: Sequence[str], model_sha: str, signal_sha: str, vectors: np.ndarray) -> None:
        """Store vectors in one transaction (all or nothing)."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        with self._conn() as conn:
            conn.executemany("INSERT OR REPLACE INTO scores VALUES (?, ?, ?, ?)",
                             [(sha, model_sha, signal_sha, vec.tobytes()) for sha, vec in zip(text_shas, vectors)])

    def scores(self, texts: Sequence[str], model_sha: str, signal_sha: str,
               compute: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        """Vectors for ``texts`` in order, calling ``compute`` only on texts not cached yet."""
        shas = [text_sha(t) for t in texts]
        found = self.get(sorted(set(shas)), model_sha, signal_sha)
        missing: dict[str, str] = {}
        for sha, text in zip(shas, texts):
            if sha not in found:
                missing.setdefault(sha, text)
        if missing:
            computed = np.asarray(compute(list(missing.values())), dtype=np.float32)
            self.put(list(missing), model_sha, signal_sha, computed)
            found.update(zip(missing, computed))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([found[sha] for sha in shas])


def definition_sha(*parts: object) -> str:
    """Stable hash of whatever defines a signal's output (kind, labels, options)."""
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:32]
