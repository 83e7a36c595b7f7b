"""The vllm-sr 0.4.0 field contract (a snapshot of its JSON Schema's field names) and fixed vocabularies."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any


@lru_cache(maxsize=1)
def contract() -> dict[str, Any]:
    return json.loads(resources.files("policies.data").joinpath("vllm_sr_contract.json").read_text())


ALGORITHM_TYPES = ("static", "knn", "kmeans", "svm", "mlp", "confidence", "ratings", "remom", "fusion", "workflows",
                   "router_dc", "automix", "hybrid", "latency_aware", "multi_factor", "prompt")
REMOVED_ALGORITHMS = ("elo", "rl_driven", "gmtrouter", "bandit", "personalization", "session_aware")
DEPRECATED_PLUGIN_ALIASES = {"semantic-cache": "response_cache", "semantic_cache": "response_cache",
                             "response-cache": "response_cache"}
STRATEGIES = ("priority", "confidence")
ON_UNKNOWN = ("no_match", "match", "fail_request")
ON_ERROR = ("no_match", "match")
PARTITION_SEMANTICS = ("exclusive", "softmax_exclusive")
