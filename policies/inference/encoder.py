"""Sentence embeddings from the bundled all-MiniLM-L6-v2 ONNX model (or any compatible export).

Throughput comes from four things: identical texts are encoded once, texts are batched by
token length so little time goes to padding, a background thread tokenises and pads the next
chunk while onnxruntime runs the current one (both release the GIL), and on CPU every core runs
its own small batch. Results are batch-invariant: the graph has no batch-dependent scales and
padding is masked out.

Why batches are small on CPU: a batch's activations (rows x width x 1536 floats in the feed-forward
layers) must stay in cache. Measured on this project's 2-core EPYC with one thread, real traffic
prompts: 37 ms/text with at most 512 tokens per batch, 44 ms with 32 texts per batch, 67 ms with
256. And one single-threaded run per core beats one run split over the cores (whose threads
synchronise at every operator): about 1.6x on two cores.
"""

from __future__ import annotations

import itertools
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Protocol, Sequence

import numpy as np
from tokenizers import Encoding, Tokenizer

from policies.errors import PolicyError
from policies.inference.bundle import ENCODER_FILE, TOKENIZER_FILE, file_sha256, models_dir
from policies.inference.providers import CPU, available_cores, create_session, providers_for

MAX_TOKENS = 256
OUTPUT = "sentence_embedding"
HIDDEN_STATE = "last_hidden_state"  # per-token output of a plain transformer export
TOKEN_FEATURES = "token_features"  # per-token hidden states, for token heads (see encode_with)
CPU_TOKEN_BUDGET = 512  # padded tokens per batch on CPU (see the module docstring)
PREFIX_CHARS_PER_TOKEN = 8  # a prefix this many characters per kept token nearly always fills them


def load_tokenizer(path: str | Path, max_tokens: int = MAX_TOKENS) -> Tokenizer:
    """A ``tokenizer.json`` with truncation set; padding is done here, per batch, in numpy."""
    path = Path(path)
    if not path.is_file():
        raise PolicyError.single("tokenizer-missing", f"tokenizer file not found: {path}", file=str(path))
    try:
        tok = Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises a bare Exception on malformed JSON
        raise PolicyError.single("tokenizer-corrupt", f"cannot load tokenizer {path}: {exc}", file=str(path)) from exc
    tok.no_padding()
    tok.enable_truncation(max_length=max_tokens)
    return tok


def pad_id(tokenizer: Tokenizer) -> int:
    """The padding token's id: BERT's ``[PAD]``, RoBERTa/ModernBERT's ``<pad>``, else 0."""
    found = (tokenizer.token_to_id(t) for t in ("[PAD]", "<pad>"))
    return next((i for i in found if i is not None), 0)


def unpadded_ids(encodings: Sequence[Encoding]) -> list[list[int]]:
    """Token ids without padding, whatever padding a tokenizer.json (or tokenizers version) applies.

    Batches are padded here, per length-sorted batch; ids padded by the tokenizer to the longest
    text of a whole chunk would make every batch as wide as that text.
    """
    out = []
    for e in encodings:
        mask = e.attention_mask
        if not mask or (mask[0] and mask[-1]):
            out.append(e.ids)
        else:
            out.append([i for i, m in zip(e.ids, mask) if m])
    return out


@dataclass
class Batch:
    """Padded model inputs for some unique texts, with their positions in the unique list."""

    positions: np.ndarray
    feeds: dict[str, np.ndarray]
    head_feeds: dict[str, np.ndarray] = field(default_factory=dict)  # a token head's own inputs


def pad_batch(ids: Sequence[Sequence[int]], pad_id: int, input_names: Sequence[str]) -> dict[str, np.ndarray]:
    """Right-pad token ids to the batch's longest row and build the feeds the graph asks for.

    Vectorised (one flat copy and a boolean scatter) so padding never becomes a per-row Python loop.
    """
    lengths = np.fromiter((len(row) for row in ids), dtype=np.int64, count=len(ids))
    width = int(lengths.max())
    mask = np.arange(width) < lengths[:, None]
    input_ids = np.full((len(ids), width), pad_id, dtype=np.int64)
    input_ids[mask] = np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int64, count=int(lengths.sum()))
    feeds = {"input_ids": input_ids, "attention_mask": mask.astype(np.int64)}
    if "token_type_ids" in input_names:
        feeds["token_type_ids"] = np.zeros_like(input_ids)
    return {k: v for k, v in feeds.items() if k in input_names}


