"""Classifier models behind one interface, ``predict(texts) -> Scores``, plus a registry.

Three kinds (the ``kind`` field of the manifest and of :func:`register_model`):

* ``embedding``: a head that takes the shared 384-d ``sentence_embedding`` (our domain and
  jailbreak heads), so one encoder pass per request serves all heads;
* ``sequence_classification``: a full model taking ``input_ids``/``attention_mask`` (e.g. a vLLM
  SR ModernBERT export) returning logits or probabilities per class;
* ``token_classification``: BIO token labels, reduced to one score per entity type (the highest
  ``P(B-X) + P(I-X)`` over the text's tokens).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from policies.errors import PolicyError
from policies.inference.bundle import file_sha256, load_labels
from policies.inference.cache import ScoreCache, definition_sha
from policies.inference.encoder import TextEncoder, load_tokenizer, pad_batch, pad_id, unpadded_ids
from policies.inference.providers import create_session
from policies.inference.scores import Scores

KINDS = ("embedding", "sequence_classification", "token_classification")


class Classifier(Protocol):
    labels: tuple[str, ...]

    def predict(self, texts: Sequence[str], cache: ScoreCache | None = None) -> Scores: ...


def softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def as_probabilities(out: np.ndarray) -> np.ndarray:
    """Leave probability rows alone; softmax anything else (logits)."""
    if out.min() >= 0.0 and out.max() <= 1.0 and np.allclose(out.sum(axis=-1), 1.0, atol=1e-3):
        return out.astype(np.float32)
    return softmax(out.astype(np.float32))


def _check_width(path: Path, labels: Sequence[str], width: int | str | None) -> None:
    if isinstance(width, int) and width != len(labels):
        raise PolicyError.single("model-labels", f"{path} outputs {width} classes but {len(labels)} labels were given",
                                 file=str(path))


class _Base(ABC):
    """Session, labels and cached prediction shared by all kinds."""

    kind = ""

    def __init__(self, path: str | Path, labels: Sequence[str], provider: str | None) -> None:
        self.path = Path(path)
        self.session = create_session(self.path, provider)
        self.labels = tuple(labels)
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.output_name = self.session.get_outputs()[0].name

    @abstractmethod
    def _raw(self, texts: list[str]) -> np.ndarray:
        """Probabilities for non-empty ``texts``, shape (len(texts), len(labels))."""

    def predict(self, texts: Sequence[str], cache: ScoreCache | None = None) -> Scores:
        """Probabilities for every text; with a cache, only unseen texts run the model."""
        texts = list(texts)
        if cache is None or not texts:
            probs = self._raw(texts) if texts else np.zeros((0, len(self.labels)), np.float32)
        else:
            probs = cache.scores(texts, self.model_sha256, definition_sha(self.kind, self.labels), self._raw)
        return Scores(self.labels, probs)

    @property
    def model_sha256(self) -> str:
        return file_sha256(self.path)


class EmbeddingClassifier(_Base):
    """A head over the shared sentence embedding; its cache key includes the encoder's weights."""

    kind = "embedding"

    def __init__(self, path: str | Path, labels: Sequence[str], encoder: TextEncoder,
                 provider: str | None = None) -> None:
        super().__init__(path, labels, provider)
        self.encoder = encoder
        _check_width(self.path, self.labels, self.session.get_outputs()[0].shape[-1])

    @property
    def model_sha256(self) -> str:
        return file_sha256(self.path) + file_sha256(self.encoder.model_path)[:16]

    def predict_embeddings(self, embeddings: np.ndarray) -> Scores:
        """Scores from embeddings already computed (one encoder pass shared by several heads)."""
        feeds = {self.input_names[0]: np.asarray(embeddings, dtype=np.float32)}
        return Scores(self.labels, as_probabilities(self.session.run([self.output_name], feeds)[0]))

    def _raw(self, texts: list[str]) -> np.ndarray:
        return self.predict_embeddings(self.encoder.encode(texts)).probs


