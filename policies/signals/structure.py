"""``structure``: regex matches, keyword occurrences, ordered marker sequences or bytes of the prompt.

The spec is the router's ``StructureRule`` (``src/semantic-router/pkg/config/config.go``: ``feature``
``{type, source: {type, pattern, keywords, case_sensitive, sequences}}`` and an optional
``predicate`` ``{gt, gte, lt, lte}``).

Semantics are vLLM SR's ``StructureClassifier``
(``src/semantic-router/pkg/classification/structure_classifier.go``, text helpers in
``structure_text.go``; the text is the request's latest user message, ``text`` of
``EvaluateAllSignalsWithContext`` in ``classifier.go``, which here is ``PROMPT``):

* source count: ``regex`` non-overlapping matches, ``(?i)`` prepended unless ``case_sensitive``
  or already there; ``keyword_set`` occurrences of every keyword summed (lowercased unless
  ``case_sensitive``; each keyword scanned left to right without overlap, an occurrence counting
  only when no letter or digit other than CJK touches it, no boundary at all for a keyword holding
  CJK); ``sequence`` 1 when some listed sequence appears in order (plain substrings, each searched
  after the previous one); ``text_bytes`` the UTF-8 length; any other source counts 0 in the
  router, here :class:`Unavailable` (a typo the router would silently score as 0).
* feature value: ``count`` the count; ``exists`` 1 when the count > 0; ``density`` the count
  divided by the prompt's text units (a CJK character is one unit, a run of other letters/digits
  is one, ``multilingualTextUnitCount``), 0 for a text without units; ``sequence`` 1 when a
  sequence matches, whatever the source type.
* fired: ``predicate`` ``{gt, gte, lt, lte}`` all hold (none given: value > 0), for ``exists`` too
  (``StructureSignal.firing_bounds``, which the solver reads as well); a prompt that is empty or
  only whitespace never fires (``Classify`` returns no match).

Go's regexp and Polars' regex share RE2 syntax; where they differ Go's meaning is kept: ``\\d``,
``\\s``, ``\\w``, ``\\b`` (and their negations) are ASCII-only in Go, so they are rewritten to the
ASCII classes before Polars sees the pattern.

A structure leaf is *scored*: the router reports every evaluated rule's confidence
(``classifier_signal_structure.go``: ``SignalConfidences[key] = match.Confidence``), which the decision
engine ranks with (``signalConfidence`` in ``src/semantic-router/pkg/decision/engine.go``). The
confidence is ``structureConfidence``: 1.0 without a predicate, else ``max(0.5, sigmoid(4·d))`` with
``d`` the distance from the value to the first bound of ``gt``, ``gte``, ``lt``, ``lte``; 0 when not
matched.

The solver sees the feature value as one number per feature type and source (shared by every
signal over the same measure; 0..1 for ``exists``/``sequence``, a real for ``density``) bounded by
:meth:`StructureSignal.firing_bounds`, the rule the Polars leaf reads too. The blank-prompt rule is
not modelled there.
"""

from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar, Iterable

from ..errors import Finding, Severity
from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import (ColumnRef, Extractor, LeafExpr, RawColumns, Unavailable, compare, per_distinct,
                   predicate_bounds, predicate_conflicts)

if TYPE_CHECKING:
    import polars as pl

    from ..model.rules import RuleNode

# Source types the classifier evaluates (validator_structure.go lists all but text_bytes, which
# structure_classifier.go evaluates too).
SOURCE_TYPES = ("regex", "keyword_set", "sequence", "text_bytes")
# Go's Perl classes are ASCII (regexp/syntax: \d [0-9], \s [\t\n\f\r ], \w [0-9A-Za-z_]).
_GO_PERL_CLASSES = {"d": "[0-9]", "D": "[^0-9]", "s": r"[\t\n\f\r ]", "S": r"[^\t\n\f\r ]",
                    "w": "[0-9A-Za-z_]", "W": "[^0-9A-Za-z_]", "b": r"(?-u:\b)", "B": r"(?-u:\B)"}
_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}"
# One CJK character, or a maximal run of other letters/digits: multilingualTextUnitCount's units.
TEXT_UNIT = rf"[{_CJK}]|[[\p{{L}}\p{{Nd}}]--[{_CJK}]]+"


