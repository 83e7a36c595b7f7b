"""``kb`` signals and ``kb_metric`` inputs, scored with the bundled encoder against real knowledge bases.

Rule tests use a small hand-made KB declared in ``global.model_catalog.kbs``; recipe tests run the
router's own ``privacy`` and ``knowledge`` recipes on the sample traffic (skipped without ../shared).
"""

from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml

import sample_data
from policies.columns import confidence_column, fired_column
from policies.inference.cache import LAYER_ENV, ScoreCache
from policies.knowledge_bases import KnowledgeBaseCatalog, KnowledgeBaseError, PrototypeScoring
from policies.loader import load_policy
from policies.simulation import Simulator
from policies.simulation.extract import RawStore, extract
from policies.simulation.frame import prepare_requests
from policies.simulation.neural import NeuralContext
from policies.signals.base import raw_column
from policies.signals.kb import bank_scores, prototypes
from policies.traffic import read_traffic

from .conftest import ROOT
from .simulation.conftest import MODELS, requests_from_prompts
from .simulation.test_neural_signals import encoder  # noqa: F401  (the bundled encoder, or a skip)

UPSTREAM = ROOT.parent / "shared" / "data" / "vllm-sr-upstream"
needs_upstream = pytest.mark.skipif(not UPSTREAM.is_dir(), reason="needs the router's files in ../shared")

COOKING = ["How long should I roast a whole chicken?", "Give me a recipe for banana bread",
           "What spices go well with lentil soup?"]
FINANCE = ["Should I invest in index funds or bonds?", "How do I read a company balance sheet?",
           "What is a good savings rate for retirement?"]
PROMPTS = ["Give me a recipe for banana bread", "Should I invest in index funds or bonds?",
           "Explain the offside rule in football", ""]


def _kb_signal(name: str, kind: str, value: str, match: str | None = None, kb: str = "demo_kb") -> dict:
    spec = {"name": name, "kb": kb, "target": {"kind": kind, "value": value}}
    return {**spec, "match": match} if match else spec


SIGNALS = [_kb_signal("best_cooking", "label", "cooking", "best"),
           _kb_signal("best_copy", "label", "cooking_copy", "best"),
           _kb_signal("cooking_over", "label", "cooking"),  # match left out: threshold
           _kb_signal("finance_over", "label", "finance", "threshold"),
           _kb_signal("alpha_best", "group", "alpha", "best"),
           _kb_signal("beta_best", "group", "beta", "best"),
           _kb_signal("beta_over", "group", "beta", "threshold"),
           _kb_signal("empty_label", "label", "empty", "best"),
           _kb_signal("nowhere", "label", "cooking", "best", kb="nope_kb")]