class _TokenModel(_Base):
    """Models that tokenise for themselves; batches of 16 sorted by length."""

    batch_size = 16

    def __init__(self, path: str | Path, labels: Sequence[str], tokenizer: str | Path,
                 provider: str | None = None, max_tokens: int = 512) -> None:
        super().__init__(path, labels, provider)
        self.tokenizer = load_tokenizer(tokenizer, max_tokens)
        self.pad_id = pad_id(self.tokenizer)

    @abstractmethod
    def _reduce(self, out: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """One probability row per text from the model's raw output for a padded batch."""

    def _raw(self, texts: list[str]) -> np.ndarray:
        ids = unpadded_ids(self.tokenizer.encode_batch(texts))
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        result = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        for b in range(0, len(order), self.batch_size):
            members = order[b:b + self.batch_size]
            feeds = pad_batch([ids[i] for i in members], self.pad_id, self.input_names)
            out = self.session.run([self.output_name], feeds)[0]
            result[members] = self._reduce(out, feeds["attention_mask"])
        return result


class SequenceClassifier(_TokenModel):
    """Text in, one probability per class out."""

    kind = "sequence_classification"

    def _reduce(self, out: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if out.shape[-1] != len(self.labels):
            raise PolicyError.single("model-labels", f"{self.path} outputs {out.shape[-1]} classes but "
                                     f"{len(self.labels)} labels were given", file=str(self.path))
        return as_probabilities(out)


class TokenClassifier(_TokenModel):
    """BIO token labels in the label list; ``labels`` of the result are the entity types."""

    kind = "token_classification"

    def __init__(self, path: str | Path, labels: Sequence[str], tokenizer: str | Path,
                 provider: str | None = None, max_tokens: int = 512) -> None:
        self.bio_labels = tuple(labels)
        entities = sorted({lab[2:] for lab in labels if lab[:2] in ("B-", "I-")})
        super().__init__(path, entities, tokenizer, provider, max_tokens)
        self.columns = [[j for j, lab in enumerate(self.bio_labels) if lab[2:] == ent and lab[:2] in ("B-", "I-")]
                        for ent in entities]

    def _reduce(self, out: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if out.shape[-1] != len(self.bio_labels):
            raise PolicyError.single("model-labels", f"{self.path} outputs {out.shape[-1]} token classes but "
                                     f"{len(self.bio_labels)} BIO labels were given", file=str(self.path))
        probs = as_probabilities(out) * mask[..., None]
        return np.stack([probs[..., cols].sum(axis=-1).max(axis=-1) for cols in self.columns], axis=-1)


@dataclass(frozen=True)
class ModelSpec:
    """What :func:`register_model` records; the model loads on first use."""

    name: str
    path: Path
    kind: str
    labels: tuple[str, ...]
    tokenizer: Path | None = None


class Registry:
    """Named models, loaded lazily once and shared (thread-safe)."""

    def __init__(self, encoder: Callable[[], TextEncoder]) -> None:
        self._specs: dict[str, ModelSpec] = {}
        self._loaded: dict[str, Classifier] = {}
        self._encoder = encoder
        self._lock = threading.Lock()

    def register(self, name: str, path: str | Path, kind: str, labels: Sequence[str] | str | Path,
                 tokenizer: str | Path | None = None) -> ModelSpec:
        """Check the files exist and record the model (replacing one of the same name)."""
        path = Path(path)
        if kind not in KINDS:
            raise PolicyError.single("model-kind", f"unknown model kind '{kind}' for {path}", file=str(path),
                                     suggestion="one of " + ", ".join(KINDS))
        if not path.is_file():
            raise PolicyError.single("model-missing", f"model file not found: {path}", file=str(path))
        if kind != "embedding":
            if tokenizer is None:
                raise PolicyError.single("tokenizer-missing", f"{kind} model {path} needs a tokenizer.json",
                                         file=str(path))
            if not Path(tokenizer).is_file():
                raise PolicyError.single("tokenizer-missing", f"tokenizer file not found: {tokenizer}",
                                         file=str(tokenizer))
        label_list = load_labels(Path(labels)) if isinstance(labels, (str, Path)) else list(labels)
        spec = ModelSpec(name, path, kind, tuple(label_list), Path(tokenizer) if tokenizer else None)
        with self._lock:
            self._specs[name] = spec
            self._loaded.pop(name, None)
        return spec

    def names(self) -> list[str]:
        return sorted(self._specs)

    def get(self, name: str) -> Classifier:
        """The loaded model, loading it on first use."""
        with self._lock:
            if name in self._loaded:
                return self._loaded[name]
            spec = self._specs.get(name)
        if spec is None:
            raise PolicyError.single("model-unknown", f"no model registered as '{name}'",
                                     suggestion="registered: " + ", ".join(self.names()))
        model: Classifier
        if spec.kind == "embedding":
            model = EmbeddingClassifier(spec.path, spec.labels, self._encoder())
        elif spec.kind == "sequence_classification":
            model = SequenceClassifier(spec.path, spec.labels, spec.tokenizer)
        else:
            model = TokenClassifier(spec.path, spec.labels, spec.tokenizer)
        with self._lock:
            return self._loaded.setdefault(name, model)