class StructureSignal(Signal):
    collection = "structure"
    leaf_type = "structure"
    summary = "Structural features of the request (code blocks, lists...)."
    editor_fields = (
        EditorField("feature", "yaml"),
        EditorField("predicate", "yaml"),
    )
    # Feature types whose value is 0 or 1; ``density`` is a real, ``count`` an integer.
    flag_features: ClassVar[frozenset[str]] = frozenset({"exists", "sequence"})
    value_features: ClassVar[frozenset[str]] = frozenset({"count", "density"}) | flag_features
    feature: dict[str, Any] | None = None
    predicate: dict[str, Any] | None = None

    def feature_type(self) -> str:
        """``feature.type`` as the router compares it (trimmed, lower case)."""
        return _type_of(self.feature or {})

    def firing_bounds(self) -> dict[str, float]:
        """Bounds the feature value must meet to fire: the predicate's, ``> 0`` without one
        (``predicateMatches``; ``exists`` is 0/1 and still read through the predicate)."""
        return predicate_bounds(self.predicate) or {"gt": 0.0}

    def check(self, path: tuple[str | int, ...]) -> Iterable[Finding]:
        """What the router's ``ValidateStructureRuleContract`` refuses
        (``src/semantic-router/pkg/config/validator_structure.go``), located at the field."""
        feature = self.feature or {}
        source = feature.get("source") or {}
        kind, source_kind = self.feature_type(), _type_of(source)
        at = path + ("feature",)

        def refused(message: str, where: tuple[str | int, ...], suggestion: str | None = None) -> Finding:
            return Finding("structure-contract", Severity.ERROR, f"structure '{self.name}': {message} (the router "
                           "refuses the config)", path=where, suggestion=suggestion)

        if kind not in self.value_features:
            yield refused(f"unsupported feature.type {feature.get('type')!r}", at + ("type",),
                          f"use one of {', '.join(sorted(self.value_features))}")
        if source_kind not in SOURCE_TYPES:
            yield refused(f"unsupported feature.source.type {source.get('type')!r}", at + ("source", "type"),
                          f"use one of {', '.join(SOURCE_TYPES)}")
        elif source_kind == "regex" and not str(source.get("pattern") or "").strip():
            yield refused("a regex source needs a pattern", at + ("source", "pattern"))
        elif source_kind == "keyword_set" and not source.get("keywords"):
            yield refused("a keyword_set source needs keywords", at + ("source", "keywords"))
        elif source_kind == "sequence" and not source.get("sequences"):
            yield refused("a sequence source needs sequences", at + ("source", "sequences"))
        elif source_kind == "sequence":
            for i, sequence in enumerate(source["sequences"]):
                if not isinstance(sequence, list) or len(sequence) < 2:
                    yield refused("a sequence needs at least 2 markers", at + ("source", "sequences", i))
        if kind == "sequence" and source_kind != "sequence":
            yield refused("feature.type sequence needs feature.source.type sequence", at + ("source", "type"))
        if self.predicate is not None:
            if not predicate_bounds(self.predicate):
                yield refused("a predicate must set gt, gte, lt or lte", path + ("predicate",))
            for pair in predicate_conflicts(self.predicate):
                yield refused(f"a predicate cannot set both {pair}", path + ("predicate",))
            if kind == "exists":
                yield refused("feature.type exists takes no predicate", path + ("predicate",),
                              "drop the predicate, or use feature.type count with it")

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        pool = solver.pool
        kind = self.feature_type()
        if kind not in self.value_features:
            return None
        source = json.dumps((self.feature or {}).get("source") or {}, sort_keys=True)
        real = kind == "density"
        var = pool.number(f"structure:{kind}:{source}", "real" if real else "int", "density" if real else "count",
                          f"{kind} of {source}", 1, low=0, high=1 if kind in self.flag_features else None)
        return pool.interval(var, self.firing_bounds()), []


class StructureExtractor(Extractor):
    leaf_type = "structure"
    threshold_fields = frozenset({"predicate", "description"})

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        import polars as pl

        from ..simulation.frame import PROMPT

        assert isinstance(signal, StructureSignal)
        feature = signal.feature or {}
        source = feature.get("source") or {}
        text = frame[PROMPT]
        kind = signal.feature_type()
        if kind == "sequence":
            value = _sequence_matched(text, source)
        elif kind in ("count", "exists", "density"):
            count = _source_count(text, source)
            if kind == "exists":
                value = (count > 0).cast(pl.Float64)
            elif kind == "density":
                units = text.str.count_matches(TEXT_UNIT).cast(pl.Float64)
                value = pl.select(pl.when(units > 0).then(count / units).otherwise(0.0)).to_series()
            else:
                value = count
        else:
            raise Unavailable(f"structure feature type {kind!r} is not one the router evaluates")
        blank = text.str.strip_chars().str.len_bytes() == 0
        return {"value": value.cast(pl.Float64), "blank": blank.cast(pl.Float64)}

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        import polars as pl

        assert isinstance(signal, StructureSignal)
        fired = ((col("blank") < 0.5) & compare(col("value"), signal.firing_bounds())).fill_null(False)
        bounds = predicate_bounds(signal.predicate)
        first = next((k for k in ("gt", "gte", "lt", "lte") if k in bounds), None)
        if first is None:
            conf = pl.lit(1.0)
        else:  # structureConfidence: a sigmoid of the distance to the first bound, at least 0.5
            distance = (col("value") - bounds[first]).abs()
            conf = pl.max_horizontal(1.0 / (1.0 + (-4.0 * distance).exp()), pl.lit(0.5))
        return LeafExpr(fired, pl.when(fired).then(conf).otherwise(0.0))


