"""Model-backed inputs of neural signals: one encoder pass per distinct text, shared by every signal.

:class:`NeuralContext` is the only place that calls models (``policies.inference``). It embeds
each distinct text once — prompts, and each signal's candidate phrases — and memoises the
vectors, so embedding, complexity, preference, reask, domain and jailbreak signals all read the
same matrix; the heads run on those embeddings (``predict_embeddings``), never re-encoding. When
the policy has PII signals (:meth:`NeuralContext.plan`), the PII name head runs inside that same
pass, on the encoder's token features.
Every vector also goes through the on-disk :class:`policies.inference.ScoreCache`, keyed by text
hash + model hash + what is computed, so another process (the CLI, the studio) skips the models
too. Raw scores stay in the simulation's :class:`.extract.RawStore`, so threshold edits never
touch this module. Models load lazily; a model that cannot load (a missing bundle or head) is a
:class:`PolicyError` naming the file, never a signal silently off: an answer computed without the
models would be wrong, and a success code would hide it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import polars as pl

from ..errors import PolicyError

Progress = Callable[[int, int], None]  # (texts done, texts total)
_UNLOADED = object()


def _inference() -> Any:
    try:
        from .. import inference
    except ImportError as exc:  # onnxruntime or tokenizers missing: a broken install, not an offline signal
        raise PolicyError.single("model-runtime", f"model inference cannot be imported: {exc}",
                                 suggestion="pip install routing-studio (it installs onnxruntime)") from exc
    return inference


def _load(what: str, make: Callable[[], Any]) -> Any:
    """``make()``, with an unreadable file or manifest entry turned into a PolicyError naming it
    (the loaders already raise one for a missing or corrupt model file)."""
    try:
        return make()
    except OSError as exc:
        raise PolicyError.single("model-unreadable", f"{what} cannot be loaded: {exc}",
                                 file=str(exc.filename) if exc.filename else None) from exc
    except KeyError as exc:
        manifest = _inference().bundle.bundled_path("manifest.json")
        raise PolicyError.single("model-manifest", f"{what} cannot be loaded: {manifest} has no field {exc}",
                                 file=str(manifest)) from exc


def _row_index(texts: pl.Series) -> tuple[pl.Series, np.ndarray]:
    """(distinct texts in first-seen order, index of each request's text among them)."""
    uniq = texts.unique(maintain_order=True)
    index = pl.DataFrame({"t": texts}).join(
        pl.DataFrame({"t": uniq, "i": pl.int_range(uniq.len(), eager=True)}), on="t", how="left",
        maintain_order="left")["i"].to_numpy()
    return uniq, index


class NeuralContext:
    """Lazily loaded encoder and heads, the per-text memo of their outputs, and the disk cache."""

    def __init__(self, encoder: Any = None, *, cache_dir: str | Path | None = None, use_disk_cache: bool = True,
                 batch_size: int = 512, progress: Progress | None = None) -> None:
        self._encoder = encoder
        self._heads: dict[str, Any] = {}
        self._cache_dir = cache_dir
        self._use_disk = use_disk_cache
        self._cache: Any = None
        self.batch_size = batch_size
        self.progress = progress
        self._vectors: dict[str, np.ndarray] = {}
        self._name_scores: dict[str, np.ndarray] = {}  # PII name head's scores, filled by embed()
        self._name_head: Any = _UNLOADED
        self._want_names = False  # set by plan() or the first pii_scores()
        self._head_rows: dict[str, dict[str, np.ndarray]] = {}
        self._head_labels: dict[str, tuple[str, ...]] = {}

    # -- models --------------------------------------------------------------------------
    @property
    def encoder(self) -> Any:
        if self._encoder is None:
            self._encoder = _load("text encoder", _inference().default_encoder)
        return self._encoder

    def head(self, name: str) -> Any:
        """A classifier head over the shared embeddings: ``domain`` or ``jailbreak``."""
        if name not in self._heads:
            self._heads[name] = _load(f"{name} classifier", getattr(_inference(), f"{name}_classifier"))
        return self._heads[name]

    @property
    def name_head(self) -> Any:
        """The PII name head, or None for an encoder without token features (a user's own export):
        PII signals then use the pattern fallback for those types. A head that cannot load is an error."""
        if self._name_head is _UNLOADED:
            self._name_head = None
            if _inference().encoder.TOKEN_FEATURES in getattr(self.encoder, "output_names", ()):
                self._name_head = _load("PII name head", _inference().pii_name_head)
        return self._name_head

    @property
    def cache(self) -> Any:
        if self._cache is None and self._use_disk:
            self._cache = _inference().ScoreCache(self._cache_dir)
        return self._cache

    def _cached(self, texts: list[str], model_sha: str, what: object,
                compute: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        if self.cache is None:
            return compute(texts)
        signal_sha = _inference().cache.definition_sha(what)
        return self.cache.scores(texts, model_sha, signal_sha, compute)

    # -- embeddings ----------------------------------------------------------------------
    def plan(self, leaf_types: set[str]) -> None:
        """What the coming extraction reads: with PII leaves, every encoder pass also runs the PII
        name head, so a text is encoded once for both (without them, the head's ~4% is saved)."""
        self._want_names = self._want_names or "pii" in leaf_types

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised embeddings of ``texts`` (rows aligned); each distinct text is encoded once ever.

        Work goes in chunks of ``batch_size`` texts, each stored in the disk cache as soon as it
        is encoded, so an interrupted run keeps its progress (and drives the progress bar).
        """
        head = self.name_head if self._want_names else None
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors
                                     or (head is not None and t not in self._name_scores)))
        what: object = ("sentence-embedding", "pii-names", head.model_sha256) if head else "sentence-embedding"

        def encode(chunk: list[str]) -> np.ndarray:
            if head is None:
                return np.asarray(self.encoder.encode(chunk), dtype=np.float32)
            return np.hstack(self.encoder.encode_with(chunk, head))

        for start in range(0, len(missing), self.batch_size):
            chunk = missing[start:start + self.batch_size]
            rows = self._cached(chunk, self.encoder.model_sha256, what, encode)
            dim = rows.shape[1] - (head.width if head else 0)
            self._vectors.update(zip(chunk, rows[:, :dim]))
            if head:
                self._name_scores.update(zip(chunk, rows[:, dim:]))
            if self.progress:
                self.progress(min(start + self.batch_size, len(missing)), len(missing))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts])

    def similarities(self, texts: pl.Series, candidates: Sequence[str]) -> np.ndarray:
        """Cosine similarity of every request text to every candidate phrase: [requests, candidates]."""
        uniq, index = _row_index(texts)
        if not candidates:
            return np.zeros((len(texts), 0), dtype=np.float32)
        return (self.embed(uniq.to_list()) @ self.embed(list(candidates)).T)[index]

    # -- classifier heads and PII ----------------------------------------------------------
    def head_probabilities(self, name: str, texts: pl.Series) -> tuple[list[str], np.ndarray]:
        """(labels, probabilities [requests, labels]) of a head run on the shared embeddings."""
        head = self.head(name)
        rows = self._head_rows.setdefault(name, {})
        uniq, index = _row_index(texts)
        missing = [t for t in uniq.to_list() if t not in rows]
        if missing:
            probs = self._cached(missing, head.model_sha256, f"head:{name}",
                                 lambda ts: head.predict_embeddings(self.embed(ts)).probs)
            rows.update(zip(missing, probs))
        self._head_labels[name] = tuple(head.labels)
        matrix = np.stack([rows[t] for t in uniq.to_list()]) if len(uniq) else np.zeros((0, len(head.labels)))
        return list(head.labels), matrix.astype(np.float64)[index]

    def pii_scores(self, texts: pl.Series) -> dict[str, np.ndarray]:
        """Max detector score per PII entity type, per request: patterns for the structured types,
        the name head (from the shared encoder pass) for the name-like ones."""
        uniq, index = _row_index(texts)
        distinct = uniq.to_list()
        names = None
        if self.name_head is not None:
            self._want_names = True
            self.embed(distinct)
            rows = [self._name_scores[t] for t in distinct]
            names = _inference().Scores(self.name_head.labels,
                                        np.stack(rows) if rows else np.zeros((0, self.name_head.width), np.float32))
        scores = _inference().detect_pii(distinct, name_scores=names)
        return {label: scores.probs[:, j].astype(np.float64)[index] for j, label in enumerate(scores.labels)}
