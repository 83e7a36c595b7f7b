"""A user's own model in the Hugging Face ONNX layout: ``config.json`` (``id2label``), ``tokenizer.json``
and ``model.onnx``, as ``optimum`` exports it and as the router's classifiers ship.

Why a loader of its own: the bundled models are headless (one encoder, heads over its embedding), while
a team's production classifiers are whole models that tokenise for themselves. Three roles, chosen by
the signal kind that uses the model (:func:`role_for`):

* ``sequence``: text in, ``logits`` ``[batch, labels]`` out (domain, jailbreak, fact_check,
  user_feedback, modality; any label set);
* ``token``: ``logits`` ``[batch, tokens, labels]`` (PII). Labels are BIO (``B-PERSON``) or plain
  (``PERSON``), ``O`` is no entity. As the router's token classifier does, a token counts for the
  type that wins its softmax; consecutive counted tokens of one type form a span (a ``B-`` label starts
  a new one), widened to whole words, and a type's score per text is its best span's score, so every
  score comes with the words that fired (:meth:`HfTokenClassifier.spans`);
* ``embedding``: ``sentence_embedding`` ``[batch, dim]`` or ``last_hidden_state`` ``[batch, tokens,
  dim]`` (mean-pooled over the attention mask), served by :class:`.encoder.TextEncoder`.

Inputs must be among ``input_ids``, ``attention_mask``, ``token_type_ids`` (``input_ids`` required). Every
check runs when the model loads and fails with a named error (``model-dir``, ``model-missing``,
``tokenizer-missing``, ``model-config``, ``model-inputs``, ``model-outputs``, ``model-labels``) naming the
file, never at the first batch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from policies.errors import PolicyError
from policies.inference.classifiers import SequenceClassifier, _TokenModel, softmax
from policies.inference.encoder import TextEncoder, pad_batch, unpadded_ids
from policies.inference.pii import PiiMatch, token_spans

CONFIG_FILE, MODEL_FILE, TOKENIZER_FILE = "config.json", "model.onnx", "tokenizer.json"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
LOGITS = "logits"
ROLES = ("sequence", "token", "embedding")
NO_ENTITY = "O"


def model_files(directory: Path) -> tuple[Path, Path, Path]:
    """(config.json, model.onnx, tokenizer.json) of a model directory, each checked to exist."""
    if not directory.is_dir():
        raise PolicyError.single("model-dir", f"model directory not found: {directory}", file=str(directory),
                                 suggestion="a Hugging Face ONNX export: config.json, tokenizer.json, model.onnx")
    files = tuple(directory / name for name in (CONFIG_FILE, MODEL_FILE, TOKENIZER_FILE))
    for path in files:
        if not path.is_file():
            code = "tokenizer-missing" if path.name == TOKENIZER_FILE else "model-missing"
            raise PolicyError.single(code, f"{directory} has no {path.name}", file=str(path),
                                     suggestion="export with `optimum-cli export onnx` or copy the file there")
    return files  # type: ignore[return-value]


def read_labels(config: Path, required: bool = True) -> tuple[str, ...]:
    """Labels in output-column order from ``config.json``'s ``id2label`` (keys 0..n-1)."""
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PolicyError.single("model-config", f"cannot read {config}: {exc}", file=str(config)) from exc
    if not isinstance(data, dict):
        raise PolicyError.single("model-config", f"{config} is not a JSON object", file=str(config))
    mapping = data.get("id2label")
    if mapping is None:
        if not required:
            return ()
        raise PolicyError.single("model-config", f"{config} has no id2label: a classifier needs its label names",
                                 file=str(config), suggestion='add "id2label": {"0": "first label", ...}')
    try:
        ids = {int(k): str(v) for k, v in dict(mapping).items()}
    except (TypeError, ValueError) as exc:
        raise PolicyError.single("model-config", f"{config}: id2label must map 0..n-1 to names ({exc})",
                                 file=str(config)) from exc
    if sorted(ids) != list(range(len(ids))) or not ids:
        raise PolicyError.single("model-config", f"{config}: id2label keys must be 0..n-1, got {sorted(ids)}",
                                 file=str(config))
    return tuple(ids[i] for i in range(len(ids)))


def check_inputs(path: Path, names: Sequence[str]) -> None:
    """Raise ``model-inputs`` unless the graph reads only the tokenizer's inputs, ``input_ids`` among them."""
    unknown = [n for n in names if n not in INPUTS]
    if unknown or "input_ids" not in names:
        raise PolicyError.single("model-inputs", f"{path} has inputs {list(names)}; expected input_ids and "
                                 f"optionally attention_mask, token_type_ids", file=str(path))


def output_rank(session: Any, name: str) -> int | None:
    """Rank of a graph output, None when the graph has no output of that name."""
    found = next((o for o in session.get_outputs() if o.name == name), None)
    return None if found is None else len(found.shape)


def check_logits(path: Path, session: Any, rank: int, labels: Sequence[str], what: str) -> None:
    """``logits`` of ``rank`` dims whose last (when static) is one column per label."""
    names = [o.name for o in session.get_outputs()]
    if output_rank(session, LOGITS) != rank:
        shape = "[batch, labels]" if rank == 2 else "[batch, tokens, labels]"
        raise PolicyError.single("model-outputs", f"{path} has outputs {names}; a {what} must output "
                                 f"'{LOGITS}' {shape}", file=str(path))
    width = next(o for o in session.get_outputs() if o.name == LOGITS).shape[-1]
    if isinstance(width, int) and width != len(labels):
        raise PolicyError.single("model-labels", f"{path} outputs {width} classes but id2label names "
                                 f"{len(labels)}", file=str(path))


