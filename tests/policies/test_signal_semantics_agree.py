"""A leaf means the same thing to the simulation (Polars), the solver (z3), the single-request evaluator and explanations.

For every kind whose leaf compares scores with a ``threshold``, random raw scores (and scores sitting
exactly on the threshold) go through the simulator's leaf expression and through the solver's atom
with its score variables pinned to the same values: the two verdicts must agree on every row, for a
written threshold, an unset one and (where the router treats it as unset) a written 0. The unset
values are the router's own (``ReaskRule.WithDefaults``: 0.8; ``LanguageRule``: 0.3; required
thresholds: Go's zero value) and the explanation reports the same number.

Rules across a kind's signals (one preference, the longest reask lookback, embedding ``top_k``,
domain labels with the category threshold and entropy) go through :func:`extract` itself with the
raw columns supplied, through the solver with every signal's variables pinned, and through the
router's algorithm as its Go source states it (written out here, independently). Crisp kinds
(keyword, context, language, metadata, authz, event, structure, conversation, input modality) get
random raw values per request and the variables those values fix. Where the solver is pinned, the
single-request evaluator (:func:`policies.evaluate.route`) on the solver's model must match too.
"""

from __future__ import annotations

import random
from typing import Callable

import numpy as np
import polars as pl
import pytest
import z3

from policies.columns import fired_column
from policies.conflicts.encoding import Encoding
from policies.evaluate import route
from policies.knowledge_bases import KnowledgeBaseCatalog
from policies.model import RuleNode
from policies.model.routing import Routing
from policies.model.signals import Signal
from policies.signals.base import Extractor
from policies.signals.settings import SignalSettings
from policies.simulation.extract import RawStore, extract
from policies.simulation.leaves import bound_signal

# (collection, leaf type, extra spec fields, raw score columns → solver variables they pin)
SCORED = [
    ("embeddings", "embedding", {"candidates": ["a"]}),
    ("jailbreak", "jailbreak", {"method": "classifier"}),
    ("reasks", "reask", {}),
    ("preferences", "preference", {"description": "d", "examples": ["a"]}),
]
ROUTER_UNSET = {"embedding": 0.0, "jailbreak": 0.0, "reask": 0.8, "preference": 0.0, "pii": 0.0,
                "language": 0.3, "complexity": 0.0}


def _routing(collection: str, spec: dict) -> Routing:
    return Routing.from_spec({"signals": {collection: [spec]}})


def _thresholds(rng: random.Random) -> list[float | None]:
    return [None, 0.0, round(rng.uniform(0.05, 0.95), 3), round(rng.uniform(-0.5, 1.0), 2)]


def _z3_verdicts(routing: Routing, leaf: RuleNode, pins: list[dict[str, float]]) -> list[bool]:
    """The atom's truth with the leaf's score variables fixed to each row's values (exactly one holds)."""
    encoding = Encoding(routing)
    atom = encoding.atom(leaf)
    terms = {name: encoding.pool.term(name) for pin in pins for name in pin}  # ties the bounds to the terms
    out = []
    for pin in pins:
        solver = z3.Solver()
        solver.add(*encoding.pool.background)
        for name, value in pin.items():
            solver.add(terms[name] == z3.RealVal(str(value)))
        fired = solver.check(atom) == z3.sat
        missed = solver.check(z3.Not(atom)) == z3.sat
        assert fired != missed, f"{leaf.type}:{leaf.name} undetermined for {pin}"
        out.append(fired)
    return out


def _polars_verdicts(signal: Signal, leaf: RuleNode, frame: pl.DataFrame) -> list[bool]:
    extractor = Extractor.for_leaf_type(str(leaf.type))
    assert extractor is not None
    expr = extractor.leaf(signal, leaf, lambda part: pl.col(part)).fired
    return frame.select(expr.alias("fired"))["fired"].to_list()