class TokenHead(Protocol):
    """A model over each batch's ``token_features``: ``width`` scores per text. ``token_inputs``
    gives its other inputs per batch, from the texts and their tokens (padded to ``width``)."""
    width: int

    def token_inputs(self, texts: Sequence[str], encodings: Sequence[Encoding],
                     width: int) -> dict[str, np.ndarray]: ...

    def __call__(self, features: np.ndarray, attention_mask: np.ndarray, **inputs: np.ndarray) -> np.ndarray: ...


class TextEncoder:
    """Texts -> L2-normalised float32 embeddings, shape (N, dim)."""

    def __init__(self, model_dir: str | Path | None = None, *, provider: str | None = None,
                 max_tokens: int = MAX_TOKENS, chunk_size: int = 2048, workers: int | None = None,
                 model_file: str = ENCODER_FILE, normalise: bool = False, threads: int | None = None) -> None:
        """``workers``: batches run at once. Default: one single-threaded run per core on CPU, one
        run on a GPU (which parallelises inside the run). ``threads``: onnxruntime's threads per run
        (default: 1 when several runs go at once, else its own pool over every core; a cluster worker
        holding one CPU of a shared node asks for 1). ``model_file``: the graph in ``model_dir``
        (``model.onnx`` in a Hugging Face export, see :mod:`.hf_models`); ``normalise``: L2-normalise a
        ``sentence_embedding`` output (the bundled encoder's already is)."""
        directory = Path(model_dir) if model_dir is not None else models_dir()
        self.model_path = directory / model_file
        chosen = providers_for(provider)[0]
        self.workers = workers or (available_cores() if chosen == CPU else 1)
        if threads is None and self.workers > 1:
            threads = 1
        self.session = create_session(self.model_path, chosen, threads=threads)
        self.tokenizer = load_tokenizer(directory / TOKENIZER_FILE, max_tokens)
        self.max_tokens = max_tokens
        self.provider = self.session.get_providers()[0]
        self.token_budget = CPU_TOKEN_BUDGET if self.provider == CPU else None
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.output_names = outputs = [o.name for o in self.session.get_outputs()]
        # a sentence_embedding output is used as is; else last_hidden_state, mean-pooled (pooled_embeddings)
        self.output = next((name for name in (OUTPUT, HIDDEN_STATE) if name in outputs), None)
        if self.output is None:
            raise PolicyError.single("model-outputs", f"{self.model_path} has outputs {outputs}, expected '{OUTPUT}' "
                                     f"or '{HIDDEN_STATE}'", file=str(self.model_path))
        self.dim = int(self.session.get_outputs()[outputs.index(self.output)].shape[-1])
        self.normalise = normalise or self.output == HIDDEN_STATE
        self.pad_id = pad_id(self.tokenizer)
        self.chunk_size = chunk_size

    @property
    def model_sha256(self) -> str:
        """Identity of the weights, for score-cache keys."""
        return file_sha256(self.model_path)

    def default_batch_size(self) -> int:
        return 32 if self.provider == CPU else 256

    def _groups(self, texts: Sequence[str]) -> list[list[int]]:
        """Text indexes in character-length order, cut into tokenisation groups.

        Each group (and so each batch cut from it) holds texts of similar length and carries
        little padding; one large ``encode_batch`` per group keeps the tokenizer's thread pool
        from contending with inference on every batch.
        """
        by_chars = sorted(range(len(texts)), key=lambda i: (len(texts[i]), i))
        return [by_chars[start:start + self.chunk_size] for start in range(0, len(by_chars), self.chunk_size)]

    def _batches(self, texts: Sequence[str], groups: Sequence[list[int]], batch_size: int,
                 head: TokenHead | None = None) -> Iterator[Batch]:
        """Tokenise each group; within it, sort by token length and cut into padded batches of at
        most ``batch_size`` texts and (on CPU) ``token_budget`` padded tokens."""
        for group in groups:
            # load_tokenizer switched padding off, so ids are exact; padding happens per batch below.
            encodings = self.encodings([texts[i] for i in group])
            ids = [e.ids for e in encodings]
            order = sorted(range(len(ids)), key=lambda k: (len(ids[k]), k))
            for members in cut_batches([len(ids[k]) for k in order], batch_size, self.token_budget):
                members = [order[k] for k in members]
                feeds = pad_batch([ids[k] for k in members], self.pad_id, self.input_names)
                head_feeds = {} if head is None else head.token_inputs(
                    [texts[group[k]] for k in members], [encodings[k] for k in members], feeds["input_ids"].shape[1])
                yield Batch(np.asarray([group[k] for k in members], dtype=np.int64), feeds, head_feeds)

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text, truncated to ``max_tokens`` (see :meth:`encodings`)."""
        return [e.ids for e in self.encodings(texts)]

    def encodings(self, texts: Sequence[str]) -> list[Encoding]:
        """Tokens of each text (ids, character offsets), truncated to ``max_tokens``.

        A long text (a pasted document: sample traffic has prompts of 160k characters) is
        tokenised from a prefix of ``max_tokens * PREFIX_CHARS_PER_TOKEN`` characters when that
        provably gives the same ids, else whole: see :func:`prefix_holds_kept_tokens`.
        """
        limit = self.max_tokens * PREFIX_CHARS_PER_TOKEN
        heads = [t[:limit] for t in texts]
        out = self.tokenizer.encode_batch(heads)
        whole = [i for i, (text, e) in enumerate(zip(texts, out))
                 if len(text) > limit and not prefix_holds_kept_tokens(heads[i], e, self.max_tokens)]
        for i, e in zip(whole, self.tokenizer.encode_batch([texts[i] for i in whole]) if whole else []):
            out[i] = e
        return out

    def _prefetch(self, texts: Sequence[str], batch_size: int, head: TokenHead | None = None) -> Iterator[Batch]:
        """Tokenise in a background thread so tokenising overlaps inference.

        One producer measured best on an H100 (0.65 of a bare session end to end, vs 0.54 with
        several producers contending for the GIL); on CPU it leaves the cores to inference.
        """
        done = object()
        ready: queue.Queue = queue.Queue(maxsize=max(4, 2 * self.chunk_size // batch_size))
        failure: list[BaseException] = []
        stop = threading.Event()

        def produce() -> None:
            try:
                for batch in self._batches(texts, self._groups(texts), batch_size, head):
                    while not stop.is_set():
                        try:
                            ready.put(batch, timeout=0.1)
                            break
                        except queue.Full:
                            continue
                    if stop.is_set():
                        return
            except BaseException as exc:  # surfaced in the consumer thread below
                failure.append(exc)
            finally:
                ready.put(done)

        worker = threading.Thread(target=produce, name="tokenise", daemon=True)
        worker.start()
        try:
            while (item := ready.get()) is not done:
                yield item
        finally:
            stop.set()  # the consumer failed or stopped early: let the producer exit
            while worker.is_alive():
                try:
                    ready.get(timeout=0.1)
                except queue.Empty:
                    pass
            worker.join()
        if failure:
            raise failure[0]

    def encode(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Embeddings in input order; duplicates are encoded once and copied."""
        return self._encode(texts, batch_size, None)[0]

    def token_features(self, text: str) -> tuple[Encoding, dict[str, np.ndarray], np.ndarray]:
        """One text's tokens, model inputs and per-token ``token_features`` [1, tokens, width]: what a
        token head's explanation reads (:meth:`.pii_names.PiiNameHead.spans`)."""
        if TOKEN_FEATURES not in self.output_names:
            raise PolicyError.single("model-outputs", f"{self.model_path} has no '{TOKEN_FEATURES}' output",
                                     file=str(self.model_path))
        encoding = self.encodings([text])[0]
        feeds = pad_batch([encoding.ids], self.pad_id, self.input_names)
        return encoding, feeds, self.session.run([TOKEN_FEATURES], feeds)[0]

    def encode_with(self, texts: Sequence[str], head: TokenHead,
                    batch_size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Embeddings and ``head``'s scores per text ([N, head.width]) from one encoder pass: each
        batch's ``token_features`` go straight into the head and are dropped."""
        if TOKEN_FEATURES not in self.output_names:
            raise PolicyError.single("model-outputs", f"{self.model_path} has no '{TOKEN_FEATURES}' output for a "
                                     f"token head (outputs: {self.output_names})", file=str(self.model_path))
        embeddings, scores = self._encode(texts, batch_size, head)
        assert scores is not None
        return embeddings, scores

    def _embeddings(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        """One batch's embeddings: the graph's own, or its hidden states mean-pooled over real
        tokens and L2-normalised (what sentence-transformers does for such exports)."""
        values = self.session.run([self.output], feeds)[0]
        if self.output == HIDDEN_STATE:
            mask = feeds.get("attention_mask", feeds["input_ids"] != self.pad_id)[..., None].astype(np.float32)
            values = (values * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1.0)
        if not self.normalise:
            return values
        return values / np.maximum(np.linalg.norm(values, axis=1, keepdims=True), 1e-12)

    def _encode(self, texts: Sequence[str], batch_size: int | None,
                head: TokenHead | None) -> tuple[np.ndarray, np.ndarray | None]:
        if isinstance(texts, str):
            raise TypeError("encode() takes a list of texts, not a single string")
        unique: dict[str, int] = {}
        index = np.fromiter((unique.setdefault(t, len(unique)) for t in texts), dtype=np.int64, count=len(texts))
        out = np.empty((len(unique), self.dim), dtype=np.float32)
        scores = np.empty((len(unique), head.width), dtype=np.float32) if head is not None else None
        batches = self._prefetch(list(unique), batch_size or self.default_batch_size(), head)

        def run(batch: Batch) -> None:
            if head is None:
                out[batch.positions] = self._embeddings(batch.feeds)
                return
            out[batch.positions], features = self.session.run([OUTPUT, TOKEN_FEATURES], batch.feeds)
            scores[batch.positions] = head(features, batch.feeds["attention_mask"],  # type: ignore[index]
                                           **batch.head_feeds)

        try:
            if self.workers == 1:
                for batch in batches:
                    run(batch)
            else:
                run_concurrently(batches, run, self.workers)
        finally:
            batches.close()  # stops the tokenising thread if a run failed
        return out[index], None if scores is None else scores[index]


def prefix_holds_kept_tokens(head: str, encoding: Encoding, max_tokens: int) -> bool:
    """Whether ``head`` (a prefix of a longer text) yields the same truncated ids as the whole text.

    True when the prefix already fills ``max_tokens`` and a space follows the last kept token
    inside it: the word (pre-token) that token belongs to then ends within the prefix, and
    normalisation, pre-tokenisation and word-piece / BPE / unigram splits look no further than
    their own word, so what comes after the cut cannot change a kept token. Only a plain space
    counts: every pre-tokeniser splits there, while some keep newlines or drop control
    characters inside a word.
    """
    if len(encoding.ids) < max_tokens:
        return False
    end = max((stop for _start, stop in encoding.offsets), default=0)
    return " " in head[end:]


def cut_batches(lengths: Sequence[int], max_rows: int, token_budget: int | None) -> Iterator[range]:
    """Consecutive index ranges over ascending ``lengths``: each holds at most ``max_rows`` rows and,
    when ``token_budget`` is set, at most that many padded tokens (rows x its longest row; a row
    longer than the budget goes alone)."""
    start = 0
    while start < len(lengths):
        end = start + 1
        while end < len(lengths) and end - start < max_rows and \
                (token_budget is None or (end - start + 1) * lengths[end] <= token_budget):
            end += 1
        yield range(start, end)
        start = end


def run_concurrently(items: Iterator[Batch], work: Callable[[Batch], None], workers: int) -> None:
    """``work`` on every item from ``workers`` threads pulling from one iterator (onnxruntime
    releases the GIL while it runs); the first failure stops the others and is raised."""
    lock = threading.Lock()
    failure: list[BaseException] = []

    def pull() -> None:
        while not failure:
            with lock:
                item = next(items, None)
            if item is None:
                return
            try:
                work(item)
            except BaseException as exc:  # re-raised in the caller's thread below
                failure.append(exc)

    threads = [threading.Thread(target=pull, name=f"encode-{i}", daemon=True) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failure:
        raise failure[0]
