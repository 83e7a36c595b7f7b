"""``keyword``: keyword lists matched in the prompt, the way vLLM SR's keyword classifier does.

Per keyword we keep one raw score, so AND/OR/NOR and the bm25/ngram thresholds are cheap
expressions: regex (default) scores 1.0/0.0 — an unset method quotes the keyword and adds ASCII
word boundaries when it has word characters and no Han script (as the Go ``regexPatterns``),
``method: regex`` uses it as a regular expression, ``fuzzy_match`` also accepts a word within
``fuzzy_threshold`` edits (default 2); ``bm25`` scores each keyword as a one-document corpus entry
against the prompt's unique terms (k1=1.2, b=0.75, fires above ``bm25_threshold``, default 0.1);
``ngram`` is the best character n-gram Jaccard similarity between the keyword and any window of
the prompt with as many words (arity 3, fires at ``ngram_threshold``, default 0.4).
Keywords are crisp: they report no confidence (spec §7: crisp signals count as 1.0).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from pydantic import Field

from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns, per_distinct

if TYPE_CHECKING:
    import polars as pl

    from ..model.rules import RuleNode

_WORD = re.compile(r"\w+")
_HAN = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")
K1, B = 1.2, 0.75
BM25_DEFAULT, NGRAM_DEFAULT = 0.1, 0.4  # the router's thresholds when a keyword signal sets none


def keyword_pattern(keyword: str, explicit_regex: bool, case_sensitive: bool) -> str:
    """The Go router's pattern for one keyword."""
    flag = "" if case_sensitive else "(?i)"
    if explicit_regex:
        return flag + keyword
    quoted = re.escape(keyword)
    if _WORD.search(keyword) and not _HAN.search(keyword):
        quoted = rf"(?-u:\b){quoted}(?-u:\b)"
    return flag + quoted


def levenshtein(a: str, b: str, limit: int) -> int:
    """Edit distance, stopping early once every path exceeds ``limit``."""
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


def _ngrams(text: str, n: int) -> set[str]:
    padded = f" {text} "
    return {padded[i:i + n] for i in range(max(1, len(padded) - n + 1))}


def ngram_similarity(keyword: str, text: str, arity: int) -> float:
    """Best n-gram Jaccard similarity of ``keyword`` against word windows of ``text``."""
    words = text.split()
    size = max(1, len(keyword.split()))
    target = _ngrams(keyword, arity)
    best = 0.0
    for i in range(max(1, len(words) - size + 1)):
        grams = _ngrams(" ".join(words[i:i + size]), arity)
        union = len(target | grams)
        if union:
            best = max(best, len(target & grams) / union)
    return best


class KeywordSignal(Signal):
    collection = "keywords"
    leaf_type = "keyword"
    summary = "Keyword lists matched in the prompt (regex, BM25 or n-gram)."
    editor_fields = (
        EditorField("keywords", "lines"),
        EditorField("operator", "choice", options=("OR", "AND", "NOR")),
        EditorField("case_sensitive", "bool"),
        EditorField("method", "choice", options=("regex", "bm25", "ngram")),
        EditorField("bm25_threshold", "float"),
        EditorField("ngram_threshold", "float"),
        EditorField("ngram_arity", "int"),
        EditorField("fuzzy_match", "bool"),
        EditorField("fuzzy_threshold", "float"),
    )
    operator: str | None = None
    keywords: list[str] = Field(default_factory=list)
    case_sensitive: bool | None = None
    method: str | None = None
    bm25_threshold: float | None = None
    ngram_threshold: float | None = None
    ngram_arity: int | None = None
    fuzzy_match: bool | None = None
    fuzzy_threshold: float | None = None

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        """Plain keywords are shared phrase variables (so containment between phrases is known); a
        regex is a variable per pattern; BM25, n-gram and fuzzy rules are opaque to the solver."""
        import z3

        pool = solver.pool
        method = (self.method or "").lower()
        if method in ("bm25", "ngram", "fuzzy") or self.fuzzy_match:
            return pool.boolean(f"kwrule:{self.name}", "opaque", f"{method or 'fuzzy'} keyword rule {self.name}"), []
        if method == "regex":
            atoms = [pool.boolean(f"re:{p}", "regex", str(p)) for p in self.keywords]
        else:
            atoms = [pool.keyword(k) for k in self.keywords]
        if not atoms:
            return z3.BoolVal(False), []
        op = (self.operator or "OR").upper()
        return (z3.And(atoms) if op == "AND" else z3.Not(z3.Or(atoms)) if op == "NOR" else z3.Or(atoms)), []


