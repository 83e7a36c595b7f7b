"""The Models tab: a models.yaml is checked model by model, applied to the session's simulators (whose
simulations then follow the model), saved with the policy version and loaded back from it."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import yaml

from policies.storage import Store
from policies.traffic import TrafficSet, read_traffic
from widgets.models_view import ModelsView
from widgets.simulators import Simulators

from tests.policies.inference.hf_build import build_classifier
from tests.policies.simulation.test_own_models import DOMAIN_POLICY, INVERTED, PROMPTS


@pytest.fixture
def view(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ROUTING_STUDIO_CACHE", str(tmp_path / "cache"))
    labels = ["Law", "Math", "Other"]
    build_classifier(tmp_path / "models" / "domain", labels,
                     {w: {k.capitalize(): v for k, v in by.items()} for w, by in INVERTED.items()}, default="Other")
    with Store.open(tmp_path / "s.sqlite") as store:
        widget = ModelsView(store=store, simulators=Simulators(), base=str(tmp_path / "models"))
        assert widget.state.open_text(yaml.safe_dump(DOMAIN_POLICY), "experts")
        yield widget


def traffic(tmp_path: Path) -> TrafficSet:
    path = tmp_path / "traffic.jsonl"
    pl.DataFrame({"request_id": [f"r{i}" for i in range(4)], "prompt": PROMPTS}).write_ndjson(path)
    return read_traffic(path)


def test_apply_checks_each_model_and_the_simulation_follows_it(view: ModelsView, tmp_path: Path) -> None:
    view.text.value = "models:\n  - kind: domain\n    path: domain\n"
    assert view.apply(), view.notice.object
    assert "Law, Math, Other" in view.table.object and "sequence" in view.table.object
    result = view.simulators.get(traffic(tmp_path)).simulate(view.state.policy)
    assert result.requests["decision"].to_list() == ["law_route", "law_route", "math_route", "math_route"]


def test_a_bad_mapping_is_refused_and_the_previous_one_stays(view: ModelsView) -> None:
    view.text.value = "models:\n  - kind: domain\n    path: nowhere\n"
    assert not view.apply()
    assert "model directory not found" in view.notice.object and view.notice.alert_type == "danger"
    view.text.value = "models:\n  - kind: domian\n    path: domain\n"
    assert not view.apply() and "did you mean 'domain'" in view.notice.object
    assert not view.simulators.models  # still the bundled models


def test_saved_with_the_version_and_loaded_back(view: ModelsView) -> None:
    view.text.value = "models:\n  - kind: domain\n    path: domain\n"
    assert view.apply()
    assert not view.save() and "Save the policy as a version first" in view.notice.object
    info = view.store.save_version(view.state.policy_name, view.state.valid_text, "ana", "")
    view.state.mark_saved(info.version)
    assert view.save(), view.notice.object
    saved = view.store.get_version_models(view.state.policy_name, info.version)
    assert yaml.safe_load(saved.models_yaml) == {"models": [{"kind": "domain", "path": "domain"}]}
    assert set(saved.checksums["domain"]) == {"config.json", "model.onnx", "tokenizer.json"}
    view.text.value = ""
    view.simulators.use_models(view.applied.__class__())
    assert view.load() and view.simulators.models.find("domain", "math") is not None