def _demo_config(tmp_path: Path) -> Path:
    """A config beside ``kbs/demo/labels.json`` that declares the KB with a relative path."""
    folder = tmp_path / "kbs" / "demo"
    folder.mkdir(parents=True)
    labels = {"cooking": COOKING, "cooking_copy": COOKING, "finance": FINANCE, "empty": []}
    (folder / "labels.json").write_text(json.dumps(
        {"labels": {name: {"description": name, "exemplars": ex} for name, ex in labels.items()}}))
    config = {
        "version": "v0.3",
        "global": {"model_catalog": {"kbs": [{
            "name": "demo_kb", "source": {"path": "kbs/demo/"}, "threshold": 0.3,
            "label_thresholds": {"finance": 0.99},
            "groups": {"alpha": ["cooking"], "beta": ["cooking"], "money": ["finance"]},
            "metrics": [{"name": "food_vs_money", "type": "group_margin", "positive_group": "alpha",
                         "negative_group": "money"},
                        {"name": "odd", "type": "ratio", "positive_group": "alpha", "negative_group": "money"}]}]}},
        "providers": {"defaults": {"model": "small"}, "models": MODELS},
        "routing": {
            "signals": {"kb": SIGNALS},
            "projections": {"scores": [
                {"name": "margin", "method": "weighted_sum",
                 "inputs": [{"type": "kb_metric", "kb": "DEMO_KB", "metric": "Food_vs_Money", "weight": 2.0}]},
                {"name": "odd_score", "method": "weighted_sum",
                 "inputs": [{"type": "kb_metric", "kb": "demo_kb", "metric": "odd", "weight": 1.0}]}]},
            "decisions": [{"name": "any_kb", "priority": 10, "modelRefs": [{"model": "large"}],
                           "rules": {"operator": "OR", "conditions": [{"type": "kb", "name": s["name"]}
                                                                      for s in SIGNALS]}}]},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def demo(encoder, tmp_path_factory):
    """The demo config's extraction over :data:`PROMPTS`: (leaf and raw table, unavailable)."""
    tmp = tmp_path_factory.mktemp("kb")
    policy = load_policy(_demo_config(tmp))
    store = RawStore(prepare_requests(requests_from_prompts(PROMPTS)), NeuralContext(encoder, cache_dir=tmp / "cache"))
    extraction = extract(policy.routing, store, KnowledgeBaseCatalog.of(policy.global_, policy.source_file))
    table = extraction.raw.with_columns(extraction.leaf_columns())
    return table, extraction.unavailable


def _fired(table: pl.DataFrame, name: str, kind: str = "kb") -> list[bool]:
    return table[fired_column((kind, name))].to_list()


def _label(table: pl.DataFrame, signal: str, label: str) -> pl.Series:
    return table[raw_column("kb", signal, f"label:{label}")]


def test_best_label_fires_on_its_exemplar_and_ties_go_to_the_first_name(demo):
    table, _ = demo
    cooking, copy = _label(table, "best_cooking", "cooking"), _label(table, "best_cooking", "cooking_copy")
    assert cooking[:3].to_list() == copy[:3].to_list()  # same exemplars, same scores: a tie every row
    assert _fired(table, "best_cooking") == [True, False, False, False]
    assert _fired(table, "best_copy") == [False] * 4  # "cooking" < "cooking_copy" wins every tie
    assert table[confidence_column(("kb", "best_cooking"))][0] == pytest.approx(cooking[0])
    assert cooking[0] > 0.75  # the prompt is an exemplar: best similarity 1, weighted 0.75


def test_threshold_match_uses_the_label_threshold_before_the_kb_threshold(demo):
    table, _ = demo
    cooking = _label(table, "cooking_over", "cooking")[:3].to_numpy()
    assert _fired(table, "cooking_over")[:3] == list(cooking >= np.float32(0.3))
    assert any(cooking >= 0.3) and not all(cooking >= 0.3)
    finance = _label(table, "finance_over", "finance")[1]
    assert 0.3 < finance < 0.99  # its own exemplar clears the KB threshold, not finance's 0.99
    assert _fired(table, "finance_over") == [False] * 4


def test_groups_take_their_best_label_and_ties_go_to_the_first_group(demo):
    table, _ = demo
    assert _fired(table, "alpha_best") == [True, False, False, False]
    assert _fired(table, "beta_best") == [False] * 4  # same score as alpha; alpha is first
    assert _fired(table, "beta_over")[:3] == _fired(table, "cooking_over")[:3]  # a member label matches
    cooking = _label(table, "alpha_best", "cooking")[0]
    assert table[confidence_column(("kb", "alpha_best"))][0] == pytest.approx(max(0.0, cooking))


def test_group_margin_metric_feeds_projection_scores_case_insensitively(demo):
    table, unavailable = demo
    cooking = _label(table, "best_cooking", "cooking").fill_null(0.0).clip(lower_bound=0.0)
    finance = _label(table, "best_cooking", "finance").fill_null(0.0).clip(lower_bound=0.0)
    metric = table[confidence_column(("kb_metric", "DEMO_KB:Food_vs_Money"))]
    assert metric.to_list() == pytest.approx((cooking - finance).to_list())
    assert metric[0] > 0 > metric[1] and metric[3] == 0.0  # a blank prompt reads 0, as in the router
    assert "kb_metric:DEMO_KB:Food_vs_Money" not in unavailable


def test_blank_prompt_fires_nothing(demo):
    table, _ = demo
    assert not any(table.select(pl.col(c) for c in table.columns if c.startswith("fired::kb::")).row(3))


def test_config_mistakes_are_named_not_read_as_misses(demo):
    _, unavailable = demo
    assert "'empty' has no exemplars" in unavailable["kb:empty_label"]
    assert "'nope_kb' is not declared" in unavailable["kb:nowhere"]
    assert "demo_kb" in unavailable["kb:nowhere"]  # lists what the catalog holds
    assert "only group_margin" in unavailable["kb_metric:demo_kb:odd"]


def test_simulation_reads_the_configs_own_catalog(encoder, tmp_path):
    policy = load_policy(_demo_config(tmp_path))
    result = Simulator(requests_from_prompts(PROMPTS), context=NeuralContext(encoder, cache_dir=tmp_path)).simulate(policy)
    assert result.requests[fired_column(("kb", "best_cooking"))].to_list() == [True, False, False, False]
    assert result.requests["decision"].to_list()[0] == "any_kb"
    assert "kb:best_cooking" not in result.unavailable


def test_declared_catalog_replaces_the_builtins_and_paths_resolve_from_the_config(tmp_path):
    policy = load_policy(_demo_config(tmp_path))
    catalog = KnowledgeBaseCatalog.of(policy.global_, policy.source_file)
    assert catalog.get("demo_kb").manifest == tmp_path / "kbs" / "demo" / "labels.json"
    assert "empty" not in catalog.get("demo_kb").labels  # no exemplars: dropped, as the router does
    with pytest.raises(KnowledgeBaseError, match="'privacy_kb' is not declared: global.model_catalog.kbs"):
        catalog.get("privacy_kb")
    builtin = KnowledgeBaseCatalog.of(None, str(tmp_path / "other.yaml"))
    assert builtin.get("privacy_kb").manifest == sample_data.knowledge_bases_dir() / "privacy" / "labels.json"
    assert builtin.get("mmlu_kb").manifest.is_file()


def test_missing_or_broken_manifest_is_an_error_naming_the_kb_and_file(tmp_path):
    spec = {"model_catalog": {"kbs": [{"name": "gone", "source": {"path": "nowhere/"}},
                                      {"name": "broken", "source": {"path": "broken/"}}]}}
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "labels.json").write_text('{"labels": {\n  "a": [1, }\n}')
    catalog = KnowledgeBaseCatalog.of(spec, str(tmp_path / "config.yaml"))
    with pytest.raises(KnowledgeBaseError, match=r"'gone': no labels.json under source.path 'nowhere/'"):
        catalog.get("gone")
    with pytest.raises(KnowledgeBaseError, match=r"'broken': .*broken/labels.json:2:\d+: not valid JSON"):
        catalog.get("broken")


