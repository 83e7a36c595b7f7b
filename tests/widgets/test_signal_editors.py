"""Signal editors: one per engine leaf type from the kind's own declaration, inputs write the spec the engine reads."""

from __future__ import annotations

import pytest

from policies.model import Signal
from policies.model.editor_fields import EditorField
from widgets.signals import editor_for


def test_every_engine_kind_has_a_declared_form() -> None:
    for kind, cls in Signal.leaf_types().items():
        assert cls.summary, f"{kind} has no summary for the builder"
        assert editor_for(kind).kind is cls
        assert editor_for(kind) is editor_for(kind)  # made once


def test_unknown_kind_is_an_error_not_a_generic_editor() -> None:
    with pytest.raises(KeyError, match="no signal kind 'telepathy'"):
        editor_for("telepathy")


@pytest.mark.parametrize("kind", sorted(Signal.leaf_types()))
def test_editor_fields_exist_on_the_engine_model(kind: str) -> None:
    editor = editor_for(kind)
    model_fields = set(Signal.kind(kind).model_fields)
    assert {f.key for f in editor.kind.editor_fields} <= model_fields
    built = editor(spec={"name": "x"})
    built.__panel__()
    assert built.spec == {"name": "x"}


@pytest.mark.parametrize("kind, key, raw, expected", [
    ("keyword", "keywords", "a\n b \n\n", ["a", "b"]),
    ("embedding", "threshold", 0.8, 0.8),
    ("context", "min_tokens", "32K", "32K"),
    ("context", "max_tokens", "4096", 4096),
    ("pii", "pii_types_allowed", ["EMAIL_ADDRESS"], ["EMAIL_ADDRESS"]),
    ("domain", "mmlu_categories", ["math", "physics"], ["math", "physics"]),
    ("classifier", "labels", "yes\nno", ["yes", "no"]),
    ("structure", "predicate", "gte: 2", {"gte": 2}),
    ("input_modality", "modality", "image", "image"),
    ("keyword", "case_sensitive", False, False),
])
def test_inputs_write_the_spec(kind: str, key: str, raw: object, expected: object) -> None:
    editor = editor_for(kind)(spec={"name": "s"})
    editor.set_value(key, raw)
    assert editor.spec[key] == expected
    assert Signal.kind(kind).from_spec(editor.spec).name == "s"


def test_clearing_an_input_removes_the_key() -> None:
    editor = editor_for("reask")(spec={"name": "r", "threshold": 0.5})
    editor.set_value("threshold", None)
    assert editor.spec == {"name": "r"}


def test_bad_yaml_block_is_reported_and_spec_kept() -> None:
    editor = editor_for("metadata")(spec={"name": "m", "predicate": {"eq": "x"}})
    editor.set_value("predicate", "eq: [unclosed")
    assert editor.spec["predicate"] == {"eq": "x"}
    assert "predicate" in editor.error
    editor.set_value("predicate", "eq: y")
    assert editor.spec["predicate"] == {"eq": "y"} and editor.error == ""


def test_label_signals_offer_the_detector_labels() -> None:
    editor = editor_for("fact_check")(spec={"name": "needs_fact_check"})
    assert "no_fact_check_needed" in editor._inputs["name"].options


def test_field_kind_is_checked() -> None:
    with pytest.raises(ValueError):
        EditorField("x", "slider")
