"""The request explanation alone: engine explanation laid out, unknown requests reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies.loader import load_policy
from policies.simulation import Simulator
from policies.traffic.testing import make_requests
from widgets.explain import RequestExplanation, describe_flip

OFFLINE = Path(__file__).resolve().parents[2] / "notebooks" / "policies" / "keyword_tiers.yaml"


@pytest.fixture(scope="module")
def simulator() -> Simulator:
    return Simulator(make_requests(60, seed=5))


def test_explains_a_routed_request(simulator: Simulator) -> None:
    policy = load_policy(OFFLINE)
    routed = simulator.simulate(policy).requests
    rid = routed.filter(routed["decision"] == "code_help")["request_id"][0]
    view = RequestExplanation(policy=policy, simulator=simulator, request_id=rid, prompt="Write a Python function")
    view.__panel__()
    assert view.explanation.decision == "code_help"
    assert "Decision <b>code_help</b>" in view._head.object and "qwen3-32b" in view._head.object
    assert "✓ keyword(code)" in view._trees.object and "✗ keyword(quick)" in view._trees.object
    assert view._ranking.value["decision"].tolist()[0] == "code_help"
    signals = view._signals.value.set_index("signal")
    assert set(signals.index) >= {"keyword:code", "keyword:quick", "keyword:reasoning"}
    # one precision, one word for none: no 0.279454 beside 0.0 and -
    assert all(v == "n/a" or (len(v.split(".")[-1]) == 3 and float(v) >= 0)
               for v in [*signals["score"], *signals["threshold"]])
    assert signals.loc["keyword:quick", "why not"] == "none of its keywords occurs"
    assert signals.loc["keyword:code", "why not"] == ""  # it fired
    assert view._flip.object.startswith("**Smallest flip:**")


def test_unknown_request_is_a_message(simulator: Simulator) -> None:
    view = RequestExplanation(policy=load_policy(OFFLINE), simulator=simulator, request_id="nope")
    view.__panel__()
    assert view.explanation is None and "nope" in view._head.object and not view._body.visible
    assert "**" not in view._head.object  # markdown asterisks inside HTML would show as written


def test_a_default_routed_request_names_the_default(simulator: Simulator) -> None:
    policy = load_policy(OFFLINE)
    routed = simulator.simulate(policy).requests
    rid = routed.filter(routed["decision"].is_null())["request_id"][0]
    view = RequestExplanation(policy=policy, simulator=simulator, request_id=rid)
    view.__panel__()
    assert "Decision <b>(default)</b>" in view._head.object  # as the reports, Sankey and drill-down say


def test_describe_flip_without_one() -> None:
    assert "no single threshold" in describe_flip(None)


def test_explain_view_routes_a_typed_prompt() -> None:
    from widgets.explain import ExplainView

    view = ExplainView(policy=load_policy(OFFLINE))
    view.__panel__()
    found = view.explain("Please solve this equation and prove the theorem")
    assert found is not None and found.decision == "reasoning"
    assert "Decision <b>reasoning</b>" in view.detail._head.object


def test_a_prompt_with_markdown_shows_as_written() -> None:
    """An unclosed ``` fence, a heading or HTML in the prompt must not swallow the explanation."""
    from widgets.explain import ExplainView

    view = ExplainView(policy=load_policy(OFFLINE))
    view.__panel__()
    prompt = "Complete this:\n```python\ndef f(s):\n# not a heading\n<b>bold?</b> **x**"
    assert view.explain(prompt) is not None
    head = view.detail._head.object
    quoted, after = head.split("</blockquote>")
    assert "```python\ndef f(s):\n# not a heading\n&lt;b&gt;bold?&lt;/b&gt; **x**" in quoted
    assert after.startswith("<p>Decision <b>") and "<b>bold?" not in head
