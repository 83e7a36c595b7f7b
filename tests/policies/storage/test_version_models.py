"""The own-model mapping saved with a policy version, on both backends, and read back as a mapping."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from policies.errors import PolicyError
from policies.models_config import ModelBinding, ModelsConfig, dump_models_yaml, models_from_data
from policies.storage import Store


def test_a_versions_models_round_trip(store: Store, tmp_path: Path) -> None:
    model = tmp_path / "domain-model"
    model.mkdir()
    (model / "model.onnx").write_bytes(b"weights")
    config = ModelsConfig((ModelBinding("domain", model), ModelBinding("pii", tmp_path / "pii", "ids")))
    store.save_version("p", "a: 1\n", "ana", "")
    assert store.get_version_models("p", 1) is None
    saved = store.save_version_models("p", 1, dump_models_yaml(config, tmp_path), config.checksums())
    got = store.get_version_models("p", 1)
    assert got == saved
    assert got.checksums["domain"] == {"model.onnx": hashlib.sha256(b"weights").hexdigest()}
    again = models_from_data(yaml.safe_load(got.models_yaml), tmp_path)
    assert [(b.key, b.path) for b in again.bindings] == [("domain", model), ("pii:ids", tmp_path / "pii")]
    store.save_version_models("p", 1, "models: []\n", {})  # replaced, not duplicated
    assert store.get_version_models("p", 1).models_yaml == "models: []\n"


def test_models_of_a_version_never_saved_are_refused(store: Store) -> None:
    with pytest.raises(PolicyError, match="no policy named 'nope'"):
        store.save_version_models("nope", 1, "models: []\n", {})
