"""Loading a user's Hugging Face ONNX export in each role, and each named error on a bad one.

The models are real ONNX graphs built in the test (:mod:`.hf_build`) and run by onnxruntime."""

from __future__ import annotations

import json

import numpy as np
import pytest

from policies.errors import PolicyError
from policies.inference.hf_models import HfSequenceClassifier, HfTokenClassifier, load_model
from policies.inference.pii import word_bounds

from .hf_build import build_classifier, build_embedding


def codes(exc: pytest.ExceptionInfo[PolicyError]) -> list[str]:
    return [f.code for f in exc.value.findings]


@pytest.fixture
def sequence_dir(tmp_path):
    return build_classifier(tmp_path / "seq", ["needs_fact_check", "no_fact_check_needed"],
                            {"who": {"needs_fact_check": 10}, "when": {"needs_fact_check": 10}},
                            default="no_fact_check_needed")


def test_sequence_classifier_follows_its_votes(sequence_dir):
    model = load_model(sequence_dir, "sequence")
    assert isinstance(model, HfSequenceClassifier)
    assert model.labels == ("needs_fact_check", "no_fact_check_needed")
    scores = model.predict(["who won the cup", "write a poem", "when did it happen"])
    assert scores.top() == ["needs_fact_check", "no_fact_check_needed", "needs_fact_check"]
    assert np.allclose(scores.probs.sum(axis=1), 1.0, atol=1e-5)


def test_token_classifier_bio_spans_are_whole_words(tmp_path):
    directory = build_classifier(tmp_path / "tok", ["O", "B-ACCOUNT", "I-ACCOUNT", "B-PET", "I-PET"],
                                 {"acct": {"B-ACCOUNT": 8}, "##nr": {"I-ACCOUNT": 8}, "zebra": {"B-PET": 8},
                                  "my": {}, "is": {}}, token=True, default="O")
    model = load_model(directory, "token")
    assert isinstance(model, HfTokenClassifier) and model.labels == ("ACCOUNT", "PET")
    text = "My acctnr is acct and my zebra"
    spans = model.spans([text])[0]
    assert [(m.type, m.text) for m in spans] == [("ACCOUNT", "acctnr"), ("ACCOUNT", "acct"), ("PET", "zebra")]
    assert all(text[m.start:m.end] == m.text and 0.5 < m.score <= 1 for m in spans)
    scores = model.predict([text, "my is"])
    assert scores.probs[0].min() > 0.5 and scores.probs[1].max() == 0.0  # no entity: 0, not a low score


def test_token_classifier_plain_labels(tmp_path):
    directory = build_classifier(tmp_path / "plain", ["O", "SECRET"], {"hunter": {"SECRET": 8}, "pw": {}},
                                 token=True, default="O")
    model = load_model(directory, "token")
    assert model.labels == ("SECRET",)
    assert [(m.type, m.text) for m in model.spans(["pw hunter"])[0]] == [("SECRET", "hunter")]


def test_word_bounds_widen_sub_word_pieces():
    assert word_bounds("the acctnr here", 6, 8) == (4, 10)


@pytest.mark.parametrize("pooled", [False, True], ids=["last_hidden_state", "sentence_embedding"])
def test_embedding_model_is_mean_pooled_and_normalised(tmp_path, pooled):
    directory = build_embedding(tmp_path / "emb", {"cat": [2.0, 0, 0], "dog": [0, 1.0, 0]}, pooled=pooled)
    encoder = load_model(directory, "embedding")
    vectors = encoder.encode(["cat", "cat dog", "cat"])
    assert np.allclose(vectors[0], [1, 0, 0], atol=1e-6) and np.allclose(vectors[2], vectors[0])
    # mean over [CLS] cat dog [SEP] (the special tokens are zero vectors) is along (2, 1, 0)
    assert np.allclose(vectors[1], np.array([2, 1, 0]) / np.sqrt(5), atol=1e-6)


def test_missing_directory_and_files(tmp_path, sequence_dir):
    with pytest.raises(PolicyError) as exc:
        load_model(tmp_path / "nowhere", "sequence")
    assert codes(exc) == ["model-dir"] and str(tmp_path / "nowhere") in str(exc.value)
    for name, code in (("model.onnx", "model-missing"), ("tokenizer.json", "tokenizer-missing"),
                       ("config.json", "model-missing")):
        moved = sequence_dir / name
        moved.rename(tmp_path / name)
        with pytest.raises(PolicyError) as exc:
            load_model(sequence_dir, "sequence")
        assert codes(exc) == [code] and exc.value.findings[0].file == str(moved)
        (tmp_path / name).rename(moved)


@pytest.mark.parametrize("config, message", [
    ("{not json", "cannot read"),
    (json.dumps({"model_type": "bert"}), "has no id2label"),
    (json.dumps({"id2label": {"0": "a", "2": "b"}}), "keys must be 0..n-1"),
    (json.dumps({"id2label": {"x": "a"}}), "must map 0..n-1"),
    (json.dumps(["a", "b"]), "not a JSON object"),
])
def test_bad_config_json(sequence_dir, config, message):
    (sequence_dir / "config.json").write_text(config)
    with pytest.raises(PolicyError) as exc:
        load_model(sequence_dir, "sequence")
    assert codes(exc) == ["model-config"] and message in str(exc.value)
    assert exc.value.findings[0].file == str(sequence_dir / "config.json")


def test_label_count_must_match_the_logits(sequence_dir):
    (sequence_dir / "config.json").write_text(json.dumps({"id2label": {"0": "a", "1": "b", "2": "c"}}))
    with pytest.raises(PolicyError) as exc:
        load_model(sequence_dir, "sequence")
    assert codes(exc) == ["model-labels"] and "outputs 2 classes but id2label names 3" in str(exc.value)


def test_wrong_inputs(tmp_path):
    directory = build_classifier(tmp_path / "m", ["a", "b"], {"x": {"a": 1}}, inputs=("input_ids", "pixel_values"))
    with pytest.raises(PolicyError) as exc:
        load_model(directory, "sequence")
    assert codes(exc) == ["model-inputs"] and "pixel_values" in str(exc.value)


def test_wrong_outputs_for_the_role(tmp_path, sequence_dir):
    renamed = build_classifier(tmp_path / "m", ["a", "b"], {"x": {"a": 1}}, output="scores")
    with pytest.raises(PolicyError) as exc:
        load_model(renamed, "sequence")
    assert codes(exc) == ["model-outputs"] and "'scores'" in str(exc.value) and "'logits'" in str(exc.value)
    with pytest.raises(PolicyError) as exc:  # [batch, labels] logits are no token classifier
        load_model(sequence_dir, "token")
    assert codes(exc) == ["model-outputs"] and "token classifier" in str(exc.value)
    with pytest.raises(PolicyError) as exc:  # nor an embedding model
        load_model(sequence_dir, "embedding")
    assert codes(exc) == ["model-outputs"] and "last_hidden_state" in str(exc.value)


def test_token_labels_need_an_entity(tmp_path):
    directory = build_classifier(tmp_path / "m", ["O"], {"x": {"O": 1}}, token=True)
    with pytest.raises(PolicyError) as exc:
        load_model(directory, "token")
    assert codes(exc) == ["model-labels"] and "no entity label" in str(exc.value)