@pytest.mark.parametrize("collection,leaf_type,extra", SCORED, ids=[k[1] for k in SCORED])
def test_scored_leaf_agrees_between_simulation_and_solver(collection, leaf_type, extra):
    rng = random.Random(leaf_type)
    for threshold in _thresholds(rng):
        spec = {"name": "s", **extra} | ({} if threshold is None else {"threshold": threshold})
        routing = _routing(collection, spec)
        signal = routing.find_signal(leaf_type, "s")
        effective = signal.effective_threshold()
        scores = [round(rng.uniform(-0.2, 1.0), 3) for _ in range(40)] + [effective, effective - 1e-3, effective + 1e-3]
        scores = [min(1.0, max(0.0, s)) if leaf_type != "embedding" else s for s in scores]
        leaf = RuleNode.from_spec({"type": leaf_type, "name": "s"})
        encoding = Encoding(routing)
        encoding.atom(leaf)
        (var,) = encoding._score_vars(leaf)
        polars = _polars_verdicts(signal, leaf, pl.DataFrame({"score": scores}))
        solver = _z3_verdicts(routing, leaf, [{var: s} for s in scores])
        assert polars == solver, f"{leaf_type} threshold={threshold}: simulation and solver disagree"
        assert polars == [s >= effective for s in scores]


def test_pii_leaf_agrees_between_simulation_and_solver():
    from policies.labels import PII_TYPES
    rng = random.Random("pii")
    for threshold in _thresholds(rng):
        threshold = None if threshold is None else min(1.0, abs(threshold))
        spec = {"name": "p", "pii_types_allowed": ["EMAIL_ADDRESS"]} | ({} if threshold is None else {"threshold": threshold})
        routing = _routing("pii", spec)
        signal = routing.find_signal("pii", "p")
        leaf = RuleNode.from_spec({"type": "pii", "name": "p"})
        rows = [{t: round(rng.uniform(0, 1), 2) * (rng.random() < 0.3) for t in PII_TYPES} for _ in range(30)]
        frame = pl.DataFrame(rows).with_columns(OTHER=pl.lit(0.0))
        polars = _polars_verdicts(signal, leaf, frame)
        solver = _z3_verdicts(routing, leaf, [{f"pii:{t}": v for t, v in row.items() if t != "EMAIL_ADDRESS"}
                                              for row in rows])
        assert polars == solver


def test_language_leaf_agrees_between_simulation_and_solver():
    rng = random.Random("language")
    for threshold in (None, 0.0, 0.6):
        spec = {"name": "en", "description": "d"} | ({} if threshold is None else {"threshold": threshold})
        routing = _routing("language", spec)
        signal = routing.find_signal("language", "en")
        leaf = RuleNode.from_spec({"type": "language", "name": "en"})
        confs = [round(rng.uniform(0, 1), 2) for _ in range(30)] + [0.3, 0.6]
        frame = pl.DataFrame({"lang": ["en"] * len(confs), "conf": confs})
        polars = _polars_verdicts(signal, leaf, frame)
        encoding = Encoding(routing)
        atom = encoding.atom(leaf)
        conf_term = encoding.pool.term("language_conf")
        solver = []
        for conf in confs:
            s = z3.Solver()
            s.add(*encoding.pool.background, encoding.pool.is_("language", "en"), conf_term == z3.RealVal(str(conf)))
            solver.append(s.check(atom) == z3.sat and s.check(z3.Not(atom)) == z3.unsat)
        assert polars == solver


@pytest.mark.parametrize("collection,leaf_type,spec", [
    ("embeddings", "embedding", {"candidates": ["a"]}),
    ("jailbreak", "jailbreak", {}),
    ("reasks", "reask", {}),
    ("preferences", "preference", {"description": "d"}),
    ("pii", "pii", {}),
    ("language", "language", {"description": "d"}),
    ("complexity", "complexity", {"hard": {"candidates": ["h"]}, "easy": {"candidates": ["e"]}}),
])
def test_unset_threshold_is_the_routers_default_everywhere(collection, leaf_type, spec):
    signal = _routing(collection, {"name": "s", **spec}).find_signal(leaf_type, "s")
    assert signal.effective_threshold() == ROUTER_UNSET[leaf_type]
    extractor = Extractor.for_leaf_type(leaf_type)
    assert extractor.numeric_thresholds(signal).get("threshold") == ROUTER_UNSET[leaf_type]


