"""Model-backed inputs of neural signals: one encoder pass per distinct text, shared by every signal.

:class:`NeuralContext` is the only place that calls models. It embeds each distinct text once
(prompts, and separately each signal's candidate phrases) and memoises the vectors, so
embedding, complexity, domain and jailbreak heads all read the same matrix; an on-disk score
cache (``policies.inference.cache``) keyed by text hash + model hash makes a second process skip
the encoder too. Models load lazily from ``policies.inference`` on first use; when that package
or a model is missing, the signals that need it are reported unavailable, never silently false.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import polars as pl

from .signals.base import Unavailable

Progress = Callable[[int, int], None]  # (texts done, texts total)


def _inference() -> Any:
    try:
        from .. import inference
    except ImportError as exc:  # the inference package ships separately from the engine core
        raise Unavailable(f"model inference is not installed ({exc})") from None
    return inference


class NeuralContext:
    """Lazily loaded encoder and heads plus the per-text memo of their outputs."""

    def __init__(self, encoder: Any = None, *, domain: Any = None, jailbreak: Any = None,
                 pii: Callable[[Sequence[str]], Any] | None = None, batch_size: int = 64,
                 progress: Progress | None = None) -> None:
        self._encoder = encoder
        self._domain = domain
        self._jailbreak = jailbreak
        self._pii = pii
        self.batch_size = batch_size
        self.progress = progress
        self._vectors: dict[str, np.ndarray] = {}

    # -- models --------------------------------------------------------------------------
    @property
    def encoder(self) -> Any:
        if self._encoder is None:
            try:
                self._encoder = _inference().default_encoder()
            except (OSError, FileNotFoundError) as exc:
                raise Unavailable(f"text encoder cannot be loaded: {exc}") from None
        return self._encoder

    def head(self, name: str) -> Any:
        """A classifier head over embeddings: ``domain`` or ``jailbreak``."""
        attr = f"_{name}"
        if getattr(self, attr) is None:
            factory = getattr(_inference(), f"{name}_classifier", None)
            if factory is None:
                raise Unavailable(f"no {name} classifier in policies.inference")
            setattr(self, attr, factory())
        return getattr(self, attr)

    # -- embeddings ----------------------------------------------------------------------
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised embeddings of ``texts`` (rows aligned); each distinct text is encoded once ever."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        for start in range(0, len(missing), self.batch_size):
            chunk = missing[start:start + self.batch_size]
            vectors = np.asarray(self.encoder.encode(chunk), dtype=np.float32)
            self._vectors.update(zip(chunk, vectors))
            if self.progress:
                self.progress(min(start + self.batch_size, len(missing)), len(missing))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts])

    def embed_series(self, texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
        """(matrix of distinct texts, row index per request) — keeps memory at one row per distinct text."""
        uniq = texts.unique(maintain_order=True)
        index = pl.DataFrame({"t": texts}).join(
            pl.DataFrame({"t": uniq, "i": pl.int_range(uniq.len(), eager=True)}), on="t", how="left",
            maintain_order="left")["i"].to_numpy()
        return self.embed(uniq.to_list()), index

    def similarities(self, texts: pl.Series, candidates: Sequence[str]) -> np.ndarray:
        """Cosine similarity of every request text to every candidate phrase: [requests, candidates]."""
        matrix, index = self.embed_series(texts)
        if not candidates:
            return np.zeros((len(texts), 0), dtype=np.float32)
        return (matrix @ self.embed(list(candidates)).T)[index]

    # -- classifier heads and PII ----------------------------------------------------------
    def head_probabilities(self, name: str, texts: pl.Series) -> tuple[list[str], np.ndarray]:
        """(labels, probabilities [requests, labels]) of a head over the shared embeddings."""
        head = self.head(name)
        matrix, index = self.embed_series(texts)
        if hasattr(head, "predict_proba"):
            probs = head.predict_proba(matrix)
        else:
            probs = head(matrix)
        labels = list(getattr(head, "labels", None) or getattr(head, "classes", None) or [])
        if not labels:
            raise Unavailable(f"{name} classifier does not name its labels")
        return labels, np.asarray(probs, dtype=np.float64)[index]

    def pii_scores(self, texts: pl.Series) -> dict[str, np.ndarray]:
        """Max detector score per PII entity type, per request (types never seen are absent)."""
        detect = self._pii or getattr(_inference(), "detect_pii", None)
        if detect is None:
            raise Unavailable("no PII detector in policies.inference")
        uniq = texts.unique(maintain_order=True)
        found = detect(uniq.to_list())
        per_type: dict[str, np.ndarray] = {}
        for row, entities in enumerate(found):
            for entity in entities or []:
                kind, score = _entity(entity)
                column = per_type.setdefault(kind, np.zeros(len(uniq)))
                column[row] = max(column[row], score)
        index = pl.DataFrame({"t": texts}).join(
            pl.DataFrame({"t": uniq, "i": pl.int_range(uniq.len(), eager=True)}), on="t", how="left",
            maintain_order="left")["i"].to_numpy()
        return {kind: values[index] for kind, values in per_type.items()}


def _entity(entity: Any) -> tuple[str, float]:
    """(entity type, score) from a detector result given as a mapping or an object."""
    get = entity.get if isinstance(entity, dict) else lambda k, default=None: getattr(entity, k, default)
    kind = get("entity_type") or get("type") or get("label")
    score = get("score")
    if score is None:
        score = get("confidence", 1.0)
    return str(kind).upper(), float(score)
