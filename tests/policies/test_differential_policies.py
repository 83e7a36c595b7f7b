"""Random policies: the batch winner, the single-request winner and the solver's verdict agree.

Each seed builds a policy over crisp signals (keywords, context bands) with random rule trees,
priorities and tiers, and a random mix of requests. Three answers must agree:

* every request's winner in the vectorised simulation equals :func:`policies.evaluate.route`
  on the same signal state;
* every conflict finding's synthetic witness, replayed through ``route`` *and* through the
  vectorised ranking, produces what the finding claims (the solver's verdict);
* a decision the solver proves never wins (dead, shadowed, unreachable) wins no random request.
"""

from __future__ import annotations

import random

import polars as pl
import pytest
import yaml

from policies.columns import confidence_column, fired_column
from policies.conflicts import analyze_policy
from policies.evaluate import SignalHit, leaf_key, route
from policies.loader import loads_policy
from policies.simulation.decide import compile_decisions, route_frame

from .conflicts.conftest import CRISP, assert_witness_replays

KEYWORDS = ["alpha", "beta", "gamma", "delta"]
MODELS = ["small", "medium", "large"]
SEEDS = range(40)


def _tree(rng: random.Random, leaves: list[dict], depth: int) -> dict:
    if depth == 0 or rng.random() < 0.35:
        return dict(rng.choice(leaves))
    op = rng.choice(["AND", "OR", "OR", "NOT"])
    width = 1 if op == "NOT" else rng.randint(1, 3)
    return {"operator": op, "conditions": [_tree(rng, leaves, depth - 1) for _ in range(width)]}


def _policy_text(rng: random.Random) -> str:
    bands = sorted(rng.sample(range(0, 4000, 250), 4))
    context = [{"name": f"c{i}", "min_tokens": bands[i], "max_tokens": bands[i + 1] + rng.choice([0, 500])}
               for i in range(3)]
    keywords = [{"name": f"k{i}", "operator": "OR", "keywords": rng.sample(KEYWORDS, rng.randint(1, 2))}
                for i in range(3)]
    leaves = ([{"type": "keyword", "name": k["name"]} for k in keywords]
              + [{"type": "context", "name": c["name"]} for c in context])
    decisions = [{"name": f"d{i}", "priority": rng.randint(0, 3),
                  **({"tier": 1} if rng.random() < 0.2 else {}),
                  "rules": _tree(rng, leaves, 3), "modelRefs": [{"model": rng.choice(MODELS), "use_reasoning": False}]}
                 for i in range(rng.randint(2, 5))]
    return yaml.safe_dump({
        "version": "v0.3",
        "providers": {"defaults": {"model": MODELS[0]},
                      "models": [{"name": m, "backend_refs": [{"name": f"b-{m}", "endpoint": f"127.0.0.1:800{i}",
                                                                "protocol": "http", "weight": 1}]}
                                 for i, m in enumerate(MODELS)]},
        "routing": {"signals": {"keywords": keywords, "context": context}, "decisions": decisions},
    }, sort_keys=False)


def _batch(routing, states: list[dict]) -> list[str | None]:
    """Winners through the vectorised ranking, from the same signal states (crisp leaves only)."""
    keys = {leaf_key(node) for d in routing.all_decisions() if d.rules for _, node in d.rules.leaves()}
    frame = pl.DataFrame({
        **{fired_column(k): [s.get(k, SignalHit(False)).fired for s in states] for k in keys},
        **{confidence_column(k): pl.Series([None] * len(states), dtype=pl.Float64) for k in keys},
    })
    compiled = compile_decisions(routing.all_decisions(), lambda key: False, routing.strategy_name, "current")
    return route_frame(compiled, frame)["decision"].to_list()


def _random_states(rng: random.Random, routing, n: int) -> list[dict]:
    """Signal states of random requests: keyword hits from a random text, a random token count."""
    signals = routing.signals
    states = []
    for _ in range(n):
        words = set(rng.sample(KEYWORDS, rng.randint(0, len(KEYWORDS))))
        tokens = rng.randint(0, 5000)
        state = {}
        for s in signals.keywords or []:
            state[("keyword", s.name)] = SignalHit(bool(words & set(s.keywords)))
        for s in signals.context or []:
            low, high = s.band()
            state[("context", s.name)] = SignalHit(low <= tokens and (high is None or tokens <= high))
        states.append(state)
    return states


@pytest.mark.parametrize("seed", SEEDS)
def test_batch_single_and_solver_agree(seed: int) -> None:
    rng = random.Random(seed)
    policy = loads_policy(_policy_text(rng), f"random-{seed}.yaml")
    routing = policy.routing
    states = _random_states(rng, routing, 60)
    single = [route(routing, s, policy.default_model).decision_name for s in states]
    assert _batch(routing, states) == single

    report = analyze_policy(policy, CRISP)
    never_wins = {f.decisions[0] for f in report.findings
                  if f.kind in ("dead-decision", "shadowed", "unreachable")}
    assert not never_wins & set(single), f"seed {seed}: a decision the solver proved never wins won a request"
    replayed = [f for f in report.findings if f.witness_synthetic is not None and f.kind in (
        "coverage-gap", "overlap", "generalization", "priority-tie", "confidence-decided")]
    for finding in replayed:
        assert_witness_replays(policy, finding)
        (batch_winner,) = _batch(routing, [finding.witness_synthetic.state])
        assert batch_winner == route(routing, finding.witness_synthetic.state, policy.default_model).decision_name


def test_the_generator_exercises_the_solver() -> None:
    """Guard against a generator that never produces findings with witnesses (the test above would
    then only compare batch with single)."""
    kinds: set[str] = set()
    for seed in SEEDS:
        policy = loads_policy(_policy_text(random.Random(seed)), f"random-{seed}.yaml")
        kinds |= {f.kind for f in analyze_policy(policy, CRISP).findings if f.witness_synthetic is not None}
    assert {"overlap", "coverage-gap", "generalization", "priority-tie"} <= kinds, kinds
