"""Run the routing signals' models: one shared sentence encoder, classifier heads, PII patterns and
the PII name head.

Runtime needs only onnxruntime, tokenizers and numpy. Models load lazily on first use, on CUDA
when a CUDA session really starts, else on CPU (see :func:`active_provider`).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Sequence

from policies.errors import PolicyError
from policies.inference.bundle import bundled_path, manifest
from policies.inference.cache import ScoreCache, default_cache_dir
from policies.inference.classifiers import (Classifier, EmbeddingClassifier, ModelSpec, Registry,
                                            SequenceClassifier, TokenClassifier)
from policies.inference.encoder import TextEncoder
from policies.inference import hf_models
from policies.inference.pii import NAME_TYPES, PiiMatch, detect_pii, find_pii
from policies.inference.pii_names import PiiNameHead
from policies.inference.providers import active_provider
from policies.inference.scores import Scores

__all__ = [
    "Classifier", "EmbeddingClassifier", "NAME_TYPES", "ModelSpec", "PiiMatch", "PiiNameHead", "ScoreCache",
    "Scores", "SequenceClassifier", "TextEncoder", "TokenClassifier", "active_provider", "default_cache_dir",
    "default_encoder", "detect_pii", "domain_classifier", "find_pii", "get_model", "hf_models", "jailbreak_classifier",
    "pii_name_head", "register_model", "registry",
]


@functools.lru_cache(maxsize=1)
def default_encoder() -> TextEncoder:
    """The bundled all-MiniLM-L6-v2 encoder, loaded once per process."""
    return TextEncoder()


@functools.lru_cache(maxsize=1)
def registry() -> Registry:
    """The process-wide model registry, pre-filled with the bundle's classifier heads."""
    reg = Registry(default_encoder)
    for entry in manifest()["models"]:
        if entry["kind"] == "sequence_classification" and entry.get("encoder"):
            reg.register(entry["name"], bundled_path(entry["file"]), "embedding", bundled_path(entry["labels_file"]))
    return reg


def register_model(name: str, path: str | Path, kind: str, labels: Sequence[str] | str | Path,
                   tokenizer: str | Path | None = None) -> ModelSpec:
    """Add a user ONNX model (``embedding``, ``sequence_classification`` or ``token_classification``)."""
    return registry().register(name, path, kind, labels, tokenizer)


def get_model(name: str) -> Classifier:
    """A registered model by name, loaded on first use."""
    return registry().get(name)


def domain_classifier() -> EmbeddingClassifier:
    """14-label MMLU-Pro domain head over the shared encoder."""
    return registry().get("domain")  # type: ignore[return-value]


def jailbreak_classifier() -> EmbeddingClassifier:
    """benign / jailbreak head over the shared encoder."""
    return registry().get("jailbreak")  # type: ignore[return-value]


@functools.lru_cache(maxsize=1)
def pii_name_head() -> PiiNameHead:
    """PERSON / ORGANIZATION / GPE / NRP / TITLE head over the shared encoder's token features."""
    entry = next((m for m in manifest()["models"] if m["kind"] == "token_head" and m.get("name") == "pii_names"), None)
    if entry is None:
        raise PolicyError.single("model-missing", f"{bundled_path('manifest.json')} lists no PII name head",
                                 file=str(bundled_path("manifest.json")))
    return PiiNameHead(bundled_path(entry["file"]), bundled_path(entry["labels_file"]))