def test_shipped_score_layer_holds_the_builtin_exemplars(encoder, tmp_path, monkeypatch):
    """A first kb simulation on a fresh install encodes no exemplar (scripts/build_score_layer.py)."""
    monkeypatch.delenv(LAYER_ENV, raising=False)
    catalog = KnowledgeBaseCatalog()
    NeuralContext(encoder, cache_dir=tmp_path).embed(
        [text for name in catalog.names() for texts in catalog.get(name).labels.values() for text in texts])
    assert list(ScoreCache(tmp_path).groups()) == []  # every vector came from the layer, none computed


def test_prototypes_follow_the_routers_clustering_order():
    c = np.sqrt(1 - 0.93 ** 2)
    vectors = np.array([[1, 0, 0, 0], [0.95, np.sqrt(1 - 0.95 ** 2), 0, 0], [0.93, 0, c, 0],
                        [0, 0, 0, 1], [0, 0, 1, 0]], dtype=np.float32)
    texts = ["m1", "m2", "m3", "b", "c"]
    # "m1" reaches both others at >= 0.9 (they reach each other at 0.88): one cluster of three whose
    # medoid is m1; the singletons follow by text, and max_prototypes cuts the rest
    assert prototypes(texts, vectors, PrototypeScoring()) == [0, 3, 4]
    assert prototypes(texts, vectors, PrototypeScoring(max_prototypes=2)) == [0, 3]
    assert prototypes(texts, vectors, PrototypeScoring(enabled=False)) == [0, 1, 2, 3, 4]
    assert prototypes(texts, vectors, PrototypeScoring(cluster_similarity_threshold=0.96)) == [3, 4, 0, 1, 2]


