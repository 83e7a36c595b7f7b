"""Every PII score comes with the type and the words that fired (issue 17, item 3): the bundled name
head's scores are located on words (its per-text score is exactly the best of its per-token scores),
the patterns report their matches, and explanations (CLI text and JSON, the studio's signals table)
show them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from policies.inference import default_encoder, pii_name_head
from policies.loader import load_policy
from policies.simulation.explain import explain_text
from widgets.explain import signals_frame

ROOT = Path(__file__).resolve().parents[3]
# The example: blocked by safety_first's credentials_or_ids at 0.994, with no word named.
JUPITER = ("Jupiter pilots his newly created perfectionism scale on a high school psychology class. He returns "
           "one month later to administer the same test.")
TEXTS = [JUPITER, "Ask John Smith at Google in Paris about the invoice.", "integrate x squared from 0 to 1",
         "Dr. Maria Garcia, our chief financial officer, flew to Berlin."]


def test_name_head_spans_carry_its_scores_on_words():
    encoder, head = default_encoder(), pii_name_head()
    _, text_scores = encoder.encode_with(TEXTS, head)
    for text, scores, spans in zip(TEXTS, text_scores, head.spans(encoder, TEXTS, 0.5)):
        for m in spans:
            assert text[m.start:m.end] == m.text and m.text.strip() == m.text and m.score >= 0.5
        for j, kind in enumerate(head.labels):
            best = max((m.score for m in spans if m.type == kind), default=0.0)
            # a type the head scores at 0.5 or more is found on words, with that very score
            assert best == pytest.approx(scores[j], abs=1e-5) if scores[j] >= 0.5 else best == 0.0
    located = head.spans(encoder, TEXTS[1:2], 0.5)[0]
    assert any(m.type == "PERSON" and "John Smith" in m.text for m in located)  # one span, both words


def test_the_explanation_names_the_type_and_words_that_fired():
    policy = load_policy(ROOT / "sample_data/policies/safety_first.yaml")
    found = explain_text(policy, JUPITER)
    pii = next(s for s in found.signals if s["leaf"] == "pii:credentials_or_ids")
    assert pii["fired"]
    fired_on = {(e["type"], e["text"], e["allowed"]) for e in pii["evidence"]}
    assert ("PERSON", "Jupiter", True) in fired_on  # allowed by the policy: not why it fired
    assert any(not allowed for _, _, allowed in fired_on)  # and the entity that did make it fire
    assert all(e["score"] >= 0.85 for e in pii["evidence"])  # what counts at the signal's threshold
    text = found.text()
    for kind, words, _ in fired_on:
        assert f"{kind} {words!r}" in text
    row = signals_frame(found).filter(signals_frame(found)["signal"] == "pii:credentials_or_ids").row(0, named=True)
    assert "PERSON 'Jupiter'" in row["found"]


def test_pattern_types_show_their_match():
    policy = load_policy(ROOT / "sample_data/policies/safety_first.yaml")
    found = explain_text(policy, "please charge my card 4111 1111 1111 1111 today")
    pii = next(s for s in found.signals if s["leaf"] == "pii:credentials_or_ids")
    assert pii["fired"] and ("CREDIT_CARD", "4111 1111 1111 1111") in {(e["type"], e["text"]) for e in pii["evidence"]}


def test_token_scores_are_the_heads_per_token_view():
    encoder, head = default_encoder(), pii_name_head()
    encoding, feeds, features = encoder.token_features(TEXTS[3])
    mask = head.token_inputs([TEXTS[3]], [encoding], features.shape[1])["name_mask"]
    per_token = head.token_scores(features, feeds["attention_mask"], mask)
    assert np.allclose(per_token.max(axis=0), head(features, feeds["attention_mask"], mask)[0], atol=1e-6)