def _type_of(spec: dict[str, Any]) -> str:
    """A feature's or source's ``type`` as the router compares it (trimmed, lower case)."""
    return str(spec.get("type") or "").strip().lower()


def _source_count(text: "pl.Series", source: dict[str, Any]) -> "pl.Series":
    import polars as pl

    kind = _type_of(source)
    sensitive = bool(source.get("case_sensitive"))
    if kind == "regex":
        pattern = str(source.get("pattern") or "")
        if not pattern:
            raise Unavailable("regex source has no pattern (the router refuses the config)")
        if not sensitive and not pattern.startswith("(?i)"):
            pattern = "(?i)" + pattern
        try:
            return text.str.count_matches(go_regex(pattern)).cast(pl.Float64)
        except pl.exceptions.PolarsError as exc:
            raise Unavailable(f"regex {source.get('pattern')!r} does not compile: {exc}") from None
    if kind == "keyword_set":
        keywords = [str(k) for k in source.get("keywords") or []]
        return per_distinct(text, lambda t: float(keyword_occurrences(t, keywords, sensitive)), pl.Float64)
    if kind == "sequence":
        return _sequence_matched(text, source)
    if kind == "text_bytes":
        return text.str.len_bytes().cast(pl.Float64)
    raise Unavailable(f"structure source type {kind!r} is not one the router evaluates")


def _sequence_matched(text: "pl.Series", source: dict[str, Any]) -> "pl.Series":
    import polars as pl

    sequences = [[str(m) for m in seq] for seq in source.get("sequences") or [] if seq]
    sensitive = bool(source.get("case_sensitive"))
    return per_distinct(text, lambda t: float(sequence_matched(t, sequences, sensitive)), pl.Float64)


def go_regex(pattern: str) -> str:
    """``pattern`` with Go's ASCII-only Perl classes spelled out for Polars' Unicode regex."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append(_GO_PERL_CLASSES.get(nxt, ch + nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def keyword_occurrences(text: str, keywords: list[str], case_sensitive: bool) -> int:
    """``keywordOccurrenceCount``: boundary-checked, non-overlapping occurrences, summed over keywords."""
    haystack = text if case_sensitive else text.lower()
    total = 0
    for keyword in keywords:
        needle = keyword if case_sensitive else keyword.lower()
        if not needle:
            continue
        boundary = not any(_is_cjk(c) for c in needle)
        start = haystack.find(needle)
        while start >= 0:
            end = start + len(needle)
            if not boundary or (not (start > 0 and _blocks_boundary(haystack[start - 1]))
                                and not (end < len(haystack) and _blocks_boundary(haystack[end]))):
                total += 1
            start = haystack.find(needle, end)
    return total


def sequence_matched(text: str, sequences: list[list[str]], case_sensitive: bool) -> bool:
    """``structureSequenceMatched``: some sequence's markers occur in order (plain substrings)."""
    haystack = text if case_sensitive else text.lower()
    for sequence in sequences:
        position = 0
        for marker in sequence:
            needle = marker if case_sensitive else marker.lower()
            found = haystack.find(needle, position)
            if found < 0:
                break
            position = found + len(needle)
        else:
            return True
    return False


@lru_cache(maxsize=65536)
def _is_cjk(ch: str) -> bool:
    """Go's ``isCJK`` (scripts Han, Hiragana, Katakana, Hangul), read from the same class as
    :data:`TEXT_UNIT` (the stdlib has no script property)."""
    import polars as pl

    return ord(ch) >= 0x1100 and bool(pl.Series([ch]).str.contains(f"^[{_CJK}]$")[0])


def _blocks_boundary(ch: str) -> bool:
    """``isBoundaryBlockingRune``: a letter or decimal digit that is not CJK."""
    return (ch.isalpha() or unicodedata.category(ch) == "Nd") and not _is_cjk(ch)
