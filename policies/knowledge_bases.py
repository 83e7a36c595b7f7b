"""Knowledge bases as vLLM Semantic Router declares and loads them: catalog, defaults, exemplars.

A knowledge base (KB) is a labelled exemplar set (``labels.json``: ``{labels: {name: {description,
exemplars}}}``) plus routing settings: ``threshold``, per-label ``label_thresholds``, named
``groups`` of labels, named ``metrics`` and ``prototype_scoring``. ``kb`` signals and ``kb_metric``
projection inputs name a KB; how a request is scored against one lives in
:mod:`policies.signals.kb`. This module only reads configs and files (no models), so
anything may import it.

Router sources (github.com/vllm-project/semantic-router, under ``src/semantic-router/pkg/``):

* ``config/canonical_defaults.go`` (``defaultCanonicalKnowledgeBases``): the built-in catalog.
  ``privacy_kb``: folder ``knowledge_bases/privacy/``, threshold 0.55, ``prompt_injection`` 0.7,
  six groups, metric ``private_vs_public`` (group margin private − public). ``mmlu_kb``: folder
  ``knowledge_bases/mmlu/``, threshold 0.25, groups escalate/keep, metric ``escalate_vs_keep``.
* ``config/canonical_global_merge.go`` (``mergeCanonicalMaps``): ``global`` merges into those
  defaults key by key, but a list replaces the default list whole, so a config that writes
  ``global.model_catalog.kbs`` declares the complete catalog (the built-ins only if it lists them).
* ``config/kb_config.go``: the fields; ``source.manifest`` defaults to ``labels.json``; a relative
  ``source.path`` is looked up under the config's folder (its ``.vllm-sr/`` runtime copy first, for
  ``knowledge_bases/…`` paths), then under the router's built-in asset root, which for us is the
  folder holding :func:`sample_data.knowledge_bases_dir` (the two built-in KBs ship there).
* ``config/prototype_scoring_config.go`` (``PrototypeScoringConfig.WithDefaults``): enabled,
  cluster threshold 0.9, at most 8 prototypes, best weight 0.75 (capped at 1), top-m 2; a value
  ``<= 0`` means unset.
* ``classification/category_kb_classifier.go`` (``loadDefinition``): labels without exemplars
  are dropped; a manifest without labels is an error.

Thresholds are Go ``float32`` in the router and compared after widening to float64, so they are
stored here as the widened float32 value (0.55 → 0.550000011920929): scores right at a threshold
fire exactly when the router's do.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sample_data

MANIFEST = "labels.json"
GROUP_MARGIN = "group_margin"
BEST_SCORE = "best_score"
BEST_MATCHED_SCORE = "best_matched_score"


class KnowledgeBaseError(ValueError):
    """A KB that cannot be resolved or read; the message names the KB and the file (and line)."""


def as_float32(value: Any) -> float:
    """``value`` as the router holds it: a Go float32, widened to float64 for comparisons."""
    return struct.unpack("f", struct.pack("f", float(value)))[0]


@dataclass(frozen=True)
class PrototypeScoring:
    """``prototype_scoring`` with the router's defaults applied (``WithDefaults``)."""

    enabled: bool = True
    cluster_similarity_threshold: float = as_float32(0.9)
    max_prototypes: int = 8
    best_weight: float = as_float32(0.75)
    top_m: int = 2

    @classmethod
    def from_spec(cls, spec: dict[str, Any] | None) -> "PrototypeScoring":
        spec = spec or {}
        default = cls()

        def positive(key: str, fallback: Any) -> Any:
            value = spec.get(key)
            return value if isinstance(value, (int, float)) and value > 0 else fallback

        enabled = spec.get("enabled")
        return cls(enabled=default.enabled if enabled is None else bool(enabled),
                   cluster_similarity_threshold=as_float32(positive("cluster_similarity_threshold",
                                                                    default.cluster_similarity_threshold)),
                   max_prototypes=int(positive("max_prototypes", default.max_prototypes)),
                   best_weight=min(as_float32(positive("best_weight", default.best_weight)), 1.0),
                   top_m=int(positive("top_m", default.top_m)))


@dataclass(frozen=True)
class Metric:
    """A named KB metric; the router computes only ``group_margin`` (positive − negative group score)."""

    name: str
    type: str
    positive_group: str = ""
    negative_group: str = ""