def test_written_zero_means_unset_only_where_the_router_says_so():
    reask = _routing("reasks", {"name": "r", "threshold": 0}).find_signal("reask", "r")
    assert reask.effective_threshold() == 0.8 and reask.effective_lookback() == 1
    language = _routing("language", {"name": "en", "description": "d", "threshold": 0}).find_signal("language", "en")
    assert language.effective_threshold() == 0.3
    embedding = _routing("embeddings", {"name": "e", "threshold": 0, "candidates": ["a"]}).find_signal("embedding", "e")
    assert embedding.effective_threshold() == 0.0


@pytest.mark.parametrize("spec,expected", [
    ({}, {0.05: "hard", -0.05: "easy", 0.0: "medium"}),  # unset: threshold 0, the router's zero value
    ({"threshold": 0.1}, {0.15: "hard", 0.05: "medium", -0.15: "easy"}),
    ({"hard_above": 0.2, "easy_below": -0.1}, {0.25: "hard", 0.0: "medium", -0.2: "easy"}),
    ({"hard_below": -0.2, "easy_above": 0.1}, {-0.25: "hard", 0.0: "medium", 0.2: "easy"}),  # lower is harder
])
def test_complexity_levels_follow_the_routers_boundaries(spec, expected):
    signal = _routing("complexity", {"name": "c", "hard": {"candidates": ["h"]}, "easy": {"candidates": ["e"]},
                                     **spec}).find_signal("complexity", "c")
    extractor = Extractor.for_leaf_type("complexity")
    margins = list(expected)
    frame = pl.DataFrame({"hard": [0.5 + m for m in margins], "easy": [0.5] * len(margins)})
    for level in ("hard", "medium", "easy"):
        leaf = RuleNode.from_spec({"type": "complexity", "name": f"c:{level}"})
        fired = _polars_verdicts(signal, leaf, frame)
        assert fired == [expected[m] == level for m in margins], (spec, level)


# -- rules across a kind's signals: the simulation's contest, the solver's and the router's own --------------------

def _contest_routing(collection: str, leaf_type: str, specs: list[dict]) -> Routing:
    decisions = [{"name": f"d_{s['name']}", "rules": {"type": leaf_type, "name": s["name"]}} for s in specs]
    return Routing.from_spec({"signals": {collection: specs}, "decisions": decisions})


def _extracted(routing: Routing, leaf_type: str, parts: dict[str, dict[str, list]],
               settings: SignalSettings) -> dict[str, list[bool]]:
    """Every leaf's simulated verdicts, each signal's raw columns being ``parts[name]`` (through
    :func:`extract`, as a simulation runs it, its raw columns supplied instead of computed)."""
    height = len(next(iter(next(iter(parts.values())).values())))
    store = RawStore(pl.DataFrame({"request_id": [str(i) for i in range(height)]}))
    extractor = Extractor.for_leaf_type(leaf_type)
    for signal in routing.signals.of_kind(leaf_type):
        store.columns[(leaf_type, extractor.raw_key(bound_signal(routing, signal, settings)))] = {
            part: pl.Series(values, dtype=pl.String if any(isinstance(v, str) for v in values) else pl.Float64)
            for part, values in parts[signal.name].items()}
    extraction = extract(routing, store, KnowledgeBaseCatalog.of(None), settings)
    table = extraction.raw.with_columns(extraction.leaf_columns())
    assert not extraction.unavailable
    return {name: table[fired_column((leaf_type, name))].to_list() for name in parts}


