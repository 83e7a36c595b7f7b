"""Shared fixtures for engine tests: the config fixtures and sample policies on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "tests" / "fixtures" / "configs"
SAMPLES = ROOT / "sample_data" / "policies"
CANONICAL_FILES = sorted(SAMPLES.glob("*.yaml")) + [CONFIGS / f"{n}.yaml" for n in
                                                    ("minimal_canonical", "all_signals", "all_algorithms", "all_plugins")]
OTHER_LAYOUTS = {"repository": CONFIGS / "repository_layout.yaml", "legacy": CONFIGS / "legacy_v01.yaml",
                 "kubernetes": CONFIGS / "k8s_pair.yaml"}


@pytest.fixture
def base_spec_text() -> str:
    """A canonical config that validates with zero findings of any severity."""
    return (CONFIGS / "all_signals.yaml").read_text()
