"""Why a signal did not fire, in the explanation: score against threshold, the nearest keyword, the
classifier's top label elsewhere; numbers with three decimals (real models, one prompt each)."""

from __future__ import annotations

import re
from pathlib import Path

from policies.loader import load_policy
from policies.simulation.explain import explain_text
from policies.signals.lexical import Bm25Index
from policies.simulation.sweep import with_signal_field

ROOT = Path(__file__).resolve().parents[3]


def reasons(found) -> dict[str, str | None]:
    return {s["leaf"]: s["why_not"] for s in found.signals}


def test_a_python_prompt_says_why_the_code_domain_did_not_fire() -> None:
    found = explain_text(load_policy(ROOT / "sample_data" / "policies" / "safety_first.yaml"),
                         "Write a Python function that parses a CSV file and returns the rows as dicts")
    why = reasons(found)
    assert found.label == "(default)"  # the bundled stand-in domain head ranks another label first
    assert why["domain:code"].startswith("the classifier ranked another label first (top probability 0.")
    assert re.fullmatch(r"score 0\.\d{3} < threshold 0\.800", why["jailbreak:prompt_injection"])
    assert why["keyword:self_harm"] == "none of its keywords occurs"


def test_the_nearest_keyword_is_named_with_the_cut_off_it_missed() -> None:
    policy = load_policy(ROOT / "notebooks" / "policies" / "keyword_tiers.yaml")
    stricter = with_signal_field(policy, "keyword", "reasoning", "bm25_threshold", 1.5)
    found = explain_text(stricter, "Please derive the formula")  # 'derive' scores ln 3.6 = 1.281 < 1.5
    level = max(Bm25Index(stricter.routing.find_signal("keyword", "reasoning").keywords).scores("please derive the formula"))
    assert reasons(found)["keyword:reasoning"] == f"nearest keyword 'derive' scores {level:.3f} < bm25_threshold 1.500"
    assert found.label == "(default)"


def test_the_text_prints_three_decimals_and_reasons() -> None:
    text = explain_text(load_policy(ROOT / "notebooks" / "policies" / "keyword_tiers.yaml"),
                        "Please derive the formula").text()
    assert "smallest flip: keyword:reasoning.bm25_threshold 0.600 → 1.281" in text  # not 0.6000000238418579
    assert "✗ keyword:code (none of its keywords occurs)" in text


def test_an_embedding_that_did_not_fire_names_its_nearest_candidate() -> None:
    """The candidate named is the one the encoder puts closest to the prompt (computed here apart)."""
    from policies.inference import default_encoder

    policy = load_policy(ROOT / "sample_data" / "policies" / "multi_domain_experts.yaml")
    prompt = "Write a query that sums revenue per region from the orders table"
    why = reasons(explain_text(policy, prompt))["embedding:data_analysis"]
    candidates = policy.routing.find_signal("embedding", "data_analysis").candidates
    encoder = default_encoder()
    sims = encoder.encode(candidates) @ encoder.encode([prompt])[0]
    best = int(sims.argmax())
    assert candidates[best] == "write a SQL query to aggregate sales"
    assert re.fullmatch(rf"score 0\.\d{{3}} < threshold 0\.720; nearest candidate '{candidates[best]}' at similarity "
                        rf"{sims[best]:.3f}".replace("(", r"\(").replace(")", r"\)"), why), why