def _solved(encoding: Encoding, leaf_type: str, names: list[str], pins: list[list[z3.BoolRef]]) -> dict[str, list[bool]]:
    """Every leaf's atom under each row's ``pins`` (which must decide it); the single-request
    evaluator (:func:`route`) on the solver's model of the row matches each ``d_<name>`` alike."""
    atoms = {name: encoding.atom(RuleNode.leaf(leaf_type, name)) for name in names}
    out: dict[str, list[bool]] = {name: [] for name in names}
    for row, pin in enumerate(pins):
        solver = z3.Solver()
        solver.add(*encoding.pool.background, *pin)
        for name, atom in atoms.items():
            fired, missed = solver.check(atom) == z3.sat, solver.check(z3.Not(atom)) == z3.sat
            assert fired != missed, f"{leaf_type}:{name} undetermined on row {row}"
            out[name].append(fired)
        assert solver.check() == z3.sat
        trees = route(encoding.routing, encoding.state(solver.model()), None).trees
        assert {n: trees[f"d_{n}"].value for n in names} == {n: out[n][-1] for n in names}, f"route on row {row}"
    return out


def _score_pins(encoding: Encoding, leaf_type: str, rows: list[dict[str, float]]) -> list[list[z3.BoolRef]]:
    """Each row's scores as equalities on the signals' score terms."""
    names = list(rows[0]) if rows else []
    terms = {n: encoding.pool.term(encoding._score_vars(RuleNode.leaf(leaf_type, n))[0]) for n in names}
    return [[terms[n] == z3.RealVal(str(row[n])) for n in names] for row in rows]


def _router_preference(specs: list[dict], row: dict[str, float | None]) -> set[str]:
    """``ClassifyDetailed`` + ``Classify``: the best-scoring rule (ties: smaller name), if it passes its threshold."""
    ranked = sorted((-score, name) for name, score in row.items() if score is not None)
    if not ranked:
        return set()
    best = ranked[0][1]
    threshold = next(s.get("threshold") or 0 for s in specs if s["name"] == best)
    return {best} if threshold <= 0 or row[best] >= threshold else set()


def _router_reask(specs: list[dict], row: dict[str, float]) -> set[str]:
    """Per rule ``streak >= lookback`` (the score being the minimum over its lookback), then
    ``retainMaxLookbackReaskMatches``."""
    lookback = {s["name"]: max(1, s.get("lookback_turns") or 1) for s in specs}
    matched = [s["name"] for s in specs if row[s["name"]] >= (s.get("threshold") or 0.8)]
    longest = max((lookback[n] for n in matched), default=0)
    return {n for n in matched if lookback[n] == longest}


def _router_top_k(specs: list[dict], row: dict[str, float], top_k: int) -> set[str]:
    """``findAllMatchedRules`` then ``limitMatchedSignalsByTopK`` over ``embeddingSignalConfidence``."""
    matched = [s["name"] for s in specs if row[s["name"]] >= float(np.float32(s.get("threshold") or 0))]
    confidence = {s["name"]: min(1.0, max(0.0, (row[s["name"]] + 2) / 4 if s.get("negative_candidates")
                                          else row[s["name"]])) for s in specs}
    ranked = sorted(matched, key=lambda n: (-confidence[n], n))
    return set(ranked[:top_k] if top_k > 0 else ranked)


def _rows(rng: random.Random, names: list[str], count: int, low: float, high: float,
          blanks: bool = False) -> dict[str, list[float | None]]:
    """Random scores on a coarse grid (so ties happen), optionally whole blank rows (no score at all)."""
    grid = [round(low + (high - low) * i / 20, 3) for i in range(21)]
    rows = [None if blanks and rng.random() < 0.1 else {n: rng.choice(grid) for n in names} for _ in range(count)]
    return {n: [None if r is None else r[n] for r in rows] for n in names}


