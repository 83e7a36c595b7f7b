"""Editor for ``keyword`` signals: Keyword lists matched in the prompt (regex, BM25 or n-gram)."""

from __future__ import annotations

from .base import FieldSpec as F, SignalEditor
from .registry import register


@register
class KeywordEditor(SignalEditor):
    leaf_type = "keyword"
    fields = (
        F("keywords", "lines"),
        F("operator", "choice", options=("OR", "AND", "NOR")),
        F("case_sensitive", "bool"),
        F("method", "choice", options=("regex", "bm25", "ngram")),
        F("bm25_threshold", "float"),
        F("ngram_threshold", "float"),
        F("ngram_arity", "int"),
        F("fuzzy_match", "bool"),
        F("fuzzy_threshold", "float"),
    )
