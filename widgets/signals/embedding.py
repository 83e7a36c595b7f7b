"""Editor for ``embedding`` signals: Similarity to candidate phrases (and away from negative ones)."""

from __future__ import annotations

from .base import FieldSpec as F, SignalEditor
from .registry import register


@register
class EmbeddingEditor(SignalEditor):
    leaf_type = "embedding"
    fields = (
        F("candidates", "lines"),
        F("threshold", "float", help="cosine similarity that counts as a match"),
        F("negative_candidates", "lines"),
        F("aggregation_method", "choice", options=("max", "mean", "any")),
        F("image_candidates", "lines"),
        F("negative_image_candidates", "lines"),
        F("query_modality", "text"),
        F("prototype_scoring", "yaml"),
    )
