"""What goes into a bundle besides the config: model files the policy's signals use, tool versions."""

from __future__ import annotations

import json
import platform
from importlib import metadata, resources
from typing import Any

from sample_data import models_dir

from ..model import Policy

# Which shipped models each signal collection needs (the encoder feeds every classifier head).
ENCODER_COLLECTIONS = {"embeddings", "complexity", "preferences", "domains", "jailbreak", "reasks"}
HEAD_COLLECTIONS = {"domains": "domain", "jailbreak": "jailbreak"}
# Both onnxruntime distributions: which one is installed depends on the platform (see pyproject.toml).
DEPENDENCIES = ("onnxruntime-gpu", "onnxruntime", "polars", "pydantic", "z3-solver", "tokenizers", "numpy",
                "sqlalchemy", "pyyaml")


def _manifest() -> dict[str, Any]:
    path = models_dir() / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else {"models": []}


def used_collections(policy: Policy) -> set[str]:
    return {collection for profile in policy.profiles() for collection, _ in profile.routing.all_signals()}


def model_files(policy: Policy) -> dict[str, bytes]:
    """``models/<file>`` → bytes for every shipped model, tokenizer and label map the signals need."""
    used = used_collections(policy)
    wanted_kinds = set()
    if used & ENCODER_COLLECTIONS:
        wanted_kinds.add("embedding")
    wanted_kinds.update(HEAD_COLLECTIONS[c] for c in used & set(HEAD_COLLECTIONS))
    if "pii" in used:
        wanted_kinds.add("pii")
    files: dict[str, bytes] = {}
    for entry in _manifest().get("models", []):
        role = entry.get("role") or entry.get("name") or entry.get("kind")
        if not any(kind in str(role) for kind in wanted_kinds):
            continue
        for name in entry.get("files", []):
            path = models_dir() / name
            if path.is_file():
                files[f"models/{name}"] = path.read_bytes()
    return files


def tool_versions() -> dict[str, str]:
    versions = {"routing-studio": _version("routing-studio"), "python": platform.python_version()}
    versions.update({name: _version(name) for name in DEPENDENCIES})
    contract = json.loads(resources.files("policies.data").joinpath("vllm_sr_contract.json").read_text())
    versions["vllm-sr contract"] = contract.get("vllm_sr_version", "unknown")
    return versions


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"
