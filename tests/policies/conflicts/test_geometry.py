"""Level-2 cap tests with a small explicit encoder (the ONNX encoder plugs in through the same protocol)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from policies.conflicts import AnalysisOptions, analyze_policy
from policies.conflicts.embedding_geometry import Cap, analyse_geometry, separating_threshold

from .conftest import CRISP, fixture


class TableEncoder:
    """Fixed unit vectors per phrase, so angles are known exactly."""

    def __init__(self, table: dict[str, tuple[float, ...]]) -> None:
        self.table = {k: np.asarray(v, dtype=np.float32) / np.linalg.norm(v) for k, v in table.items()}

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.table[t] for t in texts])


def _at(degrees: float) -> tuple[float, float, float]:
    r = math.radians(degrees)
    return (math.cos(r), math.sin(r), 0.0)


def test_cap_margin_and_witness() -> None:
    # confidence_strategy: math_q and code_q, threshold 0.7 each (radius ≈ 45.57°)
    routing = fixture("confidence_strategy").routing
    near = analyse_geometry(routing, TableEncoder({"solve this equation": _at(0), "fix this python bug": _at(80)}))
    (pair,) = near.pairs
    radius = math.acos(0.7)
    assert pair.margin == pytest.approx(2 * radius - math.radians(80), abs=1e-6) and pair.intersects
    assert float(np.dot(pair.witness, near.caps["math_q"][0].centre)) >= 0.7 - 1e-6
    assert float(np.dot(pair.witness, near.caps["code_q"][0].centre)) >= 0.7 - 1e-6
    far = analyse_geometry(routing, TableEncoder({"solve this equation": _at(0), "fix this python bug": _at(100)}))
    assert not far.pairs[0].intersects
    t = separating_threshold(Cap(np.asarray(_at(0)), 0.7, "x"), far.caps["code_q"][0])
    assert t == pytest.approx(math.cos(math.radians(100) - radius))


def test_disjoint_caps_become_lemmas_and_remove_the_overlap() -> None:
    policy = fixture("confidence_strategy")
    far = TableEncoder({"solve this equation": _at(0), "fix this python bug": _at(100)})
    near = TableEncoder({"solve this equation": _at(0), "fix this python bug": _at(30)})
    assert {f.kind for f in analyze_policy(policy, CRISP).findings} == {"confidence-decided"}
    assert analyze_policy(policy, AnalysisOptions(encoder=far)).findings == []
    kinds = {(f.kind, f.evidence) for f in analyze_policy(policy, AnalysisOptions(encoder=near)).findings}
    # the cap test proves the two caps meet, so the overlap itself is proved, not merely possible
    assert kinds == {("embedding-co-firing", "proved"), ("confidence-decided", "proved")}


def test_mean_aggregation_can_be_dead() -> None:
    policy = fixture("keyword_vs_embedding")
    signal = policy.routing.signals.embeddings[0]
    signal.aggregation_method, signal.candidates, signal.threshold = "mean", ["a", "b"], 0.9
    geometry = analyse_geometry(policy.routing, TableEncoder({"a": _at(0), "b": _at(90)}))
    assert geometry.dead == ["billing_intent"]  # ‖c̄‖ = cos 45° ≈ 0.707 < 0.9
    kinds = {f.kind for f in analyze_policy(policy, AnalysisOptions(encoder=TableEncoder({"a": _at(0), "b": _at(90)}))).findings}
    assert "dead-decision" in kinds


def test_real_encoder_cofires_synonyms_and_separates_unrelated_signals() -> None:
    from policies.conflicts.embedding_geometry import default_encoder
    from policies.model import Policy

    encoder = default_encoder()
    if encoder is None:
        pytest.skip("bundled text encoder not built (python scripts/build_models.py)")
    signals = [{"name": "refund", "threshold": 0.8, "candidates": ["I want a refund for my order"]},
               {"name": "money_back", "threshold": 0.8, "candidates": ["I would like a refund for my purchase"]},
               {"name": "coding", "threshold": 0.8, "candidates": ["write a sorting function in python"]}]
    decisions = [{"name": n, "priority": p, "rules": {"operator": "AND", "conditions": [{"type": "embedding", "name": n}]},
                  "modelRefs": [{"model": m, "use_reasoning": False}]}
                 for n, p, m in [("refund", 300, "m-a"), ("money_back", 200, "m-b"), ("coding", 100, "m-c")]]
    policy = Policy.from_spec({"version": "v0.3", "providers": {"defaults": {"model": "m-a"},
                               "models": [{"name": m} for m in ("m-a", "m-b", "m-c")]},
                               "routing": {"signals": {"embeddings": signals}, "decisions": decisions}})
    geometry = analyse_geometry(policy.routing, encoder)
    assert geometry.pair("refund", "money_back").intersects
    assert not geometry.pair("refund", "coding").intersects and not geometry.pair("money_back", "coding").intersects
    report = analyze_policy(policy)  # the default options use the bundled encoder
    found = {(f.kind, f.evidence, tuple(f.decisions)) for f in report.findings}
    assert ("embedding-co-firing", "proved", ("refund", "money_back")) in found
    assert ("overlap", "proved", ("refund", "money_back")) in found
    assert not any("coding" in f.decisions for f in report.findings)  # proved disjoint: lemmas remove the overlaps
