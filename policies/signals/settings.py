"""The router's config-wide signal settings: what the ``global`` block says about how signals match.

A few match rules are not a signal's own fields but the whole config's, written under
``global.model_catalog`` in the vLLM SR 0.4.0 layout:

* ``embeddings.semantic.embedding_config.top_k``: at most that many embedding signals match per
  request (``HNSWConfig.TopK``: "limits emitted embedding matches only when positive", default 0 =
  no limit; ``src/semantic-router/pkg/config/``, read by ``limitMatchedSignalsByTopK`` in
  ``pkg/classification/classifier_signal_output_policy.go``).
* ``modules.classifier.domain.threshold``: the domain classifier's ``category_model.threshold``
  (``CanonicalCategoryModule`` inlines ``CategoryModel``; the canonical default is 0.5,
  ``defaultClassifierModule`` in ``src/semantic-router/pkg/config/canonical_defaults.go``).

Left out: ``embedding_config.enable_soft_matching`` (when no embedding rule reaches its threshold,
the best one scoring at least ``min_score_threshold``, 0.5, matches). Not simulated: every rule
fires on its own threshold. The router's sources disagree on its default (``HNSWConfig.WithDefaults``
calls it opt-in, default off; ``defaultCanonicalModelCatalog`` in ``canonical_defaults.go`` turns it
on), so a default either way could be wrong; a config that writes it is not read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CATEGORY_THRESHOLD_DEFAULT = 0.5  # defaultClassifierModule, canonical_defaults.go


def _at(block: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(block, dict):
            return None
        block = block.get(key)
    return block


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class SignalSettings:
    """The config-wide signal settings in effect (the router's defaults where the config is silent)."""

    embedding_top_k: int = 0  # 0: every matching embedding signal fires
    category_threshold: float = CATEGORY_THRESHOLD_DEFAULT

    @classmethod
    def of(cls, global_: dict[str, Any] | None) -> "SignalSettings":
        """The settings a config with this ``global`` block runs with."""
        catalog = _at(global_ or {}, "model_catalog")
        top_k = _number(_at(catalog, "embeddings", "semantic", "embedding_config", "top_k"))
        threshold = _number(_at(catalog, "modules", "classifier", "domain", "threshold"))
        return cls(embedding_top_k=max(0, int(top_k)) if top_k is not None else 0,
                   category_threshold=CATEGORY_THRESHOLD_DEFAULT if threshold is None else threshold)