class HfSequenceClassifier(SequenceClassifier):
    """A whole-model text classifier; probabilities are the softmax of its ``logits``."""

    def __init__(self, directory: Path, provider: str | None = None) -> None:
        config, model, tokenizer = model_files(directory)
        super().__init__(model, read_labels(config), tokenizer, provider)
        self.directory = directory
        check_inputs(self.path, self.input_names)
        check_logits(self.path, self.session, 2, self.labels, "sequence classifier")
        self.output_name = LOGITS


def entity_type(label: str) -> str | None:
    """``B-X``/``I-X``/``X`` -> ``X``; ``O`` -> None."""
    if label == NO_ENTITY:
        return None
    return label[2:] if label[:2] in ("B-", "I-") else label


class HfTokenClassifier(_TokenModel):
    """Token labels reduced to entity spans; ``labels`` of its scores are the entity types."""

    kind = "token_classification"

    def __init__(self, directory: Path, provider: str | None = None) -> None:
        config, model, tokenizer = model_files(directory)
        self.token_labels = read_labels(config)
        self.token_types = [entity_type(label) for label in self.token_labels]
        types = sorted({t for t in self.token_types if t is not None})
        if not types:
            raise PolicyError.single("model-labels", f"{config}: id2label has no entity label, only "
                                     f"{list(self.token_labels)}", file=str(config))
        super().__init__(model, types, tokenizer, provider)
        self.directory = directory
        check_inputs(self.path, self.input_names)
        check_logits(self.path, self.session, 3, self.token_labels, "token classifier")
        self.output_name = LOGITS
        # token label -> entity column, -1 for O
        self._column = np.array([-1 if t is None else types.index(t) for t in self.token_types])

    def _reduce(self, out: np.ndarray, mask: np.ndarray) -> np.ndarray:  # unused: _raw works per token
        raise NotImplementedError

    def _token_probs(self, texts: list[str]) -> list[tuple[Any, np.ndarray]]:
        """Per text, its encoding and token-label probabilities [tokens, labels] (padding dropped)."""
        encodings = self.tokenizer.encode_batch(texts)
        ids = unpadded_ids(encodings)
        out: list[Any] = [None] * len(texts)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for b in range(0, len(order), self.batch_size):
            members = order[b:b + self.batch_size]
            feeds = pad_batch([ids[i] for i in members], self.pad_id, self.input_names)
            probs = softmax(self.session.run([LOGITS], feeds)[0].astype(np.float32))
            for row, i in enumerate(members):
                out[i] = (encodings[i], probs[row, :len(ids[i])])
        return out

    def spans(self, texts: Sequence[str]) -> list[list[PiiMatch]]:
        """Per text, the entities found: type, character span widened to words, the words, the score
        (the best token probability of that type inside the span)."""
        return [self._spans(text, enc, probs) for text, (enc, probs) in zip(texts, self._token_probs(list(texts)))]

    def _spans(self, text: str, encoding: Any, probs: np.ndarray) -> list[PiiMatch]:
        """The type winning each token's softmax (its labels' summed probability as the score)."""
        type_probs = np.zeros((len(probs), len(self.labels)), dtype=np.float32)
        for j, col in enumerate(self._column):
            if col >= 0:
                type_probs[:, col] += probs[:, j]
        tokens = []
        for k, label in enumerate(probs.argmax(axis=1)):
            start, end = encoding.offsets[k]
            col = int(self._column[label])
            tokens.append((start, end, None if col < 0 else self.labels[col],
                           0.0 if col < 0 else float(type_probs[k, col]), self.token_labels[label].startswith("B-")))
        return token_spans(text, tokens)

    def _raw(self, texts: list[str]) -> np.ndarray:
        """Per text and type, its best span's score (0 when the type wins no token)."""
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        for i, matches in enumerate(self.spans(texts)):
            for m in matches:
                j = self.labels.index(m.type)
                out[i, j] = max(out[i, j], m.score)
        return out


def load_embedding_model(directory: Path, provider: str | None = None) -> TextEncoder:
    """An HF embedding export as the studio's text encoder (its ``config.json`` must parse)."""
    config, model, _tokenizer = model_files(directory)
    read_labels(config, required=False)
    encoder = TextEncoder(directory, provider=provider, model_file=MODEL_FILE, normalise=True)
    check_inputs(model, encoder.input_names)
    return encoder


def load_model(directory: str | Path, role: str, provider: str | None = None) -> Any:
    """The model at ``directory`` in ``role`` (one of :data:`ROLES`), every file and its IO checked."""
    path = Path(directory)
    if role == "sequence":
        return HfSequenceClassifier(path, provider)
    if role == "token":
        return HfTokenClassifier(path, provider)
    if role == "embedding":
        return load_embedding_model(path, provider)
    raise ValueError(f"unknown model role {role!r}")


def describe_model(directory: str | Path, roles: Sequence[str]) -> dict[str, Any]:
    """What the studio's Models view shows of a model: the first of ``roles`` it loads in, its labels
    (classifiers) or width (embedding models), and the sha256 of ``model.onnx``. When it loads in none,
    the first role's error is raised (the one the signal kind expects first)."""
    from policies.inference.bundle import file_sha256

    first: PolicyError | None = None
    for role in roles:
        try:
            model = load_model(directory, role)
        except PolicyError as exc:
            first = first or exc
            continue
        shown = {"labels": list(model.labels)} if role != "embedding" else {"dim": model.dim}
        return {"role": role, **shown, "sha256": file_sha256(Path(directory) / MODEL_FILE)}
    assert first is not None
    raise first