def _agree(routing: Routing, leaf_type: str, scores: dict, settings: SignalSettings, oracle) -> None:
    simulated = _extracted(routing, leaf_type, {n: {"score": v} for n, v in scores.items()}, settings)
    rows = [{n: scores[n][i] for n in scores} for i in range(len(next(iter(scores.values()))))]
    expected = [oracle(row) for row in rows]
    for name in scores:
        assert simulated[name] == [name in e for e in expected], f"{leaf_type}:{name}: simulation != router"
    full = [i for i, row in enumerate(rows) if None not in row.values()]
    encoding = Encoding(routing, settings=settings)
    pinned = _solved(encoding, leaf_type, list(scores), _score_pins(encoding, leaf_type, [rows[i] for i in full]))
    for name in scores:
        assert pinned[name] == [simulated[name][i] for i in full], f"{leaf_type}:{name}: solver != simulation"


@pytest.mark.parametrize("seed", range(6))
def test_only_the_best_preference_fires(seed):
    rng = random.Random(f"preference{seed}")
    specs = [{"name": f"p{i}", "description": "d", "examples": ["x"],
              **({"threshold": rng.choice([0.3, 0.5, 0.7])} if rng.random() < 0.6 else {})} for i in range(rng.randint(2, 4))]
    scores = _rows(rng, [s["name"] for s in specs], 60, 0.0, 1.0, blanks=True)
    _agree(_contest_routing("preferences", "preference", specs), "preference", scores, SignalSettings(),
           lambda row: _router_preference(specs, row))


@pytest.mark.parametrize("seed", range(6))
def test_the_longest_reask_lookback_wins(seed):
    rng = random.Random(f"reask{seed}")
    specs = [{"name": f"r{i}", "lookback_turns": rng.choice([1, 1, 2, 3]),
              **({"threshold": rng.choice([0.6, 0.8, 0.9])} if rng.random() < 0.5 else {})} for i in range(rng.randint(2, 4))]
    scores = _rows(rng, [s["name"] for s in specs], 60, 0.4, 1.0)
    _agree(_contest_routing("reasks", "reask", specs), "reask", scores, SignalSettings(),
           lambda row: _router_reask(specs, row))


@pytest.mark.parametrize("seed", range(6))
def test_embedding_top_k_keeps_the_most_confident(seed):
    rng = random.Random(f"embedding{seed}")
    specs = [{"name": f"e{i}", "candidates": ["x"], "threshold": rng.choice([-0.2, 0.0, 0.3, 0.5]),
              **({"negative_candidates": ["y"]} if rng.random() < 0.3 else {})} for i in range(rng.randint(2, 5))]
    top_k = rng.choice([0, 1, 2])
    settings = SignalSettings.of({"model_catalog": {"embeddings": {"semantic": {"embedding_config": {"top_k": top_k}}}}})
    assert settings.embedding_top_k == top_k
    scores = _rows(rng, [s["name"] for s in specs], 60, -1.0, 1.0)  # a cosine; with a negative bank a difference:
    for spec in specs:
        if "negative_candidates" in spec:
            scores[spec["name"]] = [round(2 * v, 3) for v in scores[spec["name"]]]
    _agree(_contest_routing("embeddings", "embedding", specs), "embedding", scores, settings,
           lambda row: _router_top_k(specs, row, top_k))


def _router_domain(specs: list[dict], labels: list[str], probs: np.ndarray, threshold: float) -> set[str]:
    """``buildCategoryNameMappings``, ``domainRuleForLabel`` and ``matchDomainCategories`` for one request."""
    owner: dict[str, str] = {}
    for spec in specs:
        if spec.get("mmlu_categories"):
            owner.update({c.lower(): spec["name"] for c in spec["mmlu_categories"]})
        elif spec["name"].lower() in labels:
            owner[spec["name"].lower()] = spec["name"]
    rule = lambda label: owner.get(label, owner.get("other"))  # noqa: E731
    p = probs.astype(np.float64)
    entropy = -sum(x * np.log2(x) for x in p if x > 0) / np.log2(len(labels))
    t = float(np.float32(threshold))
    if entropy < 0.4:  # "very_low", "low": the top label only
        top = int(p.argmax())
        return {rule(labels[top])} - {None} if p[top] >= t else set()
    return {rule(label) for label, x in zip(labels, p) if x >= t} - {None}


