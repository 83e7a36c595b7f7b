"""The solver reads the config's signal settings (``global.model_catalog``) as the simulation does:
with embedding ``top_k: 1`` two embedding signals never fire together (router
``limitMatchedSignalsByTopK``), so a decision needing both is impossible, and a policy differs from
its copy without the limit."""

from __future__ import annotations

from policies.conflicts import AnalysisOptions, analyze_policy
from policies.conflicts.diff import diff_policies
from policies.model import Policy

BACKEND = [{"name": "b", "endpoint": "h:1", "protocol": "http", "weight": 1}]


def _policy(top_k: int | None) -> Policy:
    spec = {"version": "v0.3",
            "providers": {"defaults": {"model": "small"}, "models": [{"name": "m", "backend_refs": BACKEND},
                                                                     {"name": "small", "backend_refs": BACKEND}]},
            "routing": {"signals": {"embeddings": [{"name": "a", "threshold": 0.5, "candidates": ["x"]},
                                                   {"name": "b", "threshold": 0.5, "candidates": ["y"]}]},
                        "decisions": [{"name": "both", "priority": 10, "modelRefs": [{"model": "m"}],
                                       "rules": {"operator": "AND", "conditions": [
                                           {"type": "embedding", "name": "a"}, {"type": "embedding", "name": "b"}]}}]}}
    if top_k is not None:
        spec["global"] = {"model_catalog": {"embeddings": {"semantic": {"embedding_config": {"top_k": top_k}}}}}
    return Policy.from_spec(spec)


def _kinds(policy: Policy) -> set[tuple[str, tuple[str, ...]]]:
    report = analyze_policy(policy, AnalysisOptions(encoder=None, repairs=False))
    return {(f.kind, tuple(f.decisions)) for f in report.findings}


def test_top_k_one_makes_two_embeddings_together_impossible() -> None:
    assert ("impossible-and", ("both",)) not in _kinds(_policy(None))
    assert ("impossible-and", ("both",)) not in _kinds(_policy(2))
    assert ("impossible-and", ("both",)) in _kinds(_policy(1))


def test_diff_sees_the_limit_as_a_routing_change() -> None:
    """Routing differs where both signals fire: 'both' sends to m, the default to small."""
    (same,) = diff_policies(_policy(None), _policy(2))
    (changed,) = diff_policies(_policy(None), _policy(1))
    assert same.equivalent is True
    assert changed.equivalent is False and (changed.decision_a, changed.decision_b) == ("both", None)