class KeywordExtractor(Extractor):
    leaf_type = "keyword"
    threshold_fields = frozenset({"bm25_threshold", "ngram_threshold", "description"})

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        import polars as pl

        from ..simulation.frame import PROMPT

        assert isinstance(signal, KeywordSignal)
        method = (signal.method or "").lower()
        case = bool(signal.case_sensitive)
        text = frame[PROMPT] if case else frame[PROMPT].str.to_lowercase()
        keywords = [k if case else k.lower() for k in signal.keywords]
        out: RawColumns = {}
        if method == "bm25":
            out.update(self._bm25(keywords, text))
        elif method == "ngram":
            arity = signal.ngram_arity or 3
            for i, kw in enumerate(keywords):
                out[f"k{i}"] = per_distinct(text, lambda t, kw=kw: ngram_similarity(kw, t, arity), pl.Float64)
        else:
            for i, kw in enumerate(signal.keywords):
                hit = frame[PROMPT].str.contains(keyword_pattern(kw, method == "regex", case))
                if signal.fuzzy_match:
                    limit = signal.fuzzy_threshold if signal.fuzzy_threshold else 2
                    fuzzy = per_distinct(frame[PROMPT].str.to_lowercase(), lambda t, kw=kw.lower(), lim=int(limit):
                                         any(levenshtein(kw, w, lim) <= lim for w in _WORD.findall(t)), pl.Boolean)
                    hit = hit | fuzzy
                out[f"k{i}"] = hit.cast(pl.Float64)
        return out

    @staticmethod
    def _bm25(keywords: list[str], text: "pl.Series") -> RawColumns:
        import polars as pl

        docs = [_WORD.findall(k) for k in keywords]
        n = len(docs)
        avgdl = (sum(len(d) for d in docs) / n) if n else 1.0
        df: dict[str, int] = {}
        for d in docs:
            for t in set(d):
                df[t] = df.get(t, 0) + 1
        tokens = text.str.extract_all(r"\w+")
        out: RawColumns = {}
        for i, doc in enumerate(docs):
            score = pl.lit(0.0)
            for term in sorted(set(doc)):
                tf = doc.count(term)
                idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
                weight = idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * len(doc) / (avgdl or 1.0)))
                score = score + pl.col("t").list.contains(term).cast(pl.Float64) * weight
            out[f"k{i}"] = pl.DataFrame({"t": tokens}).select(score.alias("s"))["s"]
        return out

    def numeric_thresholds(self, signal: Signal) -> dict[str, float]:
        assert isinstance(signal, KeywordSignal)
        method = (signal.method or "").lower()
        if method == "bm25":
            return {"bm25_threshold": signal.bm25_threshold or BM25_DEFAULT}
        if method == "ngram":
            return {"ngram_threshold": signal.ngram_threshold or NGRAM_DEFAULT}
        return {}

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        import polars as pl

        assert isinstance(signal, KeywordSignal)
        method = (signal.method or "").lower()
        threshold = next(iter(self.numeric_thresholds(signal).values()), None)  # the method's, defaults applied
        hits = [(col(f"k{i}") > threshold) if method == "bm25" else
                (col(f"k{i}") >= threshold) if method == "ngram" else (col(f"k{i}") > 0.5)
                for i in range(len(signal.keywords))]
        if not hits:
            return LeafExpr(pl.lit(False), None)
        op = (signal.operator or "OR").upper()
        fired = (pl.all_horizontal(hits) if op == "AND" else
                 ~pl.any_horizontal(hits) if op == "NOR" else pl.any_horizontal(hits))
        return LeafExpr(fired, None)