@dataclass(frozen=True)
class KnowledgeBaseConfig:
    """One entry of ``global.model_catalog.kbs`` (or a built-in default)."""

    name: str
    path: str
    manifest: str = MANIFEST
    threshold: float = 0.0
    label_thresholds: dict[str, float] = field(default_factory=dict)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    metrics: tuple[Metric, ...] = ()
    prototype_scoring: PrototypeScoring = PrototypeScoring()

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> "KnowledgeBaseConfig":
        source = spec.get("source") or {}
        return cls(name=str(spec.get("name") or ""), path=str(source.get("path") or ""),
                   manifest=str(source.get("manifest") or "").strip() or MANIFEST,
                   threshold=as_float32(spec.get("threshold") or 0.0),
                   label_thresholds={str(k): as_float32(v) for k, v in (spec.get("label_thresholds") or {}).items()},
                   groups={str(g): tuple(str(x) for x in labels or []) for g, labels in (spec.get("groups") or {}).items()},
                   metrics=tuple(Metric(str(m.get("name") or ""), str(m.get("type") or ""),
                                        str(m.get("positive_group") or ""), str(m.get("negative_group") or ""))
                                 for m in spec.get("metrics") or []),
                   prototype_scoring=PrototypeScoring.from_spec(spec.get("prototype_scoring")))

    def label_threshold(self, label: str) -> float:
        """``label_thresholds[label]``, else the KB's ``threshold`` (``effectiveThreshold``)."""
        return self.label_thresholds.get(label, self.threshold)

    def metric(self, name: str) -> Metric | None:
        return next((m for m in self.metrics if m.name == name), None)


BUILTIN: tuple[KnowledgeBaseConfig, ...] = (
    KnowledgeBaseConfig.from_spec({
        "name": "privacy_kb", "source": {"path": "knowledge_bases/privacy/", "manifest": MANIFEST},
        "threshold": 0.55, "label_thresholds": {"prompt_injection": 0.7},
        "groups": {
            "security_containment": ["prompt_injection", "credential_exfiltration", "jailbreak_role",
                                     "system_prompt_extraction"],
            "privacy_policy": ["proprietary_code", "internal_document", "pii", "business_strategy", "trade_secret_ip",
                               "operational_infrastructure", "locality_directive", "customer_data"],
            "frontier_reasoning": ["architecture_analysis", "root_cause_analysis", "multi_step_tradeoffs"],
            "local_standard": ["generic_coding", "simple_task", "general_knowledge"],
            "private": ["prompt_injection", "credential_exfiltration", "jailbreak_role", "system_prompt_extraction",
                        "proprietary_code", "internal_document", "pii", "business_strategy", "trade_secret_ip",
                        "operational_infrastructure", "locality_directive", "customer_data"],
            "public": ["architecture_analysis", "root_cause_analysis", "multi_step_tradeoffs", "generic_coding",
                       "simple_task", "general_knowledge"],
        },
        "metrics": [{"name": "private_vs_public", "type": GROUP_MARGIN, "positive_group": "private",
                     "negative_group": "public"}],
    }),
    KnowledgeBaseConfig.from_spec({
        "name": "mmlu_kb", "source": {"path": "knowledge_bases/mmlu/", "manifest": MANIFEST},
        "threshold": 0.25,
        "groups": {
            "escalate": ["biology", "business", "computer science", "economics", "history", "math", "other",
                         "philosophy", "psychology"],
            "keep": ["chemistry", "engineering", "health", "law", "physics"],
        },
        "metrics": [{"name": "escalate_vs_keep", "type": GROUP_MARGIN, "positive_group": "escalate",
                     "negative_group": "keep"}],
    }),
)


@dataclass(frozen=True)
class KnowledgeBase:
    """A resolved KB: its config, the manifest it was read from, and each label's exemplars."""

    config: KnowledgeBaseConfig
    manifest: Path
    labels: dict[str, tuple[str, ...]]  # labels with at least one exemplar, in manifest order

    @property
    def name(self) -> str:
        return self.config.name

    def fingerprint(self) -> str:
        """Hash of what the per-label scores depend on (exemplars and prototype scoring); thresholds,
        groups and metrics are applied afterwards, so changing them re-uses the scores."""
        text = json.dumps([sorted(self.labels.items()), self.config.prototype_scoring.__dict__], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:24]


