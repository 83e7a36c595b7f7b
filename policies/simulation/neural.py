"""Model-backed inputs of neural signals: one encoder pass per distinct text, shared by every signal.

:class:`NeuralContext` is the only place that calls models (``policies.inference``). It embeds
each distinct text once — prompts, and each signal's candidate phrases — and memoises the
vectors, so embedding, complexity, preference, reask, domain and jailbreak signals all read the
same matrix; the heads run on those embeddings (``predict_embeddings``), never re-encoding. When
the policy has PII signals (:meth:`NeuralContext.plan`), the PII name head runs inside that same
pass, on the encoder's token features, while the PII patterns scan the same texts in a thread
beside it (:meth:`NeuralContext.prefetch_pii`; the encoder's onnxruntime runs release the GIL).
Every vector also goes through the on-disk :class:`policies.inference.ScoreCache`, keyed by text
hash + model (or pattern code) hash + what is computed, so another process (the CLI, the studio)
skips the models too, and the shipped score layer under it covers the sample traffic on a fresh
install. Embeddings and name scores are stored under keys of their own (though computed in one
pass), so a policy without PII signals reads the same embeddings. Raw scores stay in the
simulation's :class:`.extract.RawStore`, so threshold edits never touch this module. Models load
lazily; a model that cannot load (a missing bundle or head) is a :class:`PolicyError` naming the
file, never a signal silently off: an answer computed without the models would be wrong, and a
success code would hide it.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import polars as pl

from ..errors import PolicyError
from ..models_config import KIND_ROLES, ModelsConfig, active_models

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
                 batch_size: int = 512, progress: Progress | None = None, store: Any = None,
                 models: ModelsConfig | None = None) -> None:
        """``models``: a team's own models per signal kind or signal (default: the process's mapping,
        :func:`policies.models_config.active_models`, empty unless the CLI set one)."""
        self._encoder = encoder
        self.models = active_models() if models is None else models
        self._children: dict[tuple[str, str], NeuralContext] = {}  # per (model dir, role): see for_signal
        self._pii_model: Any = None  # a user's token classifier, in a child context
        self._heads: dict[str, Any] = {}
        self._cache_dir = cache_dir
        self._use_disk = use_disk_cache
        self._cache: Any = store  # a ScoreStore of the caller's (a cluster's Parquet scores), else ScoreCache
        self.batch_size = batch_size
        self.progress = progress
        self._vectors: dict[str, np.ndarray] = {}
        self._name_scores: dict[str, np.ndarray] = {}  # PII name head's scores, filled by embed()
        self._patterns: dict[str, np.ndarray] = {}  # PII pattern scores per text
        self._shas: dict[str, str] = {}  # cache keys of the texts seen (each hashed once)
        self._pending: list[tuple[frozenset[str], Future]] = []  # pattern passes beside the encoder (prefetch_pii)
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
        """The classifier of signal kind ``name``: a user's model (in a child context, see
        :meth:`for_signal`) or a bundled head over the shared embeddings (``domain``, ``jailbreak``)."""
        if name not in self._heads:
            bundled = getattr(_inference(), f"{name}_classifier", None)
            if bundled is None:
                from ..signals.base import Unavailable

                raise Unavailable(f"give a model for {name} signals with --model {name}=DIR (a Hugging Face "
                                  "ONNX export) or in models.yaml")
            self._heads[name] = _load(f"{name} classifier", bundled)
        return self._heads[name]

    # -- a team's own models -------------------------------------------------------------
    def for_signal(self, signal: Any) -> "NeuralContext":
        """The context that computes ``signal``: this one, or (when :attr:`models` binds a model to the
        signal or its kind) a child that runs that model, shares the disk cache and keeps its own memos
        (another model's embeddings must never mix with the bundled encoder's). Children are shared by
        every signal bound to the same directory; the model and its labels are checked here."""
        binding = self.models.find(signal.leaf_type, signal.name) if self.models else None
        if binding is None:
            return self
        role = model_role(signal)
        key = (str(binding.path.resolve()), role)
        child = self._children.get(key)
        if child is None:
            model = _located(binding, lambda: _inference().hf_models.load_model(binding.path, role))
            child = NeuralContext(model if role == "embedding" else self._encoder, cache_dir=self._cache_dir,
                                  use_disk_cache=self._use_disk, batch_size=self.batch_size,
                                  progress=self.progress, models=type(self.models)())
            child._cache = self.cache
            child._name_head = None  # a child computes only its bound model's signals
            if role == "token":
                child._pii_model = model
            elif role == "sequence":
                child._heads[signal.leaf_type] = model
            self._children[key] = child
        if role != "embedding":
            check_labels(signal, child._pii_model if role == "token" else child._heads[signal.leaf_type], binding)
        return child

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
        cache = _inference().cache
        shas = [self._shas.get(t) or self._shas.setdefault(t, cache.text_sha(t)) for t in texts]
        return self.cache.scores(texts, model_sha, cache.definition_sha(what), compute, shas)

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
        for start in range(0, len(missing), self.batch_size):
            chunk = missing[start:start + self.batch_size]
            vectors, names = self._encoded(chunk, head)
            self._vectors.update(zip(chunk, vectors))
            if names is not None:
                self._name_scores.update(zip(chunk, names))
            if self.progress:
                self.progress(min(start + self.batch_size, len(missing)), len(missing))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts])

    def _encoded(self, texts: list[str], head: Any) -> tuple[np.ndarray, np.ndarray | None]:
        """(embeddings, name head scores or None) of ``texts``, through the cache: one encoder pass
        over the texts missing either, whose embeddings serve both keys."""
        encoder_sha = self.encoder.model_sha256
        fresh: dict[str, np.ndarray] = {}  # embeddings from the name pass, for the embedding key
        names = None
        if head is not None:
            def encode_with(chunk: list[str]) -> np.ndarray:
                vectors, scores = self.encoder.encode_with(chunk, head)
                fresh.update(zip(chunk, vectors))
                return scores
            names = self._cached(texts, encoder_sha, ("pii-names", head.model_sha256), encode_with)

        def encode(chunk: list[str]) -> np.ndarray:
            todo = [t for t in chunk if t not in fresh]
            if todo:
                fresh.update(zip(todo, np.asarray(self.encoder.encode(todo), dtype=np.float32)))
            return np.stack([fresh[t] for t in chunk])
        return self._cached(texts, encoder_sha, "sentence-embedding", encode), names

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
            if hasattr(head, "predict_embeddings"):  # a bundled head: reads the shared encoder pass
                probs = self._cached(missing, head.model_sha256, f"head:{name}",
                                     lambda ts: head.predict_embeddings(self.embed(ts)).probs)
            else:  # a whole model (a user's): tokenises for itself
                probs = self._cached(missing, head.model_sha256, ("model", head.kind, tuple(head.labels)),
                                     lambda ts: head.predict(ts).probs)
            rows.update(zip(missing, probs))
        labels = output_labels(name, head.labels)
        self._head_labels[name] = labels
        matrix = np.stack([rows[t] for t in uniq.to_list()]) if len(uniq) else np.zeros((0, len(labels)))
        return list(labels), matrix.astype(np.float64)[index]

    def prefetch_pii(self, texts: pl.Series) -> None:
        """Start the PII pattern pass over ``texts`` in a thread, beside the encoder pass that comes
        next (:meth:`pii_scores` waits for it). Pure Python regexes hold the GIL, but onnxruntime
        and Polars release it, so on two cores the two passes overlap instead of adding up."""
        todo = [t for t in texts.unique(maintain_order=True).to_list() if t not in self._patterns]
        if todo and self._pii_model is None:
            names_by_model = self.name_head is not None  # decided here, before the thread starts
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pii-patterns")
            running = [(held, future) for held, future in self._pending if not future.done()]
            self._pending = [*running, (frozenset(todo), pool.submit(self._pattern_rows, todo, names_by_model))]
            pool.shutdown(wait=False)

    def _pattern_rows(self, texts: list[str], names_by_model: bool) -> None:
        """:func:`policies.inference.pii.pattern_scores` of ``texts``, through the cache (keyed by
        the pattern code's hash, as model scores are by the model file's)."""
        pii = _inference().pii
        what = ("pii-patterns", tuple(pii.PII_TYPES), "names-by-model" if names_by_model else "names-by-patterns")
        rows = self._cached(texts, pii.patterns_sha(), what,
                            lambda chunk: pii.pattern_scores(chunk, names_by_model=names_by_model))
        self._patterns.update(zip(texts, rows))

    def pii_scores(self, texts: pl.Series) -> dict[str, np.ndarray]:
        """Max detector score per PII entity type, per request: patterns for the structured types,
        the name head (from the shared encoder pass) for the name-like ones."""
        uniq, index = _row_index(texts)
        distinct = uniq.to_list()
        if self._pii_model is not None:
            return self._user_pii_scores(distinct, index)
        names = None
        if self.name_head is not None:
            self._want_names = True
            self.embed(distinct)
            rows = [self._name_scores[t] for t in distinct]
            names = _inference().Scores(self.name_head.labels,
                                        np.stack(rows) if rows else np.zeros((0, self.name_head.width), np.float32))
        wanted = set(distinct)
        for held, future in list(self._pending):  # (another thread, e.g. a studio tab, may add to it)
            if not held.isdisjoint(wanted):
                future.result()  # re-raises a failure of the pattern thread
        todo = [t for t in distinct if t not in self._patterns]
        if todo:
            self._pattern_rows(todo, names_by_model=names is not None)
        patterns = (np.stack([self._patterns[t] for t in distinct]) if distinct
                    else np.zeros((0, len(_inference().pii.PII_TYPES)), np.float32))
        scores = _inference().pii.with_name_scores(patterns, names)
        return {label: scores.probs[:, j].astype(np.float64)[index] for j, label in enumerate(scores.labels)}

    def _user_pii_scores(self, distinct: list[str], index: np.ndarray) -> dict[str, np.ndarray]:
        """A user's token classifier as the PII detector: its entity types' scores only (the
        router runs its PII model alone; no pattern of ours joins in)."""
        model = self._pii_model
        rows = (self._cached(distinct, model.model_sha256, ("model", model.kind, tuple(model.token_labels)),
                             lambda ts: model.predict(ts).probs) if distinct else np.zeros((0, len(model.labels)), np.float32))
        return {label: np.asarray(rows)[:, j].astype(np.float64)[index] for j, label in enumerate(model.labels)}

    def pii_evidence(self, texts: list[str], name_found_from: float) -> list[list[Any]]:
        """Per text, the entities found (:class:`policies.inference.PiiMatch`: type, words, score): a
        user's token classifier's spans; else the patterns' matches and the name head's names (tokens
        scoring ``name_found_from`` or more for a type), or the name patterns where the head cannot run."""
        if self._pii_model is not None:
            return self._pii_model.spans(texts)
        pii = _inference().pii
        if self.name_head is None:
            return [pii.find_pii(text) for text in texts]
        names = self.name_head.spans(self.encoder, texts, name_found_from)
        return [pii.find_pii(text, [r for r, _ in pii.RECOGNISERS]) + found for text, found in zip(texts, names)]


def model_role(signal: Any) -> str:
    """How ``signal`` uses a bound model (:data:`policies.models_config.KIND_ROLES`): a jailbreak
    signal's ``method: contrastive`` compares embeddings; every other method runs a classifier."""
    if signal.leaf_type == "jailbreak":
        return "embedding" if getattr(signal, "contrastive", False) else "sequence"
    return KIND_ROLES[signal.leaf_type][0]


