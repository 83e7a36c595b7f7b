"""Neural signals through the bundled ONNX encoder (skipped when the model bundle is absent)."""

from __future__ import annotations

import pytest

from policies.columns import confidence_column, fired_column
from policies.model import Policy
from policies.simulation import Simulator
from policies.simulation.neural import NeuralContext
from policies.simulation.sweep import with_signal_field

from .conftest import make_policy, requests_from_prompts

inference = pytest.importorskip("policies.inference")

PROMPTS = ["How do I reset my router password?", "Troubleshoot my wifi connection dropping",
           "Write a sonnet about autumn leaves", "Prove that there are infinitely many primes",
           "What is 2 + 2?", "Summarise the French revolution in one line"] * 5


@pytest.fixture(scope="module")
def encoder():
    try:
        return inference.default_encoder()
    except Exception as exc:  # a missing bundle is an environment fact, not a test failure
        pytest.skip(f"model bundle not available: {exc}")


DECISIONS = [
    {"name": "support", "priority": 10, "modelRefs": [{"model": "small"}],
     "rules": {"operator": "AND", "conditions": [{"type": "embedding", "name": "tech"}]}},
    {"name": "hard", "priority": 5, "modelRefs": [{"model": "large"}],
     "rules": {"operator": "AND", "conditions": [{"type": "complexity", "name": "level:hard"}]}},
    {"name": "pii", "priority": 20, "modelRefs": [{"model": "small"}],
     "rules": {"operator": "AND", "conditions": [{"type": "pii", "name": "ids"}]}}]
SIGNALS = {
    "embeddings": [{"name": "tech", "threshold": 0.5, "candidates": ["router and wifi troubleshooting",
                                                                    "reset a network password"]}],
    "complexity": [{"name": "level", "threshold": 0.05, "hard": {"candidates": ["prove this theorem rigorously"]},
                    "easy": {"candidates": ["answer briefly", "simple arithmetic"]}}],
    "pii": [{"name": "ids", "threshold": 0.5, "pii_types_allowed": ["PERSON", "NRP", "GPE", "DATE_TIME"]}]}
POLICY = make_policy(DECISIONS, SIGNALS)


def test_embedding_complexity_and_pii_fire_on_the_right_prompts(encoder, tmp_path):
    reqs = requests_from_prompts(PROMPTS[:6] + ["my email is jane.doe@example.com"])
    result = Simulator(reqs, context=NeuralContext(encoder, cache_dir=tmp_path)).simulate(POLICY)
    out = result.requests
    assert out[fired_column(("embedding", "tech"))].to_list()[:3] == [True, True, False]
    assert out[fired_column(("complexity", "level:hard"))][3]
    assert not out[fired_column(("complexity", "level:hard"))][4]
    assert out[fired_column(("pii", "ids"))].to_list() == [False] * 6 + [True]
    assert out["decision"].to_list()[0] == "support" and out["decision"][6] == "pii"
    assert out[confidence_column(("embedding", "tech"))].null_count() == 0


def test_cached_resimulation_never_calls_the_encoder_again(encoder, tmp_path):
    calls = []

    def counted(method):
        def counting(texts, *args, **kwargs):
            calls.append(len(texts))
            return method(texts, *args, **kwargs)
        return counting

    # the real encoder, counted: both ways into an encoder pass (encode_with also runs the PII name head)
    encoder.encode, encoder.encode_with = counted(encoder.encode), counted(encoder.encode_with)
    try:
        reqs = requests_from_prompts(PROMPTS)
        sim = Simulator(reqs, context=NeuralContext(encoder, cache_dir=tmp_path))
        first = sim.simulate(POLICY)
        n = len(calls)
        assert n > 0
        variant = with_signal_field(POLICY, "embedding", "tech", "threshold", 0.3)
        again = sim.simulate(variant)
        assert len(calls) == n  # threshold change: raw scores come from the simulator's store
        assert sim.simulate(POLICY).requests.equals(first.requests)
        assert again.requests[fired_column(("embedding", "tech"))].sum() >= \
            first.requests[fired_column(("embedding", "tech"))].sum()
        # a new process-like simulator over the same disk cache: still no encoder call
        fresh = Simulator(reqs, context=NeuralContext(encoder, cache_dir=tmp_path)).simulate(POLICY)
        assert len(calls) == n
        assert fresh.requests.equals(first.requests)
    finally:
        del encoder.encode, encoder.encode_with


def test_pii_and_embedding_signals_share_one_encoder_pass(encoder, tmp_path):
    """Each distinct text goes through the encoder once, the PII name head riding along only when
    the policy has PII signals."""
    calls: dict[str, list[str]] = {"encode": [], "encode_with": []}

    def counted(name, method):
        def counting(texts, *args, **kwargs):
            calls[name].extend(texts)
            return method(texts, *args, **kwargs)
        return counting

    encoder.encode, encoder.encode_with = (counted("encode", encoder.encode),
                                           counted("encode_with", encoder.encode_with))
    try:
        reqs = requests_from_prompts(PROMPTS)
        Simulator(reqs, context=NeuralContext(encoder, use_disk_cache=False)).simulate(POLICY)
        assert calls["encode"] == [] and len(calls["encode_with"]) == len(set(calls["encode_with"]))
        assert set(PROMPTS) <= set(calls["encode_with"])

        calls["encode_with"].clear()
        no_pii = make_policy(DECISIONS[:2], {k: v for k, v in SIGNALS.items() if k != "pii"})
        Simulator(reqs, context=NeuralContext(encoder, use_disk_cache=False)).simulate(no_pii)
        assert calls["encode_with"] == [] and set(PROMPTS) <= set(calls["encode"])
    finally:
        del encoder.encode, encoder.encode_with


def test_the_configs_embedding_top_k_limits_what_fires(encoder, tmp_path):
    """``global.model_catalog.embeddings.semantic.embedding_config.top_k`` reaches the simulation: with
    three near-identical embedding signals that all match, top_k 1 keeps one per request."""
    signals = {"embeddings": [{"name": name, "threshold": 0.3, "candidates": ["router and wifi troubleshooting"]}
                              for name in ("net_a", "net_b", "net_c")]}
    decisions = [{"name": f"d_{s['name']}", "priority": 10 - i, "modelRefs": [{"model": "small"}],
                  "rules": {"operator": "AND", "conditions": [{"type": "embedding", "name": s["name"]}]}}
                 for i, s in enumerate(signals["embeddings"])]
    spec = make_policy(decisions, signals).to_spec()
    limited = Policy.from_spec({**spec, "global": {"model_catalog": {"embeddings": {"semantic": {
        "embedding_config": {"top_k": 1}}}}}})
    simulator = Simulator(requests_from_prompts(PROMPTS[:2]), context=NeuralContext(encoder, cache_dir=tmp_path))
    columns = [fired_column(("embedding", s["name"])) for s in signals["embeddings"]]
    everything = simulator.simulate(Policy.from_spec(spec)).requests.select(columns).rows()
    one = simulator.simulate(limited).requests.select(columns).rows()
    assert everything == [(True, True, True)] * 2
    assert [sum(row) for row in one] == [1, 1]
