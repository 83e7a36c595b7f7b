"""The router's lexical keyword matchers: BM25 and character n-gram scores, and fuzzy word matching.

Why a module of its own: ``keyword`` signals with ``method: bm25`` or ``ngram`` only mean what the
router means when their scores are computed the router's way (a BM25 score of 0.1 under another
tokenizer is a different threshold). Router sources (github.com/vllm-project/semantic-router,
under ``src/semantic-router/pkg/classification/``):

* ``lexical/tokenize.go`` (``tokenize``, ``asciiWords``): BM25 text and keywords are transliterated
  to ASCII, lower-cased, split at Unicode (UAX #29) word boundaries keeping segments with a letter or
  digit, stripped of the NLTK English stop words (``lexical/stopwords.go``) and Porter2-stemmed
  (``lexical/porter2.go``). Here: the Snowball English stemmer (Porter2) from ``snowballstemmer``;
  transliteration is NFKD with accents dropped, standing in for the router's deunicode table (other
  scripts, which deunicode spells out in ASCII, are dropped here).
* ``lexical/bm25.go`` (``NewBM25``, ``Match``): each keyword is one document of a corpus made of the
  rule's keywords; k1 = 1.2, b = 0.75, avgdl = mean keyword length in tokens (256 when 0); idf =
  ln(1 + (N − n + 0.5) / (n + 0.5)); a keyword's score adds its weight once per occurrence of each of
  its tokens in the text (repeats count), in float32.
* ``lexical/ngram.go`` (``NewNgram``, ``search``, ``ngramSimilarity``, ``Match``) and ``lexical/rule.go``
  (``ngramWords``): keyword and query are padded with arity − 1 spaces; grams are counted as a
  multiset; shared = Σ min(counts); all = len(query) + len(keyword) − 2·arity + 2 − shared (padded
  lengths in characters); similarity = (all² − (all − shared)²) / all² in float32 (ngrammatic's warp
  2). Queries are every word of the text (runs of alphanumerics, ``_`` and ``-``) and then the whole
  text; a keyword's score is its best similarity over them. Arity below 2 is 2.
* ``keyword_classifier.go`` (``extractLowerWords``, ``levenshteinDistance``, ``fuzzyMatch``): fuzzy
  matching compares the lower-cased keyword with every lower-cased run of letters and digits of the
  text by rune edit distance.

Left out: the n-gram search keeps at most 10 corpus matches per query (``ngramResultLimit``); with
more than 10 distinct keywords over the threshold for one word, the router may miss some that this
scores as matched.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache

import numpy as np

K1, B, FALLBACK_AVGDL = np.float32(1.2), np.float32(0.75), np.float32(256)

STOP_WORDS = frozenset((  # NLTK's English stop-word list
    "i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself yourselves he him "
    "his himself she she's her hers herself it it's its itself they them their theirs themselves what which who "
    "whom this that that'll these those am is are was were be been being have has had having do does did doing "
    "a an the and but if or because as until while of at by for with about against between into through during "
    "before after above below to from up down in out on off over under again further then once here there when "
    "where why how all any both each few more most other some such no nor not only own same so than too very s "
    "t can will just don don't should should've now d ll m o re ve y ain aren aren't couldn couldn't didn didn't "
    "doesn doesn't hadn hadn't hasn hasn't haven haven't isn isn't ma mightn mightn't mustn mustn't needn "
    "needn't shan shan't shouldn shouldn't wasn wasn't weren weren't won won't wouldn wouldn't").split())

# An ASCII word under UAX #29: letters, digits and '_' run together; ':', '.', '\'' join two letters;
# ',', ';', '.', '\'' join two digits.
_ASCII_WORD = re.compile(r"[A-Za-z0-9_]+(?:(?:(?<=[A-Za-z])[:.'](?=[A-Za-z])|(?<=[0-9])[,;.'](?=[0-9]))[A-Za-z0-9_]+)*")
_HAS_ALNUM = re.compile(r"[A-Za-z0-9]")
_NGRAM_WORD = re.compile(r"[\w-]+")
_FUZZY_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=1 << 18)
def _stem(word: str) -> str:
    """Porter2 stem of one word, memoised: a traffic log repeats its vocabulary far more than it grows."""
    return _stemmer().stemWord(word)


_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _ascii(text: str) -> str:
    if text.isascii():
        return text
    return _NON_ASCII.sub(" ", _COMBINING.sub("", unicodedata.normalize("NFKD", text)))


def bm25_tokens(text: str) -> list[str]:
    """The router's BM25 tokens of ``text`` (see the module docstring)."""
    words = _ASCII_WORD.findall(_ascii(text).lower())
    return [_stem(w) for w in words if w not in STOP_WORDS and _HAS_ALNUM.search(w)]