@pytest.mark.parametrize("seed", range(5))
def test_domain_rules_follow_the_routers_label_map_threshold_and_entropy(seed):
    from policies.labels import MMLU_DOMAINS
    from policies.signals.domain import label_parts

    rng = random.Random(f"domain{seed}")
    labels = list(MMLU_DOMAINS)
    specs = [{"name": name, "description": "d"} for name in rng.sample(labels, 2)]  # named after a label
    specs += [{"name": f"r{i}", "description": "d", "mmlu_categories": rng.sample(labels, rng.randint(1, 3))}
              for i in range(rng.randint(1, 3))]
    if rng.random() < 0.6:
        specs.append({"name": "fallback", "description": "d", "mmlu_categories": ["other"]})
    rng.shuffle(specs)
    threshold = rng.choice([0.0, 0.05, 0.2, 0.3, 0.5, 0.6])
    settings = SignalSettings.of({"model_catalog": {"modules": {"classifier": {"domain": {"threshold": threshold}}}}})
    np_rng = np.random.default_rng(seed)
    probs = np.concatenate([np_rng.dirichlet([alpha] * len(labels), 30) for alpha in (0.03, 0.3, 3.0)])
    probs = probs.astype(np.float32)
    routing = _contest_routing("domains", "domain", specs)
    parts = {s.name: {k: v.to_list() for k, v in label_parts(labels, probs, bound_signal(
        routing, s, settings).owned(labels)).items()} for s in routing.signals.of_kind("domain")}
    simulated = _extracted(routing, "domain", parts, settings)
    expected = [_router_domain(specs, labels, row, threshold) for row in probs]
    assert any(expected)
    for spec in specs:
        assert simulated[spec["name"]] == [spec["name"] in e for e in expected], spec["name"]
    encoding = Encoding(routing, settings=settings)
    names = [s["name"] for s in specs]
    for name in names:
        encoding.atom(RuleNode.leaf("domain", name))
    pool, t = encoding.pool, float(np.float32(threshold))
    pins = [[pool.is_("domain", labels[int(row.argmax())]),
             pool.bools["domain:certain"] == z3.BoolVal(bool(parts[names[0]]["certain"][i] > 0.5)),
             *(pool.bools[f"domain:reaches:{label}"] == z3.BoolVal(bool(float(x) >= t)) for label, x in zip(labels, row))]
            for i, row in enumerate(probs)]
    assert _solved(encoding, "domain", names, pins) == simulated


def test_the_bundled_stand_in_domain_head_counts_its_top_label():
    """With the stand-in head (near-uniform probabilities) the top label's rule fires whatever its probability."""
    from policies.labels import MMLU_DOMAINS
    from policies.signals.domain import label_parts

    labels = list(MMLU_DOMAINS)
    routing = _contest_routing("domains", "domain", [{"name": "math", "description": "d"},
                                                    {"name": "rest", "description": "d", "mmlu_categories": ["other"]}])
    probs = np.full((2, len(labels)), 0.9 / (len(labels) - 1), dtype=np.float32)
    probs[0, labels.index("math")], probs[1, labels.index("law")] = 0.1, 0.1
    settings = SignalSettings()

    def verdicts(stand_in: bool) -> dict[str, list[bool]]:
        parts = {s.name: {k: v.to_list() for k, v in label_parts(
            labels, probs, bound_signal(routing, s, settings).owned(labels), stand_in).items()}
            for s in routing.signals.of_kind("domain")}
        return _extracted(routing, "domain", parts, settings)

    assert verdicts(True) == {"math": [True, False], "rest": [False, True]}  # law falls to the "other" rule
    assert verdicts(False) == {"math": [False, False], "rest": [False, False]}  # a real model's 0.1 is under 0.5


