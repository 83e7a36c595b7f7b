"""Minimal inputs for engine bugs the fuzzers found, kept as regression tests once fixed.

Each test states the contract (a result or PolicyError). A new bug is pinned here with
``xfail(strict=True)`` and its signature in ``support.KNOWN_BUGS`` until it is fixed.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile

import pytest

from policies.bundles import open_bundle
from policies.export import export_text
from policies.loader import load_policy, loads_policy

from .support import KNOWN_BUGS, ROOT, refused_or
from .test_export_safety import YAML12_BUG, YAML12_NOT_STRING, plain_strings

K8S = "apiVersion: vllm.ai/v1alpha1\n"
CONFIG_BUGS = [
    # (signature, minimal input, exception it raised before the fix)
    ("AttributeError@policies/dialects/kubernetes.py:_route_to_routing",
     K8S + "kind: IntelligentRoute\nspec: [x]\n", AttributeError),
    ("AttributeError@policies/dialects/kubernetes.py:normalise",
     K8S + "kind: SemanticRouter\nspec: x\n", AttributeError),
    ("TypeError@policies/dialects/kubernetes.py:_pool_to_providers",
     K8S + "kind: IntelligentPool\nspec:\n  models: [{name: m, pricing: {inputTokenPrice: []}}]\n---\n"
     + K8S + "kind: IntelligentRoute\nspec: {}\n", TypeError),
    ("AttributeError@policies/dialects/legacy.py:_providers", "vllm_endpoints: []\nmodel_config: [x]\n",
     AttributeError),
    ("TypeError@policies/dialects/legacy.py:_providers", "vllm_endpoints: 1.5\n", TypeError),
    ("TypeError@policies/dialects/legacy.py:<dictcomp>", "vllm_endpoints:\n- name: [a]\n", TypeError),
    ("TypeError@policies/dialects/legacy.py:normalise",
     "vllm_endpoints: []\ndecisions:\n- {name: a, priority: [100], plugins: [{type: pii}]}\n- {name: b, priority: 1}\n",
     TypeError),
    # repository layout (recognised by a model's reasoning_family) with malformed provider blocks
    ("AttributeError@policies/dialects/repository.py:normalise",
     "providers:\n  defaults: x\n  models: [{name: m, reasoning_family: qwen3}]\n", AttributeError),
    ("TypeError@policies/dialects/repository.py:normalise",
     "providers:\n  defaults: [a]\n  models: [{name: m, reasoning_family: qwen3}]\n", TypeError),
    ("AttributeError@policies/dialects/repository.py:reasoning_block",
     "providers:\n  defaults: {reasoning_families: x}\n  models: [{name: m, reasoning_family: custom}]\n",
     AttributeError),
    ("TypeError@policies/dialects/repository.py:reasoning_block",
     "providers:\n  models: [{name: m, reasoning_family: [a]}]\n", TypeError),
]
BUNDLE_BUG = "RecursionError@policies/bundles/bundle.py:open_bundle"



def test_every_tolerated_bug_is_pinned_here() -> None:
    """The fuzzers may only tolerate crashes that a strict xfail here reproduces (none are open)."""
    assert set(KNOWN_BUGS) <= {sig for sig, _, _ in CONFIG_BUGS} | {BUNDLE_BUG, YAML12_BUG}


@pytest.mark.parametrize("text, error", [pytest.param(text, error, id=sig) for sig, text, error in CONFIG_BUGS])
def test_config_importer_refuses_cleanly(text: str, error: type[Exception]) -> None:
    """Wrong types inside an imported layout must become located PolicyErrors, not crashes."""
    refused_or(loads_policy, text, "bug.yaml")


def _bundle_with_manifest(manifest: bytes) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
    return gzip.compress(raw.getvalue(), mtime=0)


def test_deeply_nested_manifest_is_refused_cleanly() -> None:
    """A manifest under the 1 MiB limit but nested 10,000 deep must be refused with PolicyError."""
    refused_or(open_bundle, _bundle_with_manifest(b"[" * 10_000 + b"]" * 10_000), "bug.tar.gz")


def test_export_quotes_strings_yaml12_reads_as_numbers() -> None:
    spec = load_policy(ROOT / "sample_data" / "policies" / "cost_optimised.yaml").to_spec()
    spec["routing"]["decisions"][3]["plugins"][0]["configuration"]["system_prompt"] = "1e3"
    spec["routing"]["decisions"][1]["description"] = "0o10"
    text, _ = export_text(loads_policy(json.dumps(spec)))
    unquoted = [s for s in plain_strings(text) if YAML12_NOT_STRING.match(s)]
    assert unquoted == [], f"strings exported as plain scalars a YAML 1.2 reader takes for numbers: {unquoted}"
