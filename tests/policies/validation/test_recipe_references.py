"""Recipe and entrypoint references (policies/validation/recipes.py), each rule against vllm-sr 0.4.0 itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from policies import vllm_sr_check
from policies.errors import Severity
from policies.loader import load_policy
from policies.validation import validate_policy

ROOT = Path(__file__).resolve().parents[3]
CONFIG = ROOT / "tests" / "fixtures" / "configs" / "recipes_entrypoints.yaml"


def _entrypoint(index: int, **fields: Any) -> Callable[[dict], None]:
    def edit(spec: dict) -> None:
        spec["entrypoints"][index].update(fields)
    return edit


def _recipe_named(name: str) -> Callable[[dict], None]:
    def edit(spec: dict) -> None:
        spec["recipes"].append({"name": name, "routing": {"decisions": []}})
    return edit


def _recipes_only(spec: dict) -> None:
    """The top-level profile moved into an explicit recipe 'default' (the router's recipes-only layout);
    the model cards stay at the top level, the shared catalog."""
    routing = spec.pop("routing")
    spec["routing"] = {"modelCards": routing.pop("modelCards")}
    spec["recipes"].append({"name": "default", "routing": routing})


def _cards_in_recipe(spec: dict) -> None:
    spec["recipes"][0]["routing"]["modelCards"] = spec["routing"].pop("modelCards")


def _global(block: dict) -> Callable[[dict], None]:
    def edit(spec: dict) -> None:
        spec["global"] = block
    return edit


def _both(*edits: Callable[[dict], None]) -> Callable[[dict], None]:
    def edit(spec: dict) -> None:
        for e in edits:
            e(spec)
    return edit


# edit -> (our error codes, located at this path); an empty tuple: valid
CASES: dict[str, tuple[Callable[[dict], None], tuple[str, ...], tuple]] = {
    "unknown recipe": (_entrypoint(0, recipe="codng"), ("unknown-recipe",), ("entrypoints", 0, "recipe")),
    "entrypoint to default": (_entrypoint(0, recipe="default"), (), ()),
    "name of a configured model": (_entrypoint(0, model_names=["large"]), ("entrypoint-name-conflict",),
                                   ("entrypoints", 0, "model_names", 0)),
    "built-in auto alias": (_entrypoint(1, model_names=["auto"]), ("entrypoint-name-conflict",),
                            ("entrypoints", 1, "model_names", 0)),
    "alias freed by auto_model_names": (_both(_global({"router": {"auto_model_names": ["vllm-sr/auto"]}}),
                                              _entrypoint(1, model_names=["auto"])), (), ()),
    "looper alias": (_entrypoint(1, model_names=["vllm-sr/fusion"]), ("entrypoint-name-conflict",),
                     ("entrypoints", 1, "model_names", 0)),
    "name mapped twice": (_entrypoint(1, model_names=["coder"]), ("entrypoint-name-taken",),
                          ("entrypoints", 1, "model_names", 0)),
    "recipe 'default' beside a top-level profile": (_recipe_named("default"), ("duplicate-recipe",),
                                                    ("recipes", 1, "name")),
    "recipes-only layout": (_recipes_only, (), ()),
    "model cards inside a recipe": (_cards_in_recipe, ("recipe-model-cards",), ("recipes", 0, "routing", "modelCards")),
    "reserved recipe name": (_recipe_named("@global"), ("reserved-recipe",), ("recipes", 1, "name")),
    "duplicate recipe": (_recipe_named("coding"), ("duplicate-recipe",), ("recipes", 1, "name")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_recipe_references_agree_with_vllm_sr(case, tmp_path):
    edit, codes, path = CASES[case]
    spec = yaml.safe_load(CONFIG.read_text())
    edit(spec)
    file = tmp_path / "config.yaml"
    file.write_text(yaml.safe_dump(spec, sort_keys=False))
    errors = [f for f in validate_policy(load_policy(file)) if f.severity is Severity.ERROR]
    assert [f.code for f in errors] == list(codes), [f.message for f in errors]
    if errors:
        assert errors[0].path == path and errors[0].line is not None  # located in the user's file
    if vllm_sr_check.available():
        assert bool(vllm_sr_check.vllm_sr_errors(file)) == bool(codes), case


def test_unknown_recipe_suggests_the_near_miss(tmp_path):
    spec = yaml.safe_load(CONFIG.read_text())
    spec["entrypoints"][0]["recipe"] = "codng"
    file = tmp_path / "config.yaml"
    file.write_text(yaml.safe_dump(spec, sort_keys=False))
    (finding,) = [f for f in validate_policy(load_policy(file)) if f.code == "unknown-recipe"]
    assert "did you mean 'coding'?" in (finding.suggestion or "")


def test_a_decision_name_shared_by_two_recipes_is_a_located_warning(tmp_path):
    """vllm-sr 0.4.0 accepts it (no error); some router versions refuse it (canonical_recipes.go)."""
    spec = yaml.safe_load(CONFIG.read_text())
    spec["recipes"][0]["routing"]["decisions"][0]["name"] = "urgent_route"
    file = tmp_path / "config.yaml"
    file.write_text(yaml.safe_dump(spec, sort_keys=False))
    findings = validate_policy(load_policy(file))
    (warning,) = [f for f in findings if f.code == "decision-name-across-recipes"]
    assert warning.severity is Severity.WARNING and warning.path == ("recipes", 0, "routing", "decisions", 0, "name")
    assert warning.line is not None and not [f for f in findings if f.severity is Severity.ERROR]