# signal kinds whose labels the router compares lower case (buildCategoryNameMappings)
LOWER_CASE_LABELS = frozenset({"domain"})


def output_labels(kind: str, labels: Sequence[str]) -> tuple[str, ...]:
    """A classifier's labels as ``kind``'s signals compare them."""
    return tuple(label.lower() for label in labels) if kind in LOWER_CASE_LABELS else tuple(labels)


def check_labels(signal: Any, model: Any, binding: Any) -> None:
    """Raise ``model-labels`` when ``signal`` names what the bound model never emits, listing both."""
    labels = output_labels(signal.leaf_type, model.labels)
    kind = signal.leaf_type
    if kind == "domain":
        wanted = signal.categories()
    elif kind == "jailbreak":
        from ..signals.jailbreak import POSITIVE_LABELS

        wanted = [] if set(POSITIVE_LABELS) & set(labels) else list(POSITIVE_LABELS)
    elif kind == "pii":
        wanted = [t.upper() for t in signal.pii_types_allowed or []]
    else:  # fact_check, user_feedback, modality: the signal's name is a label
        wanted = [signal.name]
    missing = [w for w in wanted if w not in labels]
    if missing:
        raise PolicyError.single("model-labels", f"{kind} signal '{signal.name}' needs label(s) {missing} that the "
                                 f"model {binding.path} (from {binding.origin}) does not emit; its labels: "
                                 f"{list(labels)}", file=str(binding.path / "config.json"),
                                 suggestion="match the policy to the model's id2label, or bind another model")


def _located(binding: Any, make: Callable[[], Any]) -> Any:
    """``make()``, its errors saying which binding (and who chose it) the model came from."""
    try:
        return _load(f"model {binding.path}", make)
    except PolicyError as exc:
        raise PolicyError([replace(f, message=f"{binding.key} model (from {binding.origin}): {f.message}")
                           for f in exc.findings]) from exc