def test_bank_score_weighs_the_best_against_the_top_m_mean():
    sims = np.array([[0.9, 0.1, 0.5], [0.2, 0.4, 0.3]], dtype=np.float32)
    scores = bank_scores(sims, PrototypeScoring())  # best weight 0.75, top 2
    assert scores == pytest.approx([0.75 * 0.9 + 0.25 * (0.9 + 0.5) / 2, 0.75 * 0.4 + 0.25 * (0.4 + 0.3) / 2])
    assert bank_scores(sims, PrototypeScoring(top_m=9, best_weight=0.5)) == pytest.approx(
        [0.5 * 0.9 + 0.5 * 0.5, 0.5 * 0.4 + 0.5 * 0.3])


# -- the router's recipes on sample traffic ----------------------------------------------------------
@pytest.fixture(scope="module")
def sample_traffic_file(tmp_path_factory) -> Path:
    """The first 300 requests of the bundled sample traffic, as a JSONL log."""
    path = tmp_path_factory.mktemp("traffic") / "sample.jsonl"
    with gzip.open(sample_data.traffic_dir() / "sample_requests.jsonl.gz", "rt") as lines:
        path.write_text("".join(itertools.islice(lines, 300)))
    return path


@needs_upstream
@pytest.mark.parametrize("recipe", ["privacy", "knowledge"])
def test_recipes_simulate_every_kb_signal_metric_and_projection(recipe, encoder, sample_traffic_file, tmp_path):
    policy = load_policy(UPSTREAM / "recipes" / recipe / "config.yaml")
    result = Simulator(read_traffic(sample_traffic_file), context=NeuralContext(encoder, cache_dir=tmp_path)).simulate(policy)
    blocked = {k: v for k, v in result.extraction.unavailable.items()
               if k.split(":", 1)[0] in ("kb", "kb_metric", "projection", "partition")}
    assert blocked == {}
    out = result.requests
    kb_fired = [c for c in out.columns if c.startswith("fired::kb::")]
    rates = [out[c].mean() for c in kb_fired]
    assert kb_fired and any(0 < r < 1 for r in rates)
    metric = [c for c in out.columns if c.startswith("conf::kb_metric::")]
    assert metric and out[metric[0]].n_unique() > 10


def _prototype_exemplar(encoder, kb_name: str, label: str) -> str:
    """An exemplar the router keeps as a prototype of ``label`` (a prompt equal to it scores best 1)."""
    kb = KnowledgeBaseCatalog().get(kb_name)
    texts = list(kb.labels[label])
    return texts[prototypes(texts, np.asarray(encoder.encode(texts)), kb.config.prototype_scoring)[0]]


@needs_upstream
def test_an_exemplar_prompt_fires_its_label_in_the_knowledge_recipe(encoder, tmp_path):
    policy = load_policy(UPSTREAM / "recipes" / "knowledge" / "config.yaml")
    signals = {s.name: s.target["value"] for s in policy.routing.signals.kb}
    prompts = [_prototype_exemplar(encoder, "mmlu_kb", label) for label in signals.values()]
    out = Simulator(requests_from_prompts(prompts), context=NeuralContext(encoder, cache_dir=tmp_path)).simulate(policy).requests
    fired = {name: out[fired_column(("kb", name))].to_list() for name in signals if fired_column(("kb", name)) in out.columns}
    assert fired  # the recipe's decisions read these signals
    for row, name in enumerate(signals):
        if name in fired:
            assert [other for other, hits in fired.items() if hits[row]] == [name]


@needs_upstream
def test_an_exemplar_prompt_fires_its_group_in_the_privacy_recipe(encoder, tmp_path):
    policy = load_policy(UPSTREAM / "recipes" / "privacy" / "config.yaml")
    prompts = [_prototype_exemplar(encoder, "privacy_kb", "pii"), _prototype_exemplar(encoder, "privacy_kb", "generic_coding")]
    out = Simulator(requests_from_prompts(prompts), context=NeuralContext(encoder, cache_dir=tmp_path)).simulate(policy).requests
    assert out[fired_column(("kb", "privacy_policy"))].to_list() == [True, False]
    metric = out[confidence_column(("kb_metric", "privacy_kb:private_vs_public"))]
    assert metric[0] > 0 > metric[1]  # private beats public on the pii exemplar, and the reverse
