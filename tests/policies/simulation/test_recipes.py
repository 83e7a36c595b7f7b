"""Recipes chosen by the request's model name, as the router resolves entrypoints (policies/model/recipes.py).

Traffic goes through the real chat-log reader; the policy is a file vllm-sr 0.4.0 accepts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner

from policies import vllm_sr_check
from policies.commands import main
from policies.loader import load_policy
from policies.model import Policy
from policies.model.recipes import AUTO, ENTRYPOINT, LOOPER, PASSTHROUGH, UNRESOLVED, EntrypointTable
from policies.simulation import Simulator
from policies.traffic import read_traffic

ROOT = Path(__file__).resolve().parents[3]
CONFIG = ROOT / "tests" / "fixtures" / "configs" / "recipes_entrypoints.yaml"
UPSTREAM = ROOT.parent / "shared" / "data" / "vllm-sr-upstream" / "recipes"
SAMPLE_TRAFFIC = ROOT / "sample_data" / "traffic" / "sample_requests.jsonl.gz"

# (request id, model asked for, prompt) -> expected (route, recipe, decision, model)
CASES: list[tuple[str, str | None, str, tuple[str, str | None, str | None, str]]] = [
    ("auto-urgent", "auto", "urgent: the site is down", (AUTO, "default", "urgent_route", "large")),
    ("vsr-auto-code", "vllm-sr/auto", "python traceback in my script", (AUTO, "default", None, "small")),
    ("mom-urgent", "MoM", "asap please", (AUTO, "default", "urgent_route", "large")),
    ("coding-code", "vllm-sr/coding", "python traceback in my script", (ENTRYPOINT, "coding", "code_help", "large")),
    # the coding recipe has no 'urgent' signal: recipes never fall back to the default profile
    ("coder-urgent", "coder", "urgent: the site is down", (ENTRYPOINT, "coding", None, "small")),
    ("cheap-urgent", "vllm-sr/cheap", "urgent: the site is down", (ENTRYPOINT, "default", "urgent_route", "large")),
    ("direct-large", "large", "urgent: the site is down", (PASSTHROUGH, None, None, "large")),
    ("direct-small", " small ", "python traceback", (PASSTHROUGH, None, None, "small")),
    ("provider-id", "acme/large-v2", "python traceback", (PASSTHROUGH, None, None, "large")),  # large's id
    ("lora", "small-sql", "urgent: the site is down", (PASSTHROUGH, None, None, "small")),  # served by its base
    ("foreign-alias", "fast-chat", "urgent: the site is down", (UNRESOLVED, "default", "urgent_route", "large")),
    ("no-model", None, "python traceback", (UNRESOLVED, "default", None, "small")),
]


def chat_record(request_id: str, model: str | None, prompt: str) -> dict[str, Any]:
    """One chat.completions request/response pair as the chat-log reader reads it."""
    request: dict[str, Any] = {"messages": [{"role": "user", "content": prompt}],
                               "metadata": {"request_id": request_id}}
    if model is not None:
        request["model"] = model
    return {"request": request,
            "response": {"id": f"c-{request_id}", "object": "chat.completion", "model": "small",
                         "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}}],
                         "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150}},
            "latency_ms": 800.0}


@pytest.fixture
def traffic_file(tmp_path: Path) -> Path:
    path = tmp_path / "traffic.jsonl"
    path.write_text("".join(json.dumps(chat_record(rid, model, prompt)) + "\n" for rid, model, prompt, _ in CASES))
    return path


def routed(policy: Policy, traffic: Path) -> dict[str, dict[str, Any]]:
    result = Simulator(read_traffic(traffic)).simulate(policy)
    return {row["request_id"]: row for row in result.requests.iter_rows(named=True)}


def test_fixture_is_a_config_vllm_sr_accepts():
    if vllm_sr_check.available():
        assert vllm_sr_check.vllm_sr_errors(CONFIG) == []


def test_each_request_goes_through_the_recipe_its_model_name_selects(traffic_file):
    rows = routed(load_policy(CONFIG), traffic_file)
    for rid, model, _, expected in CASES:
        row = rows[rid]
        assert (row["route"], row["recipe"], row["decision"], row["model"]) == expected, rid
        assert row["model_requested"] == (model.strip() if model else None)
    # a passthrough request costs what its own model costs: 100 prompt and 50 completion tokens at large's prices
    assert rows["direct-large"]["cost_usd"] == pytest.approx((100 * 2.0 + 50 * 8.0) / 1e6)


def test_the_summary_and_tables_count_every_recipe(traffic_file):
    result = Simulator(read_traffic(traffic_file)).simulate(load_policy(CONFIG))
    summary = result.summary()
    n = len(CASES)
    assert summary["route_share"] == pytest.approx({AUTO: 3 / n, ENTRYPOINT: 3 / n, PASSTHROUGH: 4 / n,
                                                    UNRESOLVED: 2 / n})
    assert summary["recipe_share"] == pytest.approx({"default": 6 / n, "coding": 2 / n})
    assert list(summary["unresolved_models"].items()) == [("(none)", 1), ("fast-chat", 1)]  # ties by name
    rows = {r["decision"]: r["hits"] for r in result.per_decision().to_dicts()}
    assert rows["urgent_route"] == 4 and rows["code_help"] == 1  # decisions of both recipes are listed


def test_one_profile_can_still_take_every_request(traffic_file):
    """An explicit profile is a what-if: every request through that recipe, whatever its model name."""
    sim = Simulator(read_traffic(traffic_file))
    forced = sim.simulate(load_policy(CONFIG), "coding").requests
    assert forced.filter(pl.col("decision") == "code_help")["request_id"].to_list() == [
        "vsr-auto-code", "coding-code", "direct-small", "provider-id", "no-model"]
    assert "route" not in forced.columns


def test_auto_model_names_replace_the_builtin_aliases(traffic_file):
    """global.router.auto_model_names is the whole list: 'auto' and 'MoM' stop being aliases."""
    spec = load_policy(CONFIG).to_spec()
    spec["global"] = {"router": {"auto_model_names": ["vllm-sr/auto"]}}
    rows = routed(Policy.from_spec(spec), traffic_file)
    assert [rows[r]["route"] for r in ("auto-urgent", "mom-urgent", "vsr-auto-code")] == [UNRESOLVED, UNRESOLVED, AUTO]
    spec["global"] = {"router": {"auto_model_name": "router-pick"}}  # one more alias beside vllm-sr/auto and auto
    table = EntrypointTable(Policy.from_spec(spec))
    via = [table.resolve(n).via for n in ("router-pick", "auto", "vllm-sr/auto", "MoM")]
    assert via == [AUTO, AUTO, AUTO, UNRESOLVED]


def test_a_looper_alias_keeps_only_its_algorithms_decisions(tmp_path):
    spec = load_policy(CONFIG).to_spec()
    spec["routing"]["decisions"].append({
        "name": "deep_think", "priority": 1, "rules": {"operator": "AND", "conditions": []},
        "modelRefs": [{"model": "large"}, {"model": "small"}], "algorithm": {"type": "remom"}})
    path = tmp_path / "traffic.jsonl"
    path.write_text("".join(json.dumps(chat_record(rid, model, "urgent: the site is down")) + "\n"
                            for rid, model in (("plain", "auto"), ("looper", "vllm-sr/remom"))))
    rows = routed(Policy.from_spec(spec), path)
    assert (rows["plain"]["decision"], rows["looper"]["decision"]) == ("urgent_route", "deep_think")
    assert (rows["looper"]["route"], rows["looper"]["recipe"]) == (LOOPER, "default")


def test_a_recipes_only_config_routes_auto_through_its_default_recipe():
    spec = load_policy(CONFIG).to_spec()
    top = spec.pop("routing")
    spec["routing"] = {"modelCards": top.pop("modelCards")}  # the shared catalog stays at the top level
    spec["recipes"].append({"name": "default", "routing": top})
    spec["entrypoints"] = [e for e in spec["entrypoints"] if e["recipe"] != "default"]
    policy = Policy.from_spec(spec)
    assert EntrypointTable(policy).resolve("auto").profile == "default"
    requests = pl.DataFrame({"request_id": ["a", "b"], "prompt": ["urgent!", "python"],
                             "model_requested": ["auto", "coder"]})
    out = Simulator(requests).simulate(policy).requests
    assert out["decision"].to_list() == ["urgent_route", "code_help"]
    assert out["recipe"].to_list() == ["default", "coding"]


def test_simulate_command_shows_how_requests_reached_their_recipe(traffic_file):
    runner = CliRunner()
    human = runner.invoke(main, ["simulate", str(CONFIG), "--traffic", str(traffic_file)])
    assert human.exit_code == 0, human.output
    assert "routes: passthrough 33.3%, auto 25.0%, entrypoint 25.0%, unresolved 16.7%" in human.stdout
    assert "recipes: default 50.0%, coding 16.7%" in human.stdout
    assert "fast-chat (1)" in human.stdout
    out = traffic_file.with_suffix(".parquet")
    data = json.loads(runner.invoke(main, ["simulate", str(CONFIG), "--traffic", str(traffic_file), "--json",
                                           "--out", str(out)]).stdout)
    assert data["summary"]["recipe_share"]["coding"] == pytest.approx(2 / len(CASES))
    written = pl.read_parquet(out).filter(pl.col("request_id") == "coder-urgent").row(0, named=True)
    assert (written["model_requested"], written["route"], written["recipe"]) == ("coder", ENTRYPOINT, "coding")


@pytest.mark.skipif(not UPSTREAM.is_dir(), reason="needs ../shared beside the clone")
@pytest.mark.parametrize("recipe", sorted(p.name for p in UPSTREAM.iterdir()) if UPSTREAM.is_dir() else [])
def test_upstream_recipes_route_sample_traffic_as_before(recipe):
    """The shipped recipes list only vllm-sr/auto as alias and none of the sample's models, so every
    sample request is unresolved and takes the top-level routing, exactly as a forced profile does."""
    full = read_traffic(SAMPLE_TRAFFIC)
    sim = Simulator(full.requests.head(40), full.candidate_outcomes)
    policy = load_policy(UPSTREAM / recipe / "config.yaml")
    routed_run, forced = sim.simulate(policy), sim.simulate(policy, "")
    assert set(routed_run.requests["route"]) == {UNRESOLVED}
    columns = ["request_id", "decision", "model", "cost_usd", "latency_ms", "quality"]
    assert routed_run.requests.select(columns).equals(forced.requests.select(columns))
    assert routed_run.unavailable == forced.unavailable
