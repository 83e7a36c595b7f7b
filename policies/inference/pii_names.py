"""The PII token head: PERSON, ORGANIZATION, GPE, NRP and TITLE scored by a model, not by patterns.

These types have no checksum or grammar; the patterns in :mod:`.pii` can only list known names.
The head is a small MLP over each token's ``token_features`` (the shared encoder's layer-4
hidden state), trained by ``scripts/build_models.py`` on Presidio's PII templates; its graph
reduces to the highest probability of each type over a text's real tokens. It runs inside the
encoder pass (:meth:`.encoder.TextEncoder.encode_with`), so the embeddings every other head
reads and these scores cost one pass.

The encoder is uncased ("Rain" and "rain" are one token), so the head cannot see capitals. In
text that has capitals, a PERSON, ORGANIZATION, GPE or NRP needs its word to start with one:
``name_mask`` zeroes the other tokens for those four types inside the graph (TITLE is exempt: "our
accountant"). Text typed all in lower case keeps every token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
from tokenizers import Encoding

from policies.errors import PolicyError
from policies.inference.bundle import file_sha256, load_labels
from policies.inference.encoder import TOKEN_FEATURES as FEATURES
from policies.inference.encoder import TextEncoder
from policies.inference.pii import PiiMatch, token_spans
from policies.inference.providers import available_cores, create_session

MASK = "attention_mask"
NAME_MASK = "name_mask"
OUTPUT = "type_scores"
GATED_TYPES = ("GPE", "NRP", "ORGANIZATION", "PERSON")  # counted only on tokens name_mask allows
WORD_CHARS = "-'’"
TOKENS_PER_RUN = 16  # one-token copies of a text per head run in token_scores (keeps a run's input small)  # inside a word, beside letters and digits (Al-Farsi, O'Neil)


def name_mask(text: str, offsets: Sequence[tuple[int, int]], width: int) -> np.ndarray:
    """1.0 for each token that may belong to a name, padded with 0 to ``width``: a token of a word
    starting with a capital letter, or any token of a text with no capitals; never a special token."""
    out = np.zeros(width, dtype=np.float32)
    end = max((e for _, e in offsets), default=0)
    cased = any(ch.isupper() for ch in text[:end])
    for k, (start, stop) in enumerate(offsets):
        if stop <= start:
            continue
        if not cased:
            out[k] = 1.0
            continue
        word = start
        while word > 0 and (text[word - 1].isalnum() or text[word - 1] in WORD_CHARS):
            word -= 1
        out[k] = float(text[word].isupper())
    return out


class PiiNameHead:
    """``(token_features, attention_mask, name_mask) -> [texts, types]`` scores in [0, 1]."""

    def __init__(self, path: str | Path, labels_path: str | Path, provider: str | None = None) -> None:
        self.path = Path(path)
        # one single-threaded run per encoder worker: the head runs inside their threads
        self.session = create_session(self.path, provider, threads=1 if available_cores() > 1 else None)
        self.labels = tuple(load_labels(Path(labels_path)))
        inputs = {i.name for i in self.session.get_inputs()}
        outputs = [o.name for o in self.session.get_outputs()]
        if inputs != {FEATURES, MASK, NAME_MASK} or OUTPUT not in outputs:
            raise PolicyError.single("model-outputs", f"{self.path} takes {sorted(inputs)} and gives {outputs}; a PII "
                                     f"name head takes {FEATURES!r}, {MASK!r} and {NAME_MASK!r} and gives "
                                     f"{OUTPUT!r}", file=str(self.path))
        width = self.session.get_outputs()[outputs.index(OUTPUT)].shape[-1]
        if isinstance(width, int) and width != len(self.labels):
            raise PolicyError.single("model-labels", f"{self.path} scores {width} types but {len(self.labels)} "
                                     "labels were given", file=str(self.path))

    @property
    def model_sha256(self) -> str:
        return file_sha256(self.path)

    @property
    def width(self) -> int:
        return len(self.labels)

    def token_inputs(self, texts: Sequence[str], encodings: Sequence[Encoding], width: int) -> dict[str, np.ndarray]:
        return {NAME_MASK: np.stack([name_mask(t, e.offsets, width) for t, e in zip(texts, encodings)])}

    def __call__(self, features: np.ndarray, attention_mask: np.ndarray, name_mask: np.ndarray) -> np.ndarray:
        return self.session.run([OUTPUT], {FEATURES: features, MASK: attention_mask, NAME_MASK: name_mask})[0]

    def token_scores(self, features: np.ndarray, attention_mask: np.ndarray, name_mask: np.ndarray) -> np.ndarray:
        """Each type's score per token of one text ([1, tokens, width] features): the graph run with one
        token unmasked at a time. Its per-text output is the max over tokens of exactly these (the graph
        scores tokens alone, then takes the masked max), so the words behind a score can be shown."""
        width = features.shape[1]
        out = np.zeros((width, len(self.labels)), dtype=np.float32)
        for start in range(0, width, TOKENS_PER_RUN):
            rows = np.arange(start, min(start + TOKENS_PER_RUN, width))
            one_hot = (np.arange(width)[None, :] == rows[:, None]).astype(attention_mask.dtype) * attention_mask
            out[rows] = self(np.repeat(features, len(rows), 0), one_hot, np.repeat(name_mask, len(rows), 0))
        return out

    def spans(self, encoder: TextEncoder, texts: Sequence[str], found_from: float) -> list[list[PiiMatch]]:
        """Per text, the names the head finds: each token counts for its best type when that scores at
        least ``found_from`` (the head's operating point), runs of one type widened to whole words."""
        out = []
        for text in texts:
            encoding, feeds, features = encoder.token_features(text)
            mask = self.token_inputs([text], [encoding], features.shape[1])[NAME_MASK]
            scores = self.token_scores(features, feeds[MASK], mask)
            best = scores.argmax(axis=1)
            out.append(token_spans(text, [
                (start, end, self.labels[best[k]] if scores[k, best[k]] >= found_from else None,
                 float(scores[k, best[k]]), False) for k, (start, end) in enumerate(encoding.offsets)]))
        return out
