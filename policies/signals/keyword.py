"""``keyword``: keyword lists matched in the user's recent messages, as the router's keyword classifier does.

Router sources (github.com/vllm-project/semantic-router, under ``src/semantic-router/pkg/``):

* Text (``classification/classifier_signal_dispatch.go``, ``keywordSignalText``; turns as
  :mod:`policies.signals.turns` reads them): the latest 20 prior user turns and then the current
  one, each trimmed, blank ones skipped, joined by newlines. A marker written in an earlier turn
  still matches.
* Config (``config/signal_config.go``, ``KeywordRule``; ``classification/keyword_classifier.go``,
  ``NewKeywordClassifier``): ``operator`` must be exactly ``AND``, ``OR`` or ``NOR`` (no default: any
  other value, a missing one included, makes the router refuse the keyword rules); ``method`` is
  ``regex`` (also when empty), ``bm25`` or ``ngram``, case-insensitively; ``bm25_threshold`` 0 means
  0.1, ``ngram_threshold`` 0 means 0.4, ``ngram_arity`` 0 means 3, ``fuzzy_threshold`` 0 means 2 edits.
  Thresholds are Go float32. BM25 and n-gram rules need keywords (``lexical/rule.go``, ``validate``).
* Regex (``keyword_classifier.go``, ``regexPatterns``, ``matchAND``/``matchOR``/``matchNOR``): without
  ``method: regex`` a keyword is quoted and, when it has a letter, digit or ``_`` and no Han
  character, wrapped in ASCII word boundaries; ``method: regex`` uses it as a pattern; ``(?i)``
  unless ``case_sensitive``. ``fuzzy_match`` also accepts a word within the edit limit. AND with no
  keywords matches, OR does not, NOR does.
* BM25 and n-gram scores: :mod:`policies.signals.lexical`. A keyword matches at score ``>=`` the
  threshold; OR needs one, AND all, NOR none (``lexical/rule.go``, ``decide``).
* Every rule is evaluated, not the first match (``classification/``: ``KeywordClassifier.MatchAll``,
  used by ``evaluateKeywordSignal``), and no confidence is recorded for keyword matches
  (``SignalConfidences`` has none), so a decision counts a matched keyword leaf as 1.0
  (``decision/engine.go``): keyword leaves are crisp. The ``0.5 + 0.5 × matched/total`` confidence
  of ``KeywordClassifier.Classify`` belongs to the legacy first-match API, which routing does not use.

Per keyword we keep one raw score (0/1 for regex, the BM25 score, the n-gram similarity), so
operators and thresholds are cheap expressions. The solver sees plain keywords as shared phrase
variables, explicit regexes as a variable per pattern, and BM25, n-gram and fuzzy rules as one
opaque flag per rule.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable

from pydantic import Field

from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns, Unavailable, per_distinct

if TYPE_CHECKING:
    import polars as pl

    from ..errors import Finding
    from ..model.rules import RuleNode

_WORD_CHAR = re.compile(r"\w")  # a letter, digit or '_'
_HAN = re.compile(r"[\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3038-\u303b\u3400-\u4dbf\u4e00-\u9fff"
                  r"\uf900-\ufaff\U00020000-\U0003134f]")  # Go's unicode.Han
OPERATORS = ("AND", "OR", "NOR")
METHODS = ("regex", "bm25", "ngram")
BM25_DEFAULT, NGRAM_DEFAULT, ARITY_DEFAULT, FUZZY_DEFAULT = 0.1, 0.4, 3, 2
HISTORY_LIMIT = 20  # prior user messages joined into the keyword text (keywordSignalHistoryLimit)


def keyword_pattern(keyword: str, explicit_regex: bool, case_sensitive: bool) -> str:
    """The Go router's pattern for one keyword (Rust regex syntax, which reads these the same way)."""
    flag = "" if case_sensitive else "(?i)"
    if explicit_regex:
        return flag + keyword
    quoted = re.escape(keyword)
    if _WORD_CHAR.search(keyword) and not _HAN.search(keyword):
        quoted = rf"(?-u:\b){quoted}(?-u:\b)"
    return flag + quoted


def keyword_text(frame: "pl.DataFrame") -> "pl.Series":
    """The text keyword rules read: the latest non-blank prior user turns (at most 20) and the current
    turn, trimmed and joined by newlines (:mod:`policies.signals.turns`)."""
    import polars as pl

    from .turns import current_turn, prior_user_turns

    turns = pl.DataFrame({"prior": prior_user_turns(frame), "current": current_turn(frame)})
    joined = pl.concat_list(pl.col("prior").list.tail(HISTORY_LIMIT), pl.col("current"))
    return turns.select(joined.list.eval(pl.element().filter(pl.element().str.len_chars() > 0))
                        .list.join("\n").alias("t"))["t"]