# -- crisp kinds: random raw values, the simulation's leaf and the solver's atom pinned to the same values ---------
#
# Each case: the kind's collection and leaf type, random signal specs, the raw columns of a random request for one
# signal (what its extractor computes from the request), and the solver's variables that request fixes.

WORDS = ["alpha", "beta", "gamma", "delta"]  # no word contains another: the solver's phrase lemmas stay silent


def _keyword(rng: random.Random):
    specs = [{"name": f"k{i}", "operator": rng.choice(["AND", "OR", "NOR"]), "keywords": rng.sample(WORDS, rng.randint(1, 3))}
             for i in range(3)]

    def request(rng):
        return {w: float(rng.random() < 0.5) for w in WORDS}

    def parts(spec, req):
        return {f"k{i}": req[w] for i, w in enumerate(spec["keywords"])}

    def pins(pool, req):
        return [pool.keyword(w) == z3.BoolVal(req[w] > 0.5) for w in WORDS]
    return "keywords", "keyword", specs, request, parts, pins


def _context(rng: random.Random):
    specs = [{"name": f"c{i}", "min_tokens": low, "max_tokens": low + rng.choice([0, 100, 1000])}
             for i, low in enumerate(sorted(rng.sample(range(0, 2000, 50), 3)))]

    def request(rng):
        return {"tokens": float(rng.choice([rng.randint(0, 3000), specs[0]["min_tokens"], specs[-1]["max_tokens"]]))}
    return ("context", "context", specs, request, lambda spec, req: dict(req),
            lambda pool, req: [pool.term("tokens") == int(req["tokens"])])


def _language(rng: random.Random):
    specs = [{"name": name, "description": "d", **({"threshold": rng.choice([0.2, 0.5, 0.8])} if rng.random() < 0.5 else {})}
             for name in ["en", "fr", "de"]]

    def request(rng):
        return {"lang": rng.choice(["en", "fr", "es", "und"]), "conf": round(rng.random(), 2)}

    def pins(pool, req):
        pool.enum("language", "language", 3)
        return [pool.is_("language", req["lang"]), pool.term("language_conf") == z3.RealVal(str(req["conf"]))]
    return "language", "language", specs, request, lambda spec, req: {"lang": [req["lang"]], "conf": req["conf"]}, pins


def _metadata(rng: random.Random):
    predicates = [{"equals": "gold"}, {"in": ["gold", "silver"]}, {"exists": True}, {"exists": False}]
    specs = [{"name": f"m{i}", "key": "tier", "predicate": p} for i, p in enumerate(predicates)]

    def request(rng):
        return {"value": rng.choice([None, "gold", "silver", "bronze"])}

    def pins(pool, req):
        var = pool.enum("meta:tier", "tier", 1, absent=True)
        return [z3.Not(pool.present(var))] if req["value"] is None else [pool.is_(var, req["value"])]
    return "metadata", "metadata", specs, request, lambda spec, req: {"value": [req["value"]]}, pins


def _authz(rng: random.Random):
    specs = [{"name": role, "role": role, "subjects": [{"kind": "user", "name": f"u{i}"}]}
             for i, role in enumerate(["admin", "analyst"])]

    def request(rng):
        return {s["role"]: float(rng.random() < 0.5) for s in specs}

    def pins(pool, req):
        return [pool.boolean(f"authz:{role}", "flag", role) == z3.BoolVal(hit > 0.5) for role, hit in req.items()]
    return "role_bindings", "authz", specs, request, lambda spec, req: {"match": req[spec["role"]]}, pins


def _event(rng: random.Random):
    specs = [{"name": f"e{i}", "description": "d"} for i in range(2)]

    def request(rng):
        return {s["name"]: rng.choice([0.0, 0.25, 0.5, 0.75, 1.0]) for s in specs}

    def pins(pool, req):
        return [pool.term(f"event:{n}") == z3.RealVal(str(v)) for n, v in req.items()]
    return "events", "event", specs, request, lambda spec, req: {"conf": req[spec["name"]]}, pins


