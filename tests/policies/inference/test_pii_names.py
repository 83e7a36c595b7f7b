"""The PII name head: real ONNX files run by onnxruntime, measured on hand-labelled texts beside the patterns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from policies.errors import PolicyError
from policies.inference import NAME_TYPES, Scores, TextEncoder, detect_pii, pii_name_head
from policies.inference.bundle import models_dir
from policies.simulation.neural import NeuralContext

from .conftest import load_fixture

THRESHOLD = 0.5
# Measured by scripts/build_models.py on the shipped files (MODEL_CARD.md); floors sit a little below.
FLOORS = {"before_model": (0.75, 0.85), "with_heuristics": (0.82, 0.78)}  # measured 0.823/0.903, 0.889/0.842


@pytest.fixture(scope="module")
def head():
    return pii_name_head()


def labelled(name: str) -> tuple[list[str], list[set[str]]]:
    rows = load_fixture("pii_names_labelled.json")["sets"][name]
    return [r["text"] for r in rows], [set(r["types"]) for r in rows]


def precision_recall(gold: list[set[str]], predicted: list[set[str]]) -> tuple[float, float]:
    tp = sum(len(g & p) for g, p in zip(gold, predicted))
    fp = sum(len(p - g) for g, p in zip(gold, predicted))
    fn = sum(len(g - p) for g, p in zip(gold, predicted))
    return tp / (tp + fp), tp / (tp + fn)


def model_types(encoder, head, texts: list[str]) -> list[set[str]]:
    scores = encoder.encode_with(texts, head)[1]
    return [{label for label, p in zip(head.labels, row) if p >= THRESHOLD} for row in scores]


def pattern_types(texts: list[str]) -> list[set[str]]:
    scores = detect_pii(texts)
    return [{t for t, p in zip(scores.labels, row) if t in NAME_TYPES and p >= THRESHOLD} for row in scores.probs]


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_head_precision_and_recall_on_hand_labelled_texts(encoder, head, name):
    texts, gold = labelled(name)
    precision, recall = precision_recall(gold, model_types(encoder, head, texts))
    p_pat, r_pat = precision_recall(gold, pattern_types(texts))
    print(f"{name} ({len(texts)} texts): head P {precision:.3f} R {recall:.3f}; patterns P {p_pat:.3f} R {r_pat:.3f}")
    assert precision >= FLOORS[name][0] and recall >= FLOORS[name][1]


def test_head_finds_names_no_list_holds(encoder, head):
    """The reason for a model: names, firms and places outside every gazetteer."""
    texts, gold = labelled("before_model")
    head_recall = precision_recall(gold, model_types(encoder, head, texts))[1]
    assert head_recall > precision_recall(gold, pattern_types(texts))[1]
    text = "Please forward the invoice to Oksana Hrytsenko at Zelvana Logistics in Tallinn."
    found = model_types(encoder, head, [text])[0]
    assert {"PERSON", "GPE"} <= found


def test_scores_do_not_depend_on_batch_mates(encoder, head):
    texts, _ = labelled("before_model")
    together = encoder.encode_with(texts, head)[1]
    alone = np.concatenate([encoder.encode_with([t], head)[1] for t in texts[:12]])
    assert np.allclose(alone, together[:12], atol=1e-5)


def test_detect_pii_takes_the_head_scores_for_name_types():
    text = "Mr. John Miller emailed john@example.com from Boston."
    patterns = detect_pii([text])
    names = Scores(tuple(NAME_TYPES), np.full((1, len(NAME_TYPES)), 0.25, dtype=np.float32))
    mixed = detect_pii([text], name_scores=names)
    for j, label in enumerate(mixed.labels):
        expected = 0.25 if label in NAME_TYPES else patterns.probs[0, j]
        assert mixed.probs[0, j] == pytest.approx(expected), label
    assert patterns.probs[0, list(patterns.labels).index("PERSON")] >= THRESHOLD  # the patterns did fire


@pytest.fixture(scope="module")
def plain_encoder_dir(tmp_path_factory) -> Path:
    """The bundled encoder with its token_features output removed: what a user's own export may look like."""
    import onnx

    directory = tmp_path_factory.mktemp("plain_encoder")
    model = onnx.load(str(models_dir() / "encoder.onnx"))
    keep = [o for o in model.graph.output if o.name != "token_features"]
    del model.graph.output[:]
    model.graph.output.extend(keep)
    onnx.save(model, str(directory / "encoder.onnx"))
    (directory / "tokenizer.json").write_bytes((models_dir() / "tokenizer.json").read_bytes())
    return directory


def test_encoder_without_token_features_is_refused_by_name(plain_encoder_dir, head):
    plain = TextEncoder(plain_encoder_dir, workers=1)
    with pytest.raises(PolicyError, match="token_features") as err:
        plain.encode_with(["hello"], head)
    assert str(plain_encoder_dir / "encoder.onnx") in str(err.value)


def test_simulation_uses_the_head_and_falls_back_to_patterns(encoder, plain_encoder_dir):
    texts = pl.Series(["Ask Oksana Hrytsenko to call me.", "Write a haiku about rain.",
                       "Ask Oksana Hrytsenko to call me."])
    with_head = NeuralContext(encoder, use_disk_cache=False)
    scores = with_head.pii_scores(texts)
    assert with_head.name_head is not None
    assert scores["PERSON"][0] >= THRESHOLD and scores["PERSON"][1] < THRESHOLD
    assert scores["PERSON"][0] == scores["PERSON"][2]
    # the embeddings came from the same pass: nothing left to encode
    assert set(with_head._vectors) == set(texts.unique().to_list())

    fallback = NeuralContext(TextEncoder(plain_encoder_dir, workers=1), use_disk_cache=False)
    assert fallback.name_head is None
    expected = detect_pii(texts.to_list()).probs[:, list(detect_pii([""]).labels).index("PERSON")]
    assert np.array_equal(fallback.pii_scores(texts)["PERSON"], expected.astype(np.float64))


def test_name_mask_keeps_capitalised_words_unless_the_text_has_no_capitals(encoder):
    from policies.inference.pii_names import name_mask

    def allowed(text: str) -> list[str]:
        e = encoder.encodings([text])[0]
        mask = name_mask(text, e.offsets, len(e.ids) + 2)
        assert mask[len(e.ids):].sum() == 0 and mask[0] == 0 and mask[len(e.ids) - 1] == 0  # padding, [CLS], [SEP]
        return [tok for tok, m in zip(e.tokens, mask) if m]

    assert allowed("Please ask Al-Farsi about the rain.") == ["please", "al", "-", "far", "##si"]
    lower = "ask oksana about the rain"
    assert allowed(lower) == encoder.encodings([lower])[0].tokens[1:-1]  # every token but [CLS] and [SEP]