def _candidate_roots(path: str, base_dir: Path | None) -> list[Path]:
    """Where a relative ``source.path`` may live, in the router's order (``candidateRoots``)."""
    out: list[Path] = []
    clean = path.strip().rstrip("/")
    if base_dir is not None:
        if base_dir.name != ".vllm-sr" and (clean == "knowledge_bases" or clean.startswith("knowledge_bases/")):
            out.append(base_dir / ".vllm-sr" / clean)
        out.append(base_dir / clean)
    out.append(sample_data.knowledge_bases_dir().parent / clean)
    return out


def _read_labels(config: KnowledgeBaseConfig, manifest: Path) -> dict[str, tuple[str, ...]]:
    where = f"knowledge base {config.name!r}: {manifest}"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise KnowledgeBaseError(f"{where}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from exc
    except OSError as exc:
        raise KnowledgeBaseError(f"{where}: cannot be read ({exc.strerror})") from exc
    labels = data.get("labels") if isinstance(data, dict) else None
    if not isinstance(labels, dict) or not labels:
        raise KnowledgeBaseError(f"{where}: field 'labels' is missing or empty (the router refuses such a manifest)")
    out: dict[str, tuple[str, ...]] = {}
    for name, label in labels.items():
        exemplars = label.get("exemplars") if isinstance(label, dict) else None
        if exemplars is not None and not (isinstance(exemplars, list) and all(isinstance(x, str) for x in exemplars)):
            raise KnowledgeBaseError(f"{where}: field 'labels.{name}.exemplars' must be a list of strings")
        if exemplars:
            out[str(name)] = tuple(exemplars)
    if not out:
        raise KnowledgeBaseError(f"{where}: no label has exemplars (the router refuses such a manifest)")
    return out


class KnowledgeBaseCatalog:
    """The KBs a config can name: ``global.model_catalog.kbs`` if written, else the built-ins."""

    def __init__(self, configs: tuple[KnowledgeBaseConfig, ...] = BUILTIN, base_dir: Path | None = None,
                 declared: bool = False) -> None:
        self.configs = {c.name: c for c in configs}
        self.base_dir = base_dir
        self.declared = declared  # True when the config wrote global.model_catalog.kbs itself
        self._loaded: dict[str, KnowledgeBase] = {}

    @classmethod
    def of(cls, global_: dict[str, Any] | None, source_file: str | None = None) -> "KnowledgeBaseCatalog":
        """The catalog of a config with this ``global`` block, read from ``source_file`` (its folder
        is where relative KB paths are looked up first)."""
        base_dir = Path(source_file).resolve().parent if source_file else None
        catalog = (global_ or {}).get("model_catalog") or {}
        if isinstance(catalog, dict) and "kbs" in catalog:
            specs = catalog.get("kbs") or []
            return cls(tuple(KnowledgeBaseConfig.from_spec(s) for s in specs if isinstance(s, dict)), base_dir, True)
        return cls(BUILTIN, base_dir)

    def names(self) -> list[str]:
        return list(self.configs)

    def get(self, name: str) -> KnowledgeBase:
        """The KB called ``name``, its exemplars read (once); :class:`KnowledgeBaseError` says why not."""
        if name in self._loaded:
            return self._loaded[name]
        config = self.configs.get(name)
        if config is None:
            where = "global.model_catalog.kbs" if self.declared else "the router's built-in knowledge bases"
            raise KnowledgeBaseError(f"knowledge base {name!r} is not declared: {where} holds "
                                     f"{', '.join(sorted(self.configs)) or 'none'}")
        if not config.path:
            raise KnowledgeBaseError(f"knowledge base {name!r}: source.path is empty")
        if Path(config.path).is_absolute():
            tried = [Path(config.path)]
        else:
            tried = _candidate_roots(config.path, self.base_dir)
        manifest = next((root / config.manifest for root in tried if (root / config.manifest).is_file()), None)
        if manifest is None:
            raise KnowledgeBaseError(f"knowledge base {name!r}: no {config.manifest} under source.path "
                                     f"{config.path!r} (looked in {', '.join(str(r) for r in tried)})")
        self._loaded[name] = KnowledgeBase(config, manifest, _read_labels(config, manifest))
        return self._loaded[name]