def _counted(rng: random.Random, kind: str, sources: list[dict], var: Callable[[dict], str], flags: set[int]):
    """Specs over count-like features (structure, conversation): random bounds; one variable per source."""
    def spec(i, source):
        bounds = rng.choice([{}, {"gte": 2}, {"gt": 1, "lte": 4}, {"lt": 3}, {"gte": 1, "lt": 1}])
        return {"name": f"{kind}{i}", "feature": {"type": "count", "source": source}, **({"predicate": bounds} if bounds else {})}
    specs = [spec(i, src) for i, src in enumerate(sources)]

    def request(rng):
        return {i: float(rng.randint(0, 1) if i in flags else rng.randint(0, 6)) for i in range(len(sources))}

    def pins(pool, req):
        return [pool.term(var(src)) == int(req[i]) for i, src in enumerate(sources)]
    return specs, request, pins


def _structure(rng: random.Random):
    import json
    sources = [{"type": "regex", "pattern": "[0-9]+"}, {"type": "keyword_set", "keywords": ["step"]}]
    specs, request, pins = _counted(rng, "s", sources, lambda src: f"structure:count:{json.dumps(src, sort_keys=True)}", set())
    index = {s["name"]: i for i, s in enumerate(specs)}
    return ("structure", "structure", specs, request,
            lambda spec, req: {"value": req[index[spec["name"]]], "blank": 0.0}, pins)


def _conversation(rng: random.Random):
    import json
    sources = [{"type": "message", "role": "user"}, {"type": "tool_definition"}]
    specs, request, pins = _counted(rng, "v", sources, lambda src: f"conversation:{json.dumps(src, sort_keys=True)}", set())
    index = {s["name"]: i for i, s in enumerate(specs)}
    return ("conversation", "conversation", specs, request, lambda spec, req: {"count": req[index[spec["name"]]]}, pins)


def _input_modality(rng: random.Random):
    specs = [{"name": m, "modality": m} for m in ["image", "audio"]]

    def request(rng):
        return {m: float(rng.random() < 0.5) for m in ["image", "audio"]}

    def pins(pool, req):
        return [pool.boolean(f"input_modality:{m}", "flag", m) == z3.BoolVal(v > 0.5) for m, v in req.items()]
    return "input_modality", "input_modality", specs, request, lambda spec, req: {"present": req[spec["modality"]]}, pins


CRISP_KINDS = [_keyword, _context, _language, _metadata, _authz, _event, _structure, _conversation, _input_modality]


@pytest.mark.parametrize("case", CRISP_KINDS, ids=[c.__name__[1:] for c in CRISP_KINDS])
def test_crisp_leaf_agrees_between_simulation_and_solver(case):
    rng = random.Random(case.__name__)
    collection, leaf_type, specs, request, parts_of, pins_of = case(rng)
    routing = _contest_routing(collection, leaf_type, specs)
    assert not [f for _, s in routing.all_signals() for f in s.check(()) if f.severity.name == "ERROR"]
    requests = [request(rng) for _ in range(40)]
    parts = {spec["name"]: {} for spec in specs}
    for spec in specs:
        for req in requests:
            for part, value in parts_of(spec, req).items():
                parts[spec["name"]].setdefault(part, []).extend(value if isinstance(value, list) else [value])
    simulated = _extracted(routing, leaf_type, parts, SignalSettings())
    encoding = Encoding(routing)
    names = [spec["name"] for spec in specs]
    for name in names:
        encoding.atom(RuleNode.leaf(leaf_type, name))
    solved = _solved(encoding, leaf_type, names, [pins_of(encoding.pool, req) for req in requests])
    assert solved == simulated
    assert any(any(v) for v in simulated.values()) and not all(all(v) for v in simulated.values())
