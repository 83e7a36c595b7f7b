"""On-disk score cache: (text sha256, model file sha256, signal-definition hash) -> float32 vector.

Editing thresholds or rules re-uses every score already computed, so a re-simulation never
re-runs a model. Storage is one SQLite file in WAL mode: each write is a transaction, so two
processes (say the studio and a CLI run) can share the cache without torn or lost entries.

Under the user's cache lies a read-only :class:`ScoreLayer`: the bundled models' scores for the
bundled sample traffic, shipped in ``sample_data/scores/`` and rebuilt with the models
(``scripts/build_score_layer.py``), so the first simulation of the sample on a fresh install runs
no model. It is keyed exactly like the cache, so a changed model (another sha) or PII pattern
code never reads its scores; it is consulted after the user's cache and never written.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sqlite3
import threading
import time
import zipfile
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

import sample_data
from policies.errors import PolicyError

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


LAYER_ENV = "ROUTING_STUDIO_SCORE_LAYER"  # "off", or another layer file (default: the shipped one)


def default_layer_path() -> Path | None:
    """The score layer in use: ``$ROUTING_STUDIO_SCORE_LAYER`` (``off`` for none) or the shipped file
    (None when an install left it out: every score is then computed, the same ones, slower)."""
    env = os.environ.get(LAYER_ENV, "")
    if env.lower() == "off":
        return None
    if env and not Path(env).is_file():
        raise PolicyError.single("score-layer", f"{LAYER_ENV} names no file: {env}", file=env,
                                 suggestion=f"unset it, set it to 'off', or run scripts/build_score_layer.py")
    path = Path(env) if env else sample_data.score_layer_file()
    return path if path.is_file() else None


class ScoreLayer:
    """Read-only scores in one ``.npz``: per (model sha, signal sha) group, text hashes and their vectors.

    The file holds ``groups`` (JSON: a list of ``{"model_sha", "signal_sha"}``) and, for group
    ``i``, ``sha_i`` (hex text hashes) and ``vec_i`` (float32 rows). Written by :meth:`write`.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._groups: dict[tuple[str, str], tuple[dict[str, int], np.ndarray]] = {}
        try:
            with np.load(path) as data:
                for i, group in enumerate(json.loads(data["groups"].item())):
                    shas = data[f"sha_{i}"].astype("U64").tolist()
                    self._groups[group["model_sha"], group["signal_sha"]] = (
                        {sha: row for row, sha in enumerate(shas)}, data[f"vec_{i}"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise PolicyError.single("score-layer", f"cannot read score layer {path}: {exc!r}", file=str(path),
                                     suggestion="rebuild it with scripts/build_score_layer.py") from exc
        for _index, vectors in self._groups.values():
            vectors.setflags(write=False)

    def get(self, text_shas: Sequence[str], model_sha: str, signal_sha: str) -> dict[str, np.ndarray]:
        """Layer vectors for those text hashes it holds under this model and signal."""
        index, vectors = self._groups.get((model_sha, signal_sha), ({}, None))
        return {sha: vectors[index[sha]] for sha in text_shas if sha in index}

    @staticmethod
    def write(path: Path, groups: Sequence[tuple[dict[str, str], Sequence[str], np.ndarray]]) -> None:
        """Write a layer: per group its ``{"model_sha", "signal_sha"}``, text hashes and vectors."""
        arrays: dict[str, np.ndarray] = {"groups": np.array(json.dumps([meta for meta, _, _ in groups]))}
        for i, (_meta, shas, vectors) in enumerate(groups):
            arrays[f"sha_{i}"] = np.array(list(shas), dtype="S64")
            arrays[f"vec_{i}"] = np.ascontiguousarray(vectors, dtype=np.float32)
        path.parent.mkdir(parents=True, exist_ok=True)
        # np.savez stamps each member with the current time; fixed stamps keep rebuilds byte-identical.
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, array in arrays.items():
                member = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                member.compress_type = zipfile.ZIP_DEFLATED
                with archive.open(member, "w", force_zip64=True) as out:
                    np.lib.format.write_array(out, array, allow_pickle=False)


@functools.lru_cache(maxsize=2)
def _load_layer(path: str, size: int, mtime_ns: int) -> ScoreLayer:
    return ScoreLayer(Path(path))


def score_layer(path: Path | None) -> ScoreLayer | None:
    """The layer at ``path``, loaded once per process per file version (None for no path)."""
    if path is None:
        return None
    st = path.stat()
    return _load_layer(str(path.resolve()), st.st_size, st.st_mtime_ns)


class ScoreStore:
    """Where score vectors are kept: :meth:`get` and :meth:`put` by text hash, model and signal
    definition; :meth:`scores` computes only what is missing. :class:`ScoreCache` keeps them in
    SQLite on one machine; ``policies.simulation.distributed.scores`` in Parquet for a cluster."""

    def get(self, text_shas: Sequence[str], model_sha: str, signal_sha: str) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def put(self, text_shas: Sequence[str], model_sha: str, signal_sha: str, vectors: np.ndarray) -> None:
        raise NotImplementedError

    def scores(self, texts: Sequence[str], model_sha: str, signal_sha: str,
               compute: Callable[[list[str]], np.ndarray], shas: Sequence[str] | None = None) -> np.ndarray:
        """Vectors for ``texts`` in order, calling ``compute`` only on texts not cached yet (``shas``:
        their :func:`text_sha`, when the caller keeps them: hashing long prompts is not free)."""
        shas = [text_sha(t) for t in texts] if shas is None else shas
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


class ScoreCache(ScoreStore):
    """Score vectors per text, model and signal definition, shared safely across processes, over the
    read-only score layer of :func:`default_layer_path`."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self.path = Path(directory or default_cache_dir()) / "scores.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.layer = score_layer(default_layer_path())
        self._local = threading.local()
        with self._conn() as conn:
            _enable_wal(conn)
            conn.execute(SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:  # WAL is a property of the file, set once above: a thread's connection inherits it
            conn = sqlite3.connect(self.path, timeout=30.0)
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def get(self, text_shas: Sequence[str], model_sha: str, signal_sha: str) -> dict[str, np.ndarray]:
        """Cached vectors for those text hashes that have one: the user's cache first, then the layer."""
        found: dict[str, np.ndarray] = {}
        conn = self._conn()
        for i in range(0, len(text_shas), _CHUNK):
            chunk = list(text_shas[i:i + _CHUNK])
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(f"SELECT text_sha, vec FROM scores WHERE model_sha=? AND signal_sha=? "
                                f"AND text_sha IN ({marks})", [model_sha, signal_sha, *chunk])
            found.update((sha, np.frombuffer(blob, dtype=np.float32)) for sha, blob in rows)
        if self.layer is not None and len(found) < len(text_shas):
            found.update(self.layer.get([sha for sha in text_shas if sha not in found], model_sha, signal_sha))
        return found

    def groups(self) -> Iterator[tuple[dict[str, str], list[str], np.ndarray]]:
        """Every entry of the user's cache file (not the layer), per (model sha, signal sha), in
        :meth:`ScoreLayer.write`'s form: what ``scripts/build_score_layer.py`` ships."""
        conn = self._conn()
        keys = conn.execute("SELECT DISTINCT model_sha, signal_sha FROM scores ORDER BY model_sha, signal_sha")
        for model_sha, signal_sha in keys.fetchall():
            rows = conn.execute("SELECT text_sha, vec FROM scores WHERE model_sha=? AND signal_sha=? "
                                "ORDER BY text_sha", (model_sha, signal_sha)).fetchall()
            yield ({"model_sha": model_sha, "signal_sha": signal_sha}, [sha for sha, _ in rows],
                   np.stack([np.frombuffer(blob, dtype=np.float32) for _, blob in rows]))

    def put(self, text_shas: Sequence[str], model_sha: str, signal_sha: str, vectors: np.ndarray) -> None:
        """Store vectors in one transaction (all or nothing)."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        with self._conn() as conn:
            conn.executemany("INSERT OR REPLACE INTO scores VALUES (?, ?, ?, ?)",
                             [(sha, model_sha, signal_sha, vec.tobytes()) for sha, vec in zip(text_shas, vectors)])


def definition_sha(*parts: object) -> str:
    """Stable hash of whatever defines a signal's output (kind, labels, options)."""
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:32]


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL. SQLite answers "database is locked" at once, without waiting its busy
    timeout, when another connection (a PII thread, another process) opens the file meanwhile: retry."""
    for attempt in range(50):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.1)