class KeywordSignal(Signal):
    collection = "keywords"
    leaf_type = "keyword"
    summary = "Keyword lists matched in the recent user messages (regex, BM25 or n-gram)."
    editor_fields = (
        EditorField("keywords", "lines"),
        EditorField("operator", "choice", options=OPERATORS),
        EditorField("case_sensitive", "bool"),
        EditorField("method", "choice", options=METHODS),
        EditorField("bm25_threshold", "float"),
        EditorField("ngram_threshold", "float"),
        EditorField("ngram_arity", "int"),
        EditorField("fuzzy_match", "bool"),
        EditorField("fuzzy_threshold", "int"),
    )
    operator: str | None = None
    keywords: list[str] = Field(default_factory=list)
    case_sensitive: bool | None = None
    method: str | None = None
    bm25_threshold: float | None = None
    ngram_threshold: float | None = None
    ngram_arity: int | None = None
    fuzzy_match: bool | None = None
    fuzzy_threshold: int | float | None = None

    def effective_method(self) -> str:
        """``regex``, ``bm25`` or ``ngram`` (empty is regex; case-insensitive), else the written value."""
        return (self.method or "regex").lower()

    def problem(self) -> str | None:
        """Why the router refuses this rule (``NewKeywordClassifier``), or None."""
        if self.operator not in OPERATORS:
            return (f"operator {self.operator!r} is not AND, OR or NOR" if self.operator
                    else "operator is missing (the router requires AND, OR or NOR)")
        if self.effective_method() not in METHODS:
            return f"method {self.method!r} is not regex, bm25 or ngram"
        if self.effective_method() != "regex" and not self.keywords:
            return f"a {self.effective_method()} rule needs keywords"
        return None

    def check(self, path: tuple[str | int, ...]) -> Iterable["Finding"]:
        from ..errors import Finding, Severity

        yield from super().check(path)
        problem = self.problem()
        if problem and self.operator is not None:  # a missing operator is the schema check's finding
            field = "operator" if "operator" in problem else "method" if "method" in problem else "keywords"
            yield Finding("keyword-rule", Severity.ERROR, f"keyword signal '{self.name}': {problem}; the router "
                          "refuses to load its keyword rules", path=path + (field,))

    def thresholds(self) -> dict[str, float]:
        """The BM25 or n-gram threshold in effect (0 means the default), as the router's float32."""
        from ..knowledge_bases import as_float32

        method = self.effective_method()
        if method == "bm25":
            return {"bm25_threshold": as_float32(self.bm25_threshold or BM25_DEFAULT)}
        if method == "ngram":
            return {"ngram_threshold": as_float32(self.ngram_threshold or NGRAM_DEFAULT)}
        return {}

    def is_opaque_to_solver(self) -> bool:
        return self.effective_method() != "regex" or bool(self.fuzzy_match)

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        """Plain keywords are shared phrase variables (so containment between phrases is known); a
        regex is a variable per pattern; BM25, n-gram and fuzzy rules are opaque to the solver, and a
        rule the router refuses is left to the solver's opaque-leaf report."""
        import z3

        if self.problem():
            return None
        pool = solver.pool
        if self.is_opaque_to_solver():
            kind = "fuzzy" if self.effective_method() == "regex" else self.effective_method()
            return pool.boolean(f"kwrule:{self.name}", "opaque", f"{kind} keyword rule {self.name}"), []
        if self.method:
            atoms = [pool.boolean(f"re:{p}", "regex", str(p)) for p in self.keywords]
        else:
            atoms = [pool.keyword(k) for k in self.keywords]
        if self.operator == "AND":
            return z3.And(atoms) if atoms else z3.BoolVal(True), []
        if self.operator == "NOR":
            return z3.Not(z3.Or(atoms)) if atoms else z3.BoolVal(True), []
        return z3.Or(atoms) if atoms else z3.BoolVal(False), []


class KeywordExtractor(Extractor):
    leaf_type = "keyword"
    threshold_fields = frozenset({"bm25_threshold", "ngram_threshold", "description"})

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        import polars as pl

        from .lexical import Bm25Index, NgramIndex, fuzzy_match

        assert isinstance(signal, KeywordSignal)
        if signal.problem():
            raise Unavailable(f"the router refuses this rule: {signal.problem()}")
        method = signal.effective_method()
        case = bool(signal.case_sensitive)
        text = keyword_text(frame)
        if method in ("bm25", "ngram"):
            folded = text if case else text.str.to_lowercase()
            keywords = [k if case else k.lower() for k in signal.keywords]
            index = (Bm25Index(keywords) if method == "bm25"
                     else NgramIndex(keywords, signal.ngram_arity or ARITY_DEFAULT))
            scores = per_distinct(folded, index.scores, pl.List(pl.Float64))
            return {f"k{i}": scores.list.get(i) for i in range(len(keywords))}
        out: RawColumns = {}
        limit = int(signal.fuzzy_threshold or FUZZY_DEFAULT)
        for i, kw in enumerate(signal.keywords):
            try:
                hit = text.str.contains(keyword_pattern(kw, bool(signal.method), case))
            except pl.exceptions.ComputeError as exc:
                raise Unavailable(f"keyword {kw!r} is not a regular expression the router compiles ({exc})") from exc
            if signal.fuzzy_match:
                hit = hit | per_distinct(text, lambda t, kw=kw: fuzzy_match(kw, t, limit), pl.Boolean)
            out[f"k{i}"] = hit.cast(pl.Float64)
        return out

    def numeric_thresholds(self, signal: Signal) -> dict[str, float]:
        assert isinstance(signal, KeywordSignal)
        return signal.thresholds()

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        import polars as pl

        assert isinstance(signal, KeywordSignal)
        if signal.problem():
            raise Unavailable(f"the router refuses this rule: {signal.problem()}")
        threshold = next(iter(signal.thresholds().values()), None)
        if threshold is None:
            hits = [col(f"k{i}") > 0.5 for i in range(len(signal.keywords))]
        else:  # a keyword sharing no token (BM25) or gram (n-gram) with the text is never a match
            hits = [(col(f"k{i}") >= threshold) & (col(f"k{i}") > 0) for i in range(len(signal.keywords))]
        if signal.operator == "AND":
            fired = pl.all_horizontal(hits) if hits else pl.lit(True)
        elif signal.operator == "NOR":
            fired = ~pl.any_horizontal(hits) if hits else pl.lit(True)
        else:
            fired = pl.any_horizontal(hits) if hits else pl.lit(False)
        return LeafExpr(fired, None)