class Bm25Index:
    """A rule's keywords as a BM25 corpus: per token, the weight it adds to each keyword."""

    def __init__(self, keywords: list[str]) -> None:
        docs = [bm25_tokens(k) for k in keywords]
        total = sum(len(d) for d in docs)
        avgdl = np.float32(total / len(docs)) if docs else np.float32(0)
        avgdl = avgdl if avgdl > 0 else FALLBACK_AVGDL
        frequency = Counter(t for d in docs for t in set(d))
        corpus = np.float32(len(docs))
        self.size = len(docs)
        self.postings: dict[str, list[tuple[int, np.float32]]] = {}
        for i, doc in enumerate(docs):
            length = np.float32(len(doc))
            for token, count in Counter(doc).items():
                n = np.float32(frequency[token])
                idf = np.float32(np.log(np.float64(np.float32(1) + (corpus - n + np.float32(0.5)) / (n + np.float32(0.5)))))
                tf = np.float32(count)
                norm = np.float32(1 - B) + np.float32(B * np.float32(length / avgdl))
                weight = np.float32(idf * (tf * (K1 + np.float32(1)) / (tf + np.float32(K1 * norm))))
                self.postings.setdefault(token, []).append((i, weight))

    def scores(self, text: str) -> list[float]:
        """Each keyword's BM25 score against ``text`` (0 when none of its tokens occur)."""
        out = np.zeros(self.size, dtype=np.float32)
        for token in bm25_tokens(text):
            for i, weight in self.postings.get(token, ()):
                out[i] = np.float32(out[i] + weight)
        return [float(s) for s in out]


def _occurrences(text: str, gram: str) -> int:
    """How often ``gram`` occurs in ``text``, overlaps included (as a sliding window counts it)."""
    count, at = 0, text.find(gram)
    while at >= 0:
        count, at = count + 1, text.find(gram, at + 1)
    return count


def _grams(padded: str, arity: int) -> Counter:
    return Counter(padded[i:i + arity] for i in range(len(padded) - arity + 1))


class NgramIndex:
    """A rule's keywords for n-gram search (already case-normalised by the caller)."""

    def __init__(self, keywords: list[str], arity: int) -> None:
        self.arity = max(2, arity)
        self.pad = " " * (self.arity - 1)
        self.entries = [(len(self.pad + k + self.pad), _grams(self.pad + k + self.pad, self.arity)) for k in keywords]
        self._words: dict[str, list[np.float32]] = {}  # a word's similarities, reused across texts

    def _similarity(self, query: str, length: int, grams: Counter | None) -> list[np.float32]:
        """Similarity of ``query`` (padded ``length`` characters) to each keyword; ``grams``: the query's
        gram counts, or None to count only the keyword's grams in the query (faster for long texts)."""
        out = []
        padded = self.pad + query + self.pad
        for kw_length, kw_grams in self.entries:
            if grams is None:
                shared = sum(min(c, _occurrences(padded, g)) for g, c in kw_grams.items())
            else:
                shared = sum(min(c, kw_grams[g]) for g, c in grams.items() if g in kw_grams)
            total = length + kw_length - 2 * self.arity + 2 - shared if min(length, kw_length) >= self.arity else 0
            if not total:
                out.append(np.float32(0))
                continue
            all_ = np.float32(total)
            diff = all_ - np.float32(shared)
            squared = np.float32(all_ * all_)
            out.append(np.float32((squared - np.float32(diff * diff)) / squared))
        return out

    def _query(self, query: str) -> list[np.float32]:
        padded = self.pad + query + self.pad
        return self._similarity(query, len(padded), _grams(padded, self.arity))

    def scores(self, text: str) -> list[float]:
        """Each keyword's best similarity over the words of ``text`` and ``text`` itself."""
        best = self._similarity(text, len(text) + 2 * len(self.pad), None)
        for word in set(_NGRAM_WORD.findall(text)):
            if word not in self._words:
                self._words[word] = self._query(word)
            best = [max(a, b) for a, b in zip(best, self._words[word])]
        return [float(s) for s in best]


def levenshtein(a: str, b: str, limit: int) -> int:
    """Edit distance, stopping early (at ``limit + 1``) once every path exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def fuzzy_match(keyword: str, text: str, limit: int) -> bool:
    """Whether some word (letters and digits) of ``text`` is within ``limit`` edits of ``keyword``."""
    keyword = keyword.lower()
    return any(levenshtein(keyword, w, limit) <= limit for w in _FUZZY_WORD.findall(text.lower()))
